"""Replacement, metadata update, deletion, masking (R-VER-1/2, R-DOC-10/11, R-MASK-1/3) and contents."""

from __future__ import annotations

from typing import Any

import pytest

from carnet.access.facts import Confidentiality
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.records import selectors, services
from carnet.records.models import Document, DocumentStatus
from carnet.spaces.models import HealthSpace
from carnet.vault.blobstore import patient_key_destroy
from carnet.vault.models import Blob
from tests.records.helpers import PDF, World, deposit_pdf, pro_actor, traces


def _patient_upload(world: World, n: int = 0) -> Document:
    return services.document_deposit(
        actor=world.holder, patient_id=world.patient.pk, content=PDF + bytes([n]), filename=f"doc{n}.pdf"
    )


def test_author_replaces_a_document(world: World) -> None:
    """R-VER-1: new version Approved replacing the old one, now Deprecated."""
    old = deposit_pdf(world, world.gp)
    new = services.document_replace(
        actor=pro_actor(world.gp),
        patient_id=world.patient.pk,
        document_public_id=old.public_id,
        content=PDF + b"v2",
        declared_media_type="application/pdf",
    )
    old.refresh_from_db()
    assert old.status == DocumentStatus.DEPRECATED and new.replaces == old
    assert new.status == DocumentStatus.APPROVED and new.type_code == old.type_code
    assert traces(world.patient, action="REPLACE")[0].details["replaces"] == str(old.public_id)


def test_a_deprecated_document_cannot_be_replaced_again(world: World) -> None:
    """R-VER-1: only the current version."""
    old = deposit_pdf(world, world.gp)
    services.document_replace(
        actor=pro_actor(world.gp), patient_id=world.patient.pk, document_public_id=old.public_id, content=PDF
    )
    with pytest.raises(NotFoundOrForbidden):
        services.document_replace(
            actor=pro_actor(world.gp),
            patient_id=world.patient.pk,
            document_public_id=old.public_id,
            content=PDF,
        )


def test_non_author_cannot_replace(world: World) -> None:
    """R-VER-2."""
    old = deposit_pdf(world, world.gp)
    with pytest.raises(NotFoundOrForbidden):
        services.document_replace(
            actor=pro_actor(world.hospital),
            patient_id=world.patient.pk,
            document_public_id=old.public_id,
            content=PDF,
        )
    assert Document.objects.filter(patient_id=world.patient.pk).count() == 1


def test_author_lifts_invisible_patient_early(world: World) -> None:
    """R-MASK-6: the author may lift the flag before the month is over (metadata update)."""
    doc = deposit_pdf(world, world.lab, confidentiality=["INVISIBLE_PATIENT"])
    updated = services.document_update_metadata(
        actor=pro_actor(world.lab),
        patient_id=world.patient.pk,
        document_public_id=doc.public_id,
        confidentiality=["N"],
    )
    assert updated.invisible_until is None and updated.confidentiality == ["N"]
    assert (
        selectors.document_get_for_actor(
            actor=world.holder, patient_id=world.patient.pk, document_public_id=doc.public_id
        ).pk
        == doc.pk
    )


def test_non_author_cannot_update_metadata(world: World) -> None:
    """R-VER-2: only the author updates metadata."""
    doc = deposit_pdf(world, world.gp)
    with pytest.raises(NotFoundOrForbidden):
        services.document_update_metadata(
            actor=pro_actor(world.hospital),
            patient_id=world.patient.pk,
            document_public_id=doc.public_id,
            title="x",
        )
    doc.refresh_from_db()
    assert doc.title == "Compte rendu de consultation"
    assert traces(world.patient, action="UPDATE_METADATA")[0].outcome == "DENY"


def test_author_deletes_his_document_leaving_a_tombstone(world: World) -> None:
    """R-VER-2, R-DOC-11: tombstone and trace kept, content erased."""
    doc = deposit_pdf(world, world.gp)
    services.document_delete_by_author(
        actor=pro_actor(world.gp), patient_id=world.patient.pk, document_public_id=doc.public_id
    )
    doc.refresh_from_db()
    assert doc.deleted_at is not None and doc.blob is None
    assert not Blob.objects.filter(patient_id=world.patient.pk).exists()
    assert traces(world.patient, action="DELETE", outcome="ALLOW")


