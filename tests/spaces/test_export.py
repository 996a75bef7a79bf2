"""R-LC-25/26, R-DEL-2: the asynchronous export (ZIP with JSON, FHIR R4 Bundle and PDF summary)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.patient import Patient
from pypdf import PdfReader

from carnet.common.errors import DomainError
from carnet.spaces import export as export_module
from carnet.spaces import services
from carnet.spaces.models import ExportRequest, ExportStatus
from carnet.vault.blobstore import blob_get
from tests.factories import DelegationFactory, PatientUserFactory

from .conftest import PASSWORD, assert_traced, caregiver_actor, patient_actor, space_of

pytestmark = pytest.mark.django_db


def _ready_export(user) -> ExportRequest:  # type: ignore[no-untyped-def]
    export = services.export_request(space=space_of(user), actor=patient_actor(user), user=user)
    assert export_module.export_build(export_id=export.pk) is True
    export.refresh_from_db()
    return export


def _archive(export: ExportRequest) -> zipfile.ZipFile:
    assert export.blob is not None
    return zipfile.ZipFile(io.BytesIO(blob_get(export.blob)))


def test_export_produces_a_zip_with_json_a_valid_fhir_bundle_and_a_pdf(holder, clock) -> None:
    """R-LC-25: donnees.json, fhir/Patient.json, fhir/Bundle.json (R4, INS identifier) and synthese.pdf."""
    export = _ready_export(holder)
    assert export.status == ExportStatus.READY
    assert export.available_at == clock.now()
    assert export.expires_at == clock.now() + timedelta(days=30)
    archive = _archive(export)
    assert {"donnees.json", "fhir/Patient.json", "fhir/Bundle.json", "synthese.pdf"} <= set(
        archive.namelist()
    )
    data = json.loads(archive.read("donnees.json"))
    assert data["identite"]["nom_naissance"] == holder.person.birth_name
    assert data["espace"]["statut"] == "ACTIVATED"
    assert any(h["action"] == "EXPORT_REQUESTED" for h in data["historique"])
    bundle = Bundle.model_validate_json(archive.read("fhir/Bundle.json"))
    assert bundle.type == "collection"
    patient = bundle.entry[0].resource
    assert isinstance(patient, Patient)
    assert patient.identifier[0].system == f"urn:oid:{holder.person.ins_oid}"
    assert patient.identifier[0].value == holder.person.ins_matricule
    Patient.model_validate_json(archive.read("fhir/Patient.json"))
    pdf = archive.read("synthese.pdf")
    assert pdf.startswith(b"%PDF")
    assert holder.person.birth_name in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert_traced(space_of(holder), "EXPORT_READY")


def test_export_build_is_idempotent(holder) -> None:
    """Re-running the task on a READY export builds nothing more."""
    export = _ready_export(holder)
    blob_id = export.blob_id
    assert export_module.export_build(export_id=export.pk) is False
    export.refresh_from_db()
    assert export.blob_id == blob_id
    assert export.attempts == 1


def test_export_fails_after_three_attempts(holder, monkeypatch) -> None:
    """A failing build counts attempts and ends FAILED after 3 (no half-written archive)."""
    export = services.export_request(space=space_of(holder), actor=patient_actor(holder), user=holder)

    def broken(ctx: export_module.ExportContext) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(export_module, "SECTIONS", [broken])
    for _ in range(3):
        assert export_module.export_build(export_id=export.pk) is False
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert export.attempts == 3
    assert export.blob is None
    assert export.last_error == "RuntimeError"


def test_sections_can_be_plugged_in(holder, monkeypatch) -> None:
    """Later issues add their data with ``register_section``."""

    def documents(ctx: export_module.ExportContext) -> None:
        ctx.data["documents"] = [{"titre": "exemple"}]
        ctx.files["documents/index.txt"] = b"1"

    monkeypatch.setattr(export_module, "SECTIONS", [*export_module.SECTIONS])
    export_module.register_section(documents)
    archive = _archive(_ready_export(holder))
    assert json.loads(archive.read("donnees.json"))["documents"] == [{"titre": "exemple"}]
    assert archive.read("documents/index.txt") == b"1"


def test_the_packages_above_add_their_sections_in_a_fixed_order(holder) -> None:
    """spaces imports none of them: accounts (devices, right after the delegations), records (documents)
    and profile (IPS summary) register their sections at start-up; the archive lists them in that order."""
    data = json.loads(_archive(_ready_export(holder)).read("donnees.json"))
    assert data["sections"] == [
        "section_identity",
        "section_space",
        "section_delegations",
        "section_devices",
        "section_history",
        "section_documents",
        "export_section_ips",
    ]
    assert data["appareils"] == {"nombre": 0}


def test_a_section_can_be_placed_after_another(holder, monkeypatch) -> None:
    def extra(ctx: export_module.ExportContext) -> None:
        ctx.data["extra"] = True

    monkeypatch.setattr(export_module, "SECTIONS", [*export_module.SECTIONS])
    export_module.register_section(extra, after=export_module.section_identity)
    export_module.register_section(extra, after=export_module.section_history)  # twice: harmless
    names = [s.__name__ for s in export_module.SECTIONS]
    assert names[:2] == ["section_identity", "extra"] and names.count("extra") == 1


def test_export_is_refused_to_a_caregiver(holder) -> None:
    """R-DEL-2: an aidant may not download the helped person's data."""
    caregiver = PatientUserFactory()
    DelegationFactory(subject=holder.person, delegate=caregiver.person, kind="CAREGIVING")
    with pytest.raises(DomainError) as error:
        services.export_request(space=space_of(holder), actor=caregiver_actor(caregiver), user=caregiver)
    assert error.value.code == "forbidden"
    assert not ExportRequest.objects.exists()


def test_export_remains_available_after_closure_until_deletion(holder, clock) -> None:
    """R-LC-26: export before and after closure; gone once the data are deleted."""
    services.space_close(
        space=space_of(holder),
        actor=patient_actor(holder),
        password=PASSWORD,
        user=holder,
        request_deletion=True,
    )
    export = _ready_export(holder)
    assert export.status == ExportStatus.READY
    clock.advance(days=91)
    services.spaces_apply_deadlines()
    assert not ExportRequest.objects.filter(pk=export.pk).exists()
    with pytest.raises(DomainError):
        services.export_request(space=space_of(holder), actor=patient_actor(holder), user=holder)


def test_export_archives_expire_after_the_retention_period(holder, clock) -> None:
    """R-LC-26 [I]: READY → EXPIRED after CARNET_EXPORT_RETENTION_DAYS, the blob is removed."""
    export = _ready_export(holder)
    clock.advance(days=31)
    assert services.spaces_apply_deadlines()["exports_expired"] == 1
    export.refresh_from_db()
    assert export.status == ExportStatus.EXPIRED
    assert export.blob is None
