"""The International Patient Summary (IPS) of the medical profile, and the FHIR mapping of its items.

* Mapping (pure functions, validated with ``fhir.resources.R4B``): ``Allergy`` → AllergyIntolerance,
  ``Treatment`` → MedicationStatement, ``Disease`` → Condition (problem-list-item), ``Vaccination`` →
  Immunization, ``Measurement`` → Observation (category vital-signs, code and UCUM unit from
  ``data/measures.json``; a blood-pressure pair is one panel 85354-9 with systolic/diastolic components).
  Partial dates stay partial (FHIR ``dateTime`` accepts ``2020`` and ``2020-03``).
* ``ips_bundle(snapshot)``: a FHIR R4 Bundle of type ``document`` following the IPS structure: the
  Composition first (LOINC 60591-5 "Patient summary Document", author = the patient: the profile is his
  own questionnaire), then the Patient (INS identifier ``urn:oid:<ins_oid>``, ``spaces.export.fhir_patient``),
  then one resource per item. Sections: allergies 48765-2, medication 10160-0, problems 11450-4,
  immunizations 11369-6, vital signs 8716-3. An empty section has ``emptyReason`` ``nilknown`` (IPS), and
  its narrative says whether the holder declared himself "non concerné" (R-PML-2).
* ``ips_for_actor``: the holder's side downloads it (policy and trace through
  ``summary.profile_snapshot_for_actor``, purpose ``ips``).
* ``export_ips``: the export section (``fhir/ips.json``), as the requester of the export (records' rule).
* ``fhir_search_for_actor`` / ``fhir_read_for_actor``: the reads behind ``/fhir/<Type>`` (``fhir.profile_views``),
  through the profile and vitals selectors, which ask THE policy and trace (R-PML-1: professionals and
  establishments read Immunization only, as the policy allows).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from fhir.resources.R4B.allergyintolerance import AllergyIntolerance
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.immunization import Immunization
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation

from carnet.access.facts import ProfileSection
from carnet.common import clock
from carnet.common.actors import Actor
from carnet.common.errors import NotFoundOrForbidden

from .models import Allergy, Disease, PartialDate, Treatment
from .summary import (
    SUMMARY_SECTIONS,
    ProfileSnapshot,
    measure_label,
    measure_text,
    profile_snapshot_for_actor,
)
from .vitals import referential
from .vitals.models import Measurement, Vaccination

if TYPE_CHECKING:
    from carnet.identity.models import Person
    from carnet.spaces.export import ExportContext

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ATC = "http://www.whocc.no/atc"
EMPTY_REASON = "http://terminology.hl7.org/CodeSystem/list-empty-reason"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ROUTE = "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration"
SITE = "http://terminology.hl7.org/CodeSystem/v3-ActSite"
VACCINE_SYSTEM = "https://carnet.invalid/fhir/CodeSystem/vaccines"  # data/vaccines.json codes
DISEASE_SYSTEM = "https://carnet.invalid/fhir/CodeSystem/vaccine-targets"
IPS_PROFILE = "http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips"
XHTML = "http://www.w3.org/1999/xhtml"

# Sections of the IPS Composition: (key, LOINC code, LOINC display, profile sections it is made of).
IPS_SECTIONS: tuple[tuple[str, str, str, ProfileSection], ...] = (
    ("allergies", "48765-2", "Allergies and adverse reactions Document", ProfileSection.ALLERGIES),
    ("medications", "10160-0", "History of Medication use Narrative", ProfileSection.TREATMENTS),
    ("problems", "11450-4", "Problem list - Reported", ProfileSection.DISEASES),
    ("immunizations", "11369-6", "History of Immunization Narrative", ProfileSection.VACCINATIONS),
    ("vital_signs", "8716-3", "Vital signs", ProfileSection.MEASUREMENTS),
)
IPS_PROFILE_SECTIONS: tuple[ProfileSection, ...] = tuple(s for *_rest, s in IPS_SECTIONS)
_IPS_TITLES: dict[str, Any] = {
    "allergies": _("Allergies et intolérances"),
    "medications": _("Traitements"),
    "problems": _("Problèmes de santé"),
    "immunizations": _("Vaccinations"),
    "vital_signs": _("Signes vitaux"),
}


# --------------------------------------------------------------------------------------------------
# Mapping


def _partial(value: PartialDate) -> str | None:
    if value.year is None:
        return None
    if value.month is None:
        return f"{value.year:04d}"
    if value.day is None:
        return f"{value.year:04d}-{value.month:02d}"
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _instant(value: datetime) -> str:
    return timezone.localtime(value).isoformat()


def _note(comment: str) -> list[dict[str, str]] | None:
    return [{"text": comment}] if comment else None


def _clean(resource: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resource.items() if v not in (None, [], "", {})}


def allergy_intolerance(row: Allergy, patient_ref: str) -> dict[str, Any]:
    resource = _clean(
        {
            "resourceType": "AllergyIntolerance",
            "id": str(row.public_id),
            "clinicalStatus": {"coding": [{"system": ALLERGY_CLINICAL, "code": "active"}]},
            "code": {"text": row.name},
            "patient": {"reference": patient_ref},
            "recordedDate": _instant(row.created_at),
            "note": _note(row.comment),
        }
    )
    return AllergyIntolerance.model_validate(resource).model_dump(mode="json", exclude_none=True)


def _ended(end: PartialDate) -> bool:
    latest = end.latest()
    return latest is not None and latest < clock.today()


def medication_statement(row: Treatment, patient_ref: str) -> dict[str, Any]:
    period = _clean({"start": _partial(row.start), "end": _partial(row.end)})
    resource = _clean(
        {
            "resourceType": "MedicationStatement",
            "id": str(row.public_id),
            "status": "completed" if _ended(row.end) else "active",
            "medicationCodeableConcept": {"text": row.name},
            "subject": {"reference": patient_ref},
            "effectivePeriod": period,
            "dateAsserted": _instant(row.updated_at),
            "dosage": [{"text": row.posology}] if row.posology else None,
            "note": _note(row.comment),
        }
    )
    return MedicationStatement.model_validate(resource).model_dump(mode="json", exclude_none=True)


def condition(row: Disease, patient_ref: str) -> dict[str, Any]:
    resolved = not row.end.is_empty
    resource = _clean(
        {
            "resourceType": "Condition",
            "id": str(row.public_id),
            "clinicalStatus": {
                "coding": [{"system": CONDITION_CLINICAL, "code": "resolved" if resolved else "active"}]
            },
            "category": [{"coding": [{"system": CONDITION_CATEGORY, "code": "problem-list-item"}]}],
            "code": {"text": row.name},
            "subject": {"reference": patient_ref},
            "onsetDateTime": _partial(row.start),
            "abatementDateTime": _partial(row.end),
            "recordedDate": _instant(row.created_at),
            "note": _note(row.comment),
        }
    )
    return Condition.model_validate(resource).model_dump(mode="json", exclude_none=True)


def _performer(vaccination: Vaccination) -> list[dict[str, Any]] | None:
    pro = vaccination.performer_professional
    if pro is not None:
        return [
            {
                "actor": {
                    "identifier": {"system": "urn:oid:1.2.250.1.71.4.2.1", "value": f"8{pro.rpps}"},
                    "display": pro.display_name,
                }
            }
        ]
    if vaccination.performer_label:
        return [{"actor": {"display": vaccination.performer_label}}]
    return None


def immunization(row: Vaccination, patient_ref: str) -> dict[str, Any]:
    codings: list[dict[str, str]] = []
    if row.vaccine_code:
        codings.append({"system": VACCINE_SYSTEM, "code": row.vaccine_code})
    if row.atc_code:
        codings.append({"system": ATC, "code": row.atc_code})
    diseases = referential.diseases()
    targets = [
        {"coding": [{"system": DISEASE_SYSTEM, "code": t}], "text": diseases[t].label if t in diseases else t}
        for t in (row.targets or [])
    ]
    resource = _clean(
        {
            "resourceType": "Immunization",
            "id": str(row.public_id),
            "status": "completed",
            "vaccineCode": _clean({"coding": codings, "text": row.vaccine_name}),
            "patient": {"reference": patient_ref},
            "occurrenceDateTime": row.effective_date.isoformat(),
            "recorded": _instant(row.created_at),
            "primarySource": not row.authored_by_patient,
            "reportOrigin": {"text": gettext("Saisie par la personne")} if row.authored_by_patient else None,
            "lotNumber": row.lot_number,
            "site": {"coding": [{"system": SITE, "code": row.site}]} if row.site else None,
            "route": {"coding": [{"system": ROUTE, "code": row.route}]} if row.route else None,
            "performer": _performer(row),
            "note": _note(row.comment),
            "protocolApplied": [
                {
                    "targetDisease": targets,
                    "doseNumberString": str(row.get_dose_type_display())
                    if row.dose_type
                    else gettext("non précisé"),
                }
            ]
            if targets
            else None,
        }
    )
    return Immunization.model_validate(resource).model_dump(mode="json", exclude_none=True)


def _quantity(value: Any, unit_label: str, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit_label, "system": UCUM, "code": unit}


def observation(row: Measurement, patient_ref: str) -> dict[str, Any]:
    definition = referential.measure(row.code)
    system = definition.system if definition is not None else LOINC
    code = definition.observation_code if definition is not None else row.code
    label = definition.label if definition is not None else row.code
    unit_label = definition.unit_label if definition is not None else row.unit
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(row.public_id),
        "status": "final",
        "category": [
            {"coding": [{"system": OBSERVATION_CATEGORY, "code": "vital-signs", "display": "Vital Signs"}]}
        ],
        "code": {"coding": [{"system": system, "code": code, "display": label}], "text": label},
        "subject": {"reference": patient_ref},
        "effectiveDateTime": _instant(row.measured_at),
    }
    second = definition.second if definition is not None else None
    if second is not None and row.second_value is not None:
        assert definition is not None
        resource["component"] = [
            {
                "code": {
                    "coding": [{"system": system, "code": definition.value_observation_code}],
                    "text": definition.value_label,
                },
                "valueQuantity": _quantity(row.value, unit_label, row.unit),
            },
            {
                "code": {
                    "coding": [{"system": system, "code": second.observation_code}],
                    "text": second.label,
                },
                "valueQuantity": _quantity(row.second_value, unit_label, row.unit),
            },
        ]
    else:
        resource["valueQuantity"] = _quantity(row.value, unit_label, row.unit)
    if row.comment:
        resource["note"] = _note(row.comment)
    return Observation.model_validate(resource).model_dump(mode="json", exclude_none=True)


# --------------------------------------------------------------------------------------------------
# The IPS document Bundle


def _narrative(lines: list[str]) -> dict[str, str]:
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    return {"status": "generated", "div": f'<div xmlns="{XHTML}"><ul>{items}</ul></div>'}


def _empty_narrative(text: str) -> dict[str, str]:
    return {"status": "generated", "div": f'<div xmlns="{XHTML}"><p>{escape(text)}</p></div>'}


@dataclass(frozen=True)
class _SectionRows:
    rows: list[Any]
    build: Callable[[Any, str], dict[str, Any]]
    line: Callable[[Any], str]


def _section_rows(snapshot: ProfileSnapshot) -> dict[str, _SectionRows]:
    return {
        "allergies": _SectionRows(snapshot.allergies, allergy_intolerance, lambda r: r.name),
        "medications": _SectionRows(
            snapshot.treatments, medication_statement, lambda r: f"{r.name} ({r.start})"
        ),
        "problems": _SectionRows(snapshot.diseases, condition, lambda r: r.name),
        "immunizations": _SectionRows(
            snapshot.vaccinations,
            immunization,
            lambda r: f"{r.effective_date:%d/%m/%Y} {r.vaccine_name}",
        ),
        "vital_signs": _SectionRows(
            snapshot.measurements,
            observation,
            lambda r: (
                f"{measure_label(r.code)} : {measure_text(r)} ({timezone.localtime(r.measured_at):%d/%m/%Y})"
            ),
        ),
    }


def ips_bundle(snapshot: ProfileSnapshot, *, bundle_id: uuid.UUID | None = None) -> dict[str, Any]:
    """The IPS document Bundle of ``snapshot`` (its IPS sections must have been read), validated (R4B)."""
    from carnet.spaces.export import fhir_patient

    person = snapshot.patient
    patient_url = f"urn:uuid:{person.public_id}"
    bundle_uuid = bundle_id or uuid.uuid4()
    composition_id = uuid.uuid5(bundle_uuid, "composition")
    when = _instant(snapshot.generated_at)
    entries: list[dict[str, Any]] = [{"fullUrl": patient_url, "resource": fhir_patient(person)}]
    sections: list[dict[str, Any]] = []
    rows = _section_rows(snapshot)
    for key, code, display, profile_section in IPS_SECTIONS:
        part = rows[key]
        section: dict[str, Any] = {
            "title": str(_IPS_TITLES[key]),
            "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
        }
        if part.rows:
            refs = []
            for row in part.rows:
                resource = part.build(row, patient_url)
                url = f"urn:uuid:{row.public_id}"
                entries.append({"fullUrl": url, "resource": resource})
                refs.append({"reference": url})
            section["text"] = _narrative([part.line(r) for r in part.rows])
            section["entry"] = refs
        else:
            flagged = str(profile_section) in snapshot.not_concerned
            section["text"] = _empty_narrative(
                gettext("La personne a indiqué ne pas être concernée.")
                if flagged
                else gettext("Aucune information renseignée.")
            )
            section["emptyReason"] = {
                "coding": [{"system": EMPTY_REASON, "code": "nilknown", "display": "Nil Known"}]
            }
        sections.append(section)
    composition = {
        "resourceType": "Composition",
        "id": str(composition_id),
        "status": "final",
        "type": {"coding": [{"system": LOINC, "code": "60591-5", "display": "Patient summary Document"}]},
        "subject": {"reference": patient_url},
        "date": when,
        "author": [{"reference": patient_url}],
        "title": gettext("Synthèse patient (International Patient Summary)"),
        "section": sections,
    }
    bundle = {
        "resourceType": "Bundle",
        "id": str(bundle_uuid),
        "meta": {"profile": [IPS_PROFILE]},
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{bundle_uuid}"},
        "type": "document",
        "timestamp": when,
        "entry": [{"fullUrl": f"urn:uuid:{composition_id}", "resource": composition}, *entries],
    }
    return Bundle.model_validate(bundle).model_dump(mode="json", exclude_none=True)


def ips_for_actor(*, actor: Actor, patient_id: int) -> dict[str, Any]:
    """The holder's side downloads his IPS (policy per section and one ``PROFILE_SUMMARY`` trace)."""
    snapshot = profile_snapshot_for_actor(
        actor=actor, patient_id=patient_id, sections=IPS_PROFILE_SECTIONS, purpose="ips"
    )
    return ips_bundle(snapshot)


