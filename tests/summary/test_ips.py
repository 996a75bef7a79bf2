"""The International Patient Summary: a FHIR R4 ``document`` Bundle following the IPS structure, validated
with ``fhir.resources.R4B``, downloadable by the holder and included in the space export (R-LC-25)."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.composition import Composition
from fhir.resources.R4B.patient import Patient

from carnet.accounts.models import User
from carnet.audit.models import Trace
from carnet.common.errors import NotFoundOrForbidden
from carnet.profile import ips
from carnet.profile.models import Allergy, Disease, Treatment
from carnet.profile.vitals.models import Measurement, Vaccination
from carnet.spaces import export as export_module
from carnet.spaces import services as space_services
from carnet.vault.blobstore import blob_get
from tests.records.helpers import pro_actor
from tests.summary.conftest import Filled

pytestmark = pytest.mark.django_db

SECTION_CODES = {
    "48765-2": "AllergyIntolerance",
    "10160-0": "MedicationStatement",
    "11450-4": "Condition",
    "11369-6": "Immunization",
    "8716-3": "Observation",
}


def _ips(person: Filled) -> dict[str, Any]:
    return ips.ips_for_actor(actor=person.holder, patient_id=person.patient.pk)


def _sections(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    composition = bundle["entry"][0]["resource"]
    return {s["code"]["coding"][0]["code"]: s for s in composition["section"]}


def test_ips_parses_back_as_an_r4_document_bundle(filled: Filled) -> None:
    """IPS: the generated JSON validates with ``Bundle.model_validate`` and starts with its Composition."""
    bundle = Bundle.model_validate(json.loads(json.dumps(_ips(filled))))
    assert bundle.type == "document"
    assert bundle.identifier is not None and bundle.timestamp is not None
    composition = bundle.entry[0].resource
    assert isinstance(composition, Composition)
    assert composition.type.coding[0].code == "60591-5"
    assert composition.type.coding[0].system == "http://loinc.org"


def test_composition_has_the_ips_sections_with_their_loinc_codes(filled: Filled) -> None:
    """IPS sections: allergies 48765-2, medications 10160-0, problems 11450-4, immunizations 11369-6,
    vital signs 8716-3."""
    assert set(_sections(_ips(filled))) == set(SECTION_CODES)


def test_ips_has_one_entry_per_allergy_treatment_disease_vaccination_and_measure(filled: Filled) -> None:
    """IPS: every item of the profile is one resource, referenced by its section."""
    bundle = _ips(filled)
    by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    counts = {
        "AllergyIntolerance": Allergy.objects.filter(patient_id=filled.patient.pk).count(),
        "MedicationStatement": Treatment.objects.filter(patient_id=filled.patient.pk).count(),
        "Condition": Disease.objects.filter(patient_id=filled.patient.pk).count(),
        "Immunization": Vaccination.objects.filter(patient_id=filled.patient.pk).count(),
        "Observation": Measurement.objects.filter(patient_id=filled.patient.pk).count(),
    }
    assert counts == {
        "AllergyIntolerance": 1,
        "MedicationStatement": 1,
        "Condition": 1,
        "Immunization": 2,
        "Observation": 3,
    }
    for code, section in _sections(bundle).items():
        kinds = [by_url[ref["reference"]]["resourceType"] for ref in section["entry"]]
        assert kinds == [SECTION_CODES[code]] * counts[SECTION_CODES[code]]
        assert "emptyReason" not in section


def test_patient_carries_the_ins_identifier(filled: Filled) -> None:
    """R-ID-2: the Patient has the INS as ``urn:oid:<ins_oid>`` and the Composition is about him."""
    bundle = _ips(filled)
    patient_entry = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    patient = Patient.model_validate(patient_entry["resource"])
    assert patient.identifier[0].system == f"urn:oid:{filled.patient.ins_oid}"
    assert patient.identifier[0].value == filled.patient.ins_matricule
    assert bundle["entry"][0]["resource"]["subject"]["reference"] == patient_entry["fullUrl"]


def test_every_reference_resolves_inside_the_bundle(filled: Filled) -> None:
    """IPS document: all references are to ``fullUrl`` entries of the same Bundle."""
    bundle = _ips(filled)
    urls = {e["fullUrl"] for e in bundle["entry"]}
    text = json.dumps(bundle)
    references = [part.split('"')[0] for part in text.split('"reference": "')[1:]]
    assert references and set(references) <= urls


def test_vital_signs_use_loinc_codes_and_ucum_units_of_the_measures_file(filled: Filled) -> None:
    """Measures data file: weight 29463-7 in kg; blood pressure a 85354-9 panel with 8480-6 / 8462-4 in mm[Hg]."""
    observations = [
        e["resource"] for e in _ips(filled)["entry"] if e["resource"]["resourceType"] == "Observation"
    ]
    weights = [o for o in observations if o["code"]["coding"][0]["code"] == "29463-7"]
    assert {o["valueQuantity"]["code"] for o in weights} == {"kg"}
    assert {o["valueQuantity"]["system"] for o in weights} == {"http://unitsofmeasure.org"}
    assert sorted(o["valueQuantity"]["value"] for o in weights) == [71.9, 72.5]
    (pressure,) = [o for o in observations if o["code"]["coding"][0]["code"] == "85354-9"]
    parts = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in pressure["component"]}
    assert parts["8480-6"]["value"] == 128 and parts["8462-4"]["value"] == 82
    assert parts["8480-6"]["code"] == "mm[Hg]"
    assert all(o["category"][0]["coding"][0]["code"] == "vital-signs" for o in observations)


def test_empty_sections_have_an_empty_reason_nilknown(empty: Filled) -> None:
    """IPS: a section without entries carries ``emptyReason`` (list-empty-reason ``nilknown``) and a text."""
    bundle = _ips(empty)
    Bundle.model_validate(bundle)
    for section in _sections(bundle).values():
        assert "entry" not in section
        assert section["emptyReason"]["coding"][0] == {
            "system": "http://terminology.hl7.org/CodeSystem/list-empty-reason",
            "code": "nilknown",
            "display": "Nil Known",
        }
        assert section["text"]["div"].startswith('<div xmlns="http://www.w3.org/1999/xhtml">')


def test_ips_download_is_traced_as_a_summary(filled: Filled) -> None:
    """Invariant 2: one PROFILE_SUMMARY trace, purpose ``ips``, the five IPS sections named."""
    _ips(filled)
    entry = Trace.objects.filter(patient_id=filled.patient.pk, action="PROFILE_SUMMARY").get()
    assert entry.details["purpose"] == "ips"
    assert entry.details["sections"] == [
        "TREATMENTS",
        "ALLERGIES",
        "DISEASES",
        "VACCINATIONS",
        "MEASUREMENTS",
    ]


def test_a_professional_cannot_get_the_ips(filled: Filled) -> None:
    """R-PML-1: the IPS holds sections professionals do not read directly."""
    filled.consent_gp()
    with pytest.raises(NotFoundOrForbidden):
        ips.ips_for_actor(actor=pro_actor(filled.gp), patient_id=filled.patient.pk)


def test_space_export_contains_fhir_ips_json(filled: Filled) -> None:
    """R-LC-25: the export ZIP carries ``fhir/ips.json``, a valid IPS document Bundle of the whole profile."""
    user = User.objects.get(person=filled.patient)
    export = space_services.export_request(space=filled.world.space, actor=filled.holder, user=user)
    assert export_module.export_build(export_id=export.pk) is True
    export.refresh_from_db()
    assert export.blob is not None
    archive = zipfile.ZipFile(io.BytesIO(blob_get(export.blob)))
    assert "fhir/ips.json" in archive.namelist()
    bundle = Bundle.model_validate_json(archive.read("fhir/ips.json"))
    assert bundle.type == "document"
    kinds = [e.resource.get_resource_type() for e in bundle.entry]
    assert kinds.count("Immunization") == 2 and kinds.count("Observation") == 3
    data = json.loads(archive.read("donnees.json"))
    assert data["profil_ips"]["fichier"] == "fhir/ips.json"
