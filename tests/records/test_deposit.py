"""Deposits (SPEC §2.6, §2.7, R-DOC-1, R-FMT-1..4, R-LC-14, R-MASK-3, R-MASK-6) and invariant 9."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from carnet.access.facts import Confidentiality
from carnet.audit.models import Trace
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.records import services
from carnet.records.models import AuthorKind, Document, DocumentStatus
from carnet.spaces.models import HealthSpace, SpaceStatus
from carnet.vault.models import Blob
from tests.records.helpers import (
    EXE,
    PDF,
    PNG,
    World,
    cda,
    deposit_pdf,
    make_world,
    org_actor,
    person_actor,
    pro_actor,
    traces,
)


def _blob_files() -> list[Path]:
    return list((Path(settings.DATA_DIR) / "blobs").glob("*/*.bin"))


def _assert_nothing_written(world: World) -> None:
    """Invariant 9: no Document row, no Blob row, no blob file, no success trace."""
    assert not Document.objects.filter(patient_id=world.patient.pk).exists()
    assert not Blob.objects.filter(patient_id=world.patient.pk).exists()
    assert _blob_files() == []
    assert not Trace.objects.filter(patient_id=world.patient.pk, outcome="ALLOW").exists()


def test_professional_deposits_a_pdf_with_the_class_deduced_from_the_type(world: World) -> None:
    """R-DOC-1 / SPEC §2.1: classCode deduced from typeCode (provisional ASS_X16 table)."""
    doc = deposit_pdf(world, world.gp)
    assert (doc.type_code, doc.class_code, doc.patient_category) == ("11488-4", "10", "CPT_REND")
    assert doc.author_kind == AuthorKind.PROFESSIONAL and doc.author_professional == world.gp
    assert doc.confidentiality == ["N"] and doc.status == DocumentStatus.APPROVED
    assert doc.media_type == "application/pdf" and doc.size == len(PDF)


def test_deposit_is_traced_in_the_patients_chain(world: World) -> None:
    """Invariant 2: one DEPOSIT trace, no title nor type in it."""
    doc = deposit_pdf(world, world.gp)
    (entry,) = traces(world.patient, action="DEPOSIT")
    assert entry.object_id == str(doc.public_id) and entry.outcome == "ALLOW"
    assert "Compte rendu" not in str(entry.details) and "11488-4" not in str(entry.details)


def test_content_is_stored_encrypted(world: World) -> None:
    """Invariant 4: the file on disk is not the plaintext."""
    deposit_pdf(world, world.gp)
    (path,) = _blob_files()
    assert PDF not in path.read_bytes()


def test_type_not_accepted_by_the_dmp_is_refused(world: World) -> None:
    """R-DOC-1: FEUILLE-DE-STYLE is in J07 but not accepted by the DMP."""
    with pytest.raises(DomainError) as info:
        deposit_pdf(world, world.gp, type_code="FEUILLE-DE-STYLE")
    assert info.value.field == "type_code"
    _assert_nothing_written(world)


def test_unknown_confidentiality_code_is_refused(world: World) -> None:
    """§2.4: codes are validated against J08."""
    with pytest.raises(DomainError) as info:
        deposit_pdf(world, world.gp, confidentiality=["SECRET"])
    assert info.value.field == "confidentiality"
    _assert_nothing_written(world)


def test_professional_cannot_deposit_an_image(world: World) -> None:
    """R-FMT-1: professional documents are PDF or CDA R2."""
    with pytest.raises(DomainError) as info:
        services.document_deposit(
            actor=pro_actor(world.gp),
            patient_id=world.patient.pk,
            content=PNG,
            type_code="11488-4",
            title="x",
        )
    assert info.value.code == "unsupported_format"
    _assert_nothing_written(world)


def test_cda_header_fills_the_metadata(world: World) -> None:
    """R-FMT-1: typeCode, title, confidentiality and date of care read from the CDA header."""
    doc = services.document_deposit(
        actor=pro_actor(world.gp), patient_id=world.patient.pk, content=cda(world.patient), filename="cr.xml"
    )
    assert (doc.type_code, doc.title, doc.media_type) == ("11488-4", "Compte rendu", "text/xml")
    assert doc.service_start is not None and doc.service_start.isoformat() == "2026-01-04"


def test_cda_with_another_patients_ins_is_refused(world: World) -> None:
    """R-FMT-1: the CDA's recordTarget must carry the patient's INS."""
    other = make_world().patient
    with pytest.raises(DomainError) as info:
        services.document_deposit(
            actor=pro_actor(world.gp), patient_id=world.patient.pk, content=cda(other), filename="cr.xml"
        )
    assert info.value.field == "ins"
    _assert_nothing_written(world)


def test_cda_whose_type_differs_from_the_metadata_is_refused(world: World) -> None:
    with pytest.raises(DomainError) as info:
        services.document_deposit(
            actor=pro_actor(world.gp),
            patient_id=world.patient.pk,
            content=cda(world.patient, type_code="11502-2"),
            type_code="11488-4",
        )
    assert info.value.field == "type_code"
    _assert_nothing_written(world)


def test_cda_with_a_doctype_is_refused(world: World) -> None:
    """XML entity attacks: DOCTYPE/ENTITY declarations are refused before parsing."""
    doctype = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
    with pytest.raises(DomainError) as info:
        services.document_deposit(
            actor=pro_actor(world.gp),
            patient_id=world.patient.pk,
            content=cda(world.patient, doctype=doctype),
        )
    assert info.value.field == "content" and info.value.code == "invalid_cda"
    _assert_nothing_written(world)


def test_establishment_software_deposits_for_its_organisation(world: World) -> None:
    """R-DEP-6: an establishment's software deposits; the organisation is the author."""
    doc = services.document_deposit(
        actor=org_actor(world.lab_org),
        patient_id=world.patient.pk,
        content=cda(world.patient, type_code="11502-2"),
    )
    assert doc.author_kind == AuthorKind.ORGANISATION and doc.author_organisation == world.lab_org
    assert doc.class_code == "10" and doc.patient_category == "BIOLOGIE"