def export_section_ips(ctx: ExportContext) -> None:
    """The space export's section (R-LC-25, ``spaces.export.register_section`` in ``ProfileConfig.ready``):
    the International Patient Summary of the whole profile as ``fhir/ips.json``."""
    export_ips(ctx)


def export_ips(ctx: ExportContext) -> None:
    """Export section (R-LC-25): ``fhir/ips.json``, as the export's requester may read the profile (the
    records export's rule: a refused requester gets no file, ``profil_ips`` says so)."""
    import json

    from carnet.records.export import _requester

    try:
        snapshot = profile_snapshot_for_actor(
            actor=_requester(ctx), patient_id=ctx.person.pk, sections=SUMMARY_SECTIONS, purpose="export"
        )
    except NotFoundOrForbidden:
        ctx.data["profil_ips"] = {"fichier": None}
        return
    bundle = ips_bundle(snapshot, bundle_id=uuid.uuid5(ctx.export.public_id, "ips"))
    ctx.files["fhir/ips.json"] = json.dumps(bundle, ensure_ascii=False, indent=2, sort_keys=True).encode()
    ctx.data["profil_ips"] = {"fichier": "fhir/ips.json", "entrees": len(bundle.get("entry", []))}


# --------------------------------------------------------------------------------------------------
# FHIR reads of the profile (``/fhir/<Type>``), through the policy-checking selectors