def test_patient_deletes_his_own_uploads_in_bulk(world: World) -> None:
    """Appendix B 11, R-DOC-10: own uploads deleted (≤ 10)."""
    docs = [_patient_upload(world, n) for n in range(3)]
    deleted = services.documents_delete_by_patient(
        actor=world.holder, patient_id=world.patient.pk, document_ids=[d.public_id for d in docs]
    )
    assert len(deleted) == 3
    assert Document.objects.filter(patient_id=world.patient.pk, deleted_at__isnull=True).count() == 0


def test_patient_cannot_delete_a_document_deposited_by_his_gp(world: World) -> None:
    """Appendix B 11, R-DOC-10: refused with the R-DOC-10 message; nothing deleted (all or nothing)."""
    own = _patient_upload(world)
    gp_doc = deposit_pdf(world, world.gp)
    with pytest.raises(DomainError) as info:
        services.documents_delete_by_patient(
            actor=world.holder, patient_id=world.patient.pk, document_ids=[own.public_id, gp_doc.public_id]
        )
    assert info.value.code == "not_deletable" and info.value.field == "document_ids"
    assert Document.objects.filter(patient_id=world.patient.pk, deleted_at__isnull=True).count() == 2


def test_patient_cannot_delete_eleven_documents_at_once(world: World) -> None:
    """R-FMT-3 / Appendix B 11: at most 10 per bulk action."""
    docs = [_patient_upload(world, n) for n in range(11)]
    with pytest.raises(DomainError) as info:
        services.documents_delete_by_patient(
            actor=world.holder, patient_id=world.patient.pk, document_ids=[d.public_id for d in docs]
        )
    assert info.value.code == "too_many"
    assert Document.objects.filter(patient_id=world.patient.pk, deleted_at__isnull=True).count() == 11


def test_patient_masks_and_unmasks_any_document(world: World) -> None:
    """R-MASK-1."""
    doc = deposit_pdf(world, world.gp)
    masked = services.document_mask(
        actor=world.holder, patient_id=world.patient.pk, document_public_id=doc.public_id
    )
    assert masked.confidentiality == [Confidentiality.MASQUE_PS]
    unmasked = services.document_unmask(
        actor=world.holder, patient_id=world.patient.pk, document_public_id=doc.public_id
    )
    assert unmasked.confidentiality == ["N"]
    assert [t.action for t in traces(world.patient, action__in=["MASK", "UNMASK"])] == ["MASK", "UNMASK"]


def test_a_professional_cannot_mask(world: World) -> None:
    """R-MASK-1: masking is the holder's choice."""
    doc = deposit_pdf(world, world.gp)
    with pytest.raises(NotFoundOrForbidden):
        services.document_mask(
            actor=pro_actor(world.gp), patient_id=world.patient.pk, document_public_id=doc.public_id
        )


def test_mask_all_masks_existing_documents_and_sets_the_preference(world: World) -> None:
    """R-MASK-3."""
    deposit_pdf(world, world.gp)
    assert services.space_set_mask_all(actor=world.holder, patient_id=world.patient.pk, enabled=True) == 1
    assert HealthSpace.objects.get(pk=world.space.pk).mask_all_by_default is True
    assert Document.objects.get(patient_id=world.patient.pk).confidentiality == ["MASQUE_PS"]


def test_content_round_trips_and_is_traced_as_download(world: World) -> None:
    """Invariant 4: decrypted, hash checked; DOWNLOAD traced."""
    doc = deposit_pdf(world, world.gp)
    _doc, content = selectors.document_content_for_actor(
        actor=world.holder, patient_id=world.patient.pk, document_public_id=doc.public_id
    )
    assert content == PDF
    assert traces(world.patient, action="DOWNLOAD")[0].outcome == "ALLOW"


def test_destroyed_patient_key_makes_content_unreadable(world: World) -> None:
    """Invariant 4 (crypto-shredding): a clear error, traced as ERROR."""
    doc = deposit_pdf(world, world.gp)
    patient_key_destroy(world.patient.pk)
    with pytest.raises(DomainError) as info:
        selectors.document_content_for_actor(
            actor=world.holder, patient_id=world.patient.pk, document_public_id=doc.public_id
        )
    assert info.value.code == "content_erased"
    assert traces(world.patient, action="DOWNLOAD")[0].outcome == "ERROR"


def test_tampered_content_fails_its_integrity_check(world: World, settings: Any) -> None:
    from pathlib import Path

    doc = deposit_pdf(world, world.gp)
    (path,) = list((Path(settings.DATA_DIR) / "blobs").glob("*/*.bin"))
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(DomainError) as info:
        selectors.document_content_for_actor(
            actor=world.holder, patient_id=world.patient.pk, document_public_id=doc.public_id
        )
    assert info.value.code == "content_corrupted"