def test_professional_deposits_before_activation(db: Any, clock: Any) -> None:
    """R-LC-14: before activation the record is fed by professionals."""
    world = make_world(status=SpaceStatus.OPEN_NOT_ACTIVATED)
    assert deposit_pdf(world, world.gp).pk is not None


@pytest.mark.parametrize("status", [SpaceStatus.OPPOSED, SpaceStatus.CLOSED, SpaceStatus.DELETED])
def test_no_deposit_on_an_opposed_closed_or_deleted_space(db: Any, clock: Any, status: str) -> None:
    """R-LC-1, R-LC-21, R-LC-22: refused with the same 'not found' answer, DENY traced."""
    world = make_world(status=status)
    with pytest.raises(NotFoundOrForbidden):
        deposit_pdf(world, world.gp)
    _assert_nothing_written(world)
    assert traces(world.patient, action="DEPOSIT", outcome="DENY")


def test_patient_upload_is_wrapped_as_class_90_from_its_category(world: World) -> None:
    """R-FMT-2/4: type sniffed from content; class 90, DOCPATxx, EXP_PATIENT."""
    doc = services.document_deposit(
        actor=world.holder,
        patient_id=world.patient.pk,
        content=PNG,
        filename="radio.png",
        declared_media_type="image/png",
        category="RADIO_SC",
    )
    assert (doc.class_code, doc.type_code, doc.practice_setting) == ("90", "DOCPAT04", "EXP_PATIENT")
    assert doc.author_kind == AuthorKind.PATIENT and doc.author_person == world.patient
    assert doc.media_type == "image/png" and doc.title == "radio" and doc.patient_category == "RADIO_SC"


def test_patient_upload_type_is_sniffed_not_taken_from_the_name(world: World) -> None:
    """R-FMT-2: an executable named .pdf and declared application/pdf is refused."""
    with pytest.raises(DomainError) as info:
        services.document_deposit(
            actor=world.holder,
            patient_id=world.patient.pk,
            content=EXE,
            filename="ordonnance.pdf",
            declared_media_type="application/pdf",
        )
    assert info.value.code == "unsupported_format" and info.value.field == "content"
    _assert_nothing_written(world)