PROFILE_RESOURCE_TYPES: dict[str, ProfileSection] = {
    "AllergyIntolerance": ProfileSection.ALLERGIES,
    "MedicationStatement": ProfileSection.TREATMENTS,
    "Condition": ProfileSection.DISEASES,
    "Immunization": ProfileSection.VACCINATIONS,
    "Observation": ProfileSection.MEASUREMENTS,
}
_BUILDERS: dict[str, Callable[[Any, str], dict[str, Any]]] = {
    "AllergyIntolerance": allergy_intolerance,
    "MedicationStatement": medication_statement,
    "Condition": condition,
    "Immunization": immunization,
    "Observation": observation,
}


def _rows_for_actor(actor: Actor, patient_id: int, resource_type: str) -> list[Any]:
    """The items of one section as the policy lets ``actor`` read them (traced by the selectors);
    refusals raise ``NotFoundOrForbidden``."""
    if resource_type == "Immunization":
        from .vitals.selectors import vaccination_list_for_actor

        return list(vaccination_list_for_actor(actor=actor, patient_id=patient_id))
    if resource_type == "Observation":
        from .vitals.selectors import measurement_list_for_actor

        return list(measurement_list_for_actor(actor=actor, patient_id=patient_id))
    from .selectors import section_for_actor

    view = section_for_actor(
        actor=actor, patient_id=patient_id, section=PROFILE_RESOURCE_TYPES[resource_type]
    )
    return [item.row for item in view.items]