def test_patient_upload_whose_content_contradicts_the_declared_type_is_refused(world: World) -> None:
    with pytest.raises(DomainError) as info:
        services.document_deposit(
            actor=world.holder,
            patient_id=world.patient.pk,
            content=PNG,
            declared_media_type="application/pdf",
        )
    assert info.value.code == "media_type_mismatch"
    _assert_nothing_written(world)


def test_patient_upload_of_six_megabytes_is_refused(world: World) -> None:
    """R-FMT-3: 5 MB at most."""
    content = PDF + b"0" * (6 * 1024 * 1024)
    with pytest.raises(DomainError) as info:
        services.document_deposit(
            actor=world.holder, patient_id=world.patient.pk, content=content, filename="a.pdf"
        )
    assert info.value.code == "too_large" and info.value.field == "content"
    _assert_nothing_written(world)


def test_patient_cannot_set_professional_confidentiality_codes(world: World) -> None:
    with pytest.raises(DomainError) as info:
        services.document_deposit(
            actor=world.holder,
            patient_id=world.patient.pk,
            content=PDF,
            filename="a.pdf",
            confidentiality=["INVISIBLE_PATIENT"],
        )
    assert info.value.field == "confidentiality"
    _assert_nothing_written(world)


def test_patient_cannot_deposit_before_activation(db: Any, clock: Any) -> None:
    """R-LC-14: only professionals act on a space not yet activated (policy decision)."""
    world = make_world(status=SpaceStatus.OPEN_NOT_ACTIVATED)
    with pytest.raises(NotFoundOrForbidden):
        services.document_deposit(
            actor=world.holder, patient_id=world.patient.pk, content=PDF, filename="a.pdf"
        )
    _assert_nothing_written(world)


def test_mask_all_by_default_masks_new_documents(world: World) -> None:
    """R-MASK-3: new documents arrive with MASQUE_PS."""
    HealthSpace.objects.filter(pk=world.space.pk).update(mask_all_by_default=True)
    doc = deposit_pdf(world, world.gp)
    assert doc.confidentiality == [Confidentiality.MASQUE_PS]


def test_invisible_patient_document_gets_its_release_date(world: World, clock: Any) -> None:
    """R-MASK-6: invisible_until = deposit + 1 month."""
    doc = deposit_pdf(world, world.lab, confidentiality=["INVISIBLE_PATIENT"])
    assert doc.invisible_until is not None
    assert doc.invisible_until.date().isoformat() == "2026-02-05"


def test_a_failure_while_storing_removes_the_encrypted_file(world: World, monkeypatch: Any) -> None:
    """Invariant 9: a crash after the blob was written leaves no file and no row."""

    def boom(**kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("carnet.records.services.trace", boom)
    with pytest.raises(RuntimeError):
        deposit_pdf(world, world.gp)
    _assert_nothing_written(world)


def test_occupational_doctor_cannot_deposit_without_express_consent(world: World) -> None:
    """R-AC-2."""
    from carnet.access.models import ProfessionalQualification
    from carnet.common import clock

    ProfessionalQualification.objects.create(
        professional=world.hospital, is_occupational_doctor=True, updated_at=clock.now()
    )
    with pytest.raises(NotFoundOrForbidden):
        deposit_pdf(world, world.hospital)
    assert traces(world.patient, action="DEPOSIT", outcome="DENY")[0].details["rule"] == "R-AC-2"


def test_patient_deposit_by_pro_actor_from_a_user_account(world: World) -> None:
    """The gateway resolves a web-session professional actor (common.users.actor_for_user)."""
    from carnet.accounts.models import Role, User
    from carnet.common.users import actor_for_user

    user = User.objects.create_user(
        username="dr", password="x-Motdepasse-1", role=Role.PROFESSIONAL, professional=world.gp
    )
    doc = services.document_deposit(
        actor=actor_for_user(user), patient_id=world.patient.pk, content=PDF, type_code="11488-4", title="CR"
    )
    assert doc.author_professional == world.gp
    assert person_actor(world.patient).kind == "PATIENT"