def fhir_search_for_actor(*, actor: Actor, patient: Person, resource_type: str) -> list[dict[str, Any]]:
    """``GET /fhir/<Type>?patient=``: the resources the policy lets ``actor`` read (a refusal is traced
    ``DENY`` and answers an empty list, like a record without consent)."""
    if resource_type not in PROFILE_RESOURCE_TYPES:
        raise NotFoundOrForbidden(gettext("Type de ressource non pris en charge."), code="not_found")
    try:
        rows = _rows_for_actor(actor, patient.pk, resource_type)
    except NotFoundOrForbidden:
        return []
    patient_ref = f"Patient/{patient.public_id}"
    return [_BUILDERS[resource_type](row, patient_ref) for row in rows]


_MODELS: dict[str, Any] = {
    "AllergyIntolerance": Allergy,
    "MedicationStatement": Treatment,
    "Condition": Disease,
    "Immunization": Vaccination,
    "Observation": Measurement,
}


def _owner(resource_type: str, resource_id: str) -> int | None:
    """Routing only (which record to ask the policy about): the patient id of an item's public id."""
    try:
        wanted = uuid.UUID(resource_id)
    except ValueError:
        return None
    model = _MODELS[resource_type]
    owner: int | None = model.objects.filter(public_id=wanted).values_list("patient_id", flat=True).first()
    return owner


def fhir_read_for_actor(*, actor: Actor, resource_type: str, resource_id: str) -> dict[str, Any]:
    """``GET /fhir/<Type>/<id>``: one resource; missing and refused answer the same ``NotFoundOrForbidden``
    (the refusal is traced by the selector)."""
    from carnet.identity.models import Person

    not_found = NotFoundOrForbidden(gettext("Ressource introuvable ou non autorisée."), code="not_found")
    if resource_type not in PROFILE_RESOURCE_TYPES:
        raise not_found
    patient_id = _owner(resource_type, resource_id)
    patient = Person.objects.filter(pk=patient_id).first() if patient_id is not None else None
    if patient is None:
        raise not_found
    if resource_type == "Immunization":
        from .vitals.selectors import vaccination_get_for_actor

        row: Any = vaccination_get_for_actor(
            actor=actor, patient_id=patient.pk, vaccination_public_id=resource_id
        )
    else:
        row = next(
            (r for r in _rows_for_actor(actor, patient.pk, resource_type) if str(r.public_id) == resource_id),
            None,
        )
        if row is None:
            raise not_found
    return _BUILDERS[resource_type](row, f"Patient/{patient.public_id}")
