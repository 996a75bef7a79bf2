"""Attachments (R-MSG-4): sniffed types, the per-message size budget, documents picked from the record,
saving a received attachment into the record; nothing half-written on refusal (invariant 9)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.messaging import services
from carnet.messaging.models import Attachment, AttachmentSource, Conversation
from carnet.records import codes
from carnet.records import selectors as record_selectors
from carnet.records.models import Document
from carnet.vault.models import Blob
from tests.messaging.builders import pdf_file, pro_writes, traces
from tests.records.helpers import EXE, PDF, PNG, World, deposit_pdf, pro_actor


def _blob_files(settings: Any) -> list[Path]:
    return list((Path(settings.DATA_DIR) / "blobs").glob("*/*.bin"))


def test_a_pdf_attachment_is_stored_encrypted_and_read_back(world: World, settings: Any) -> None:
    message = pro_writes(world, files=[pdf_file()])
    attachment = Attachment.objects.get()
    assert attachment.media_type == "application/pdf"
    assert attachment.size == len(PDF)
    assert b"bilan" not in bytes(attachment.filename_sealed)
    assert all(PDF not in path.read_bytes() for path in _blob_files(settings))
    _att, name, content = services.attachment_content(
        actor=world.holder, patient_id=world.patient.pk, attachment_public_id=attachment.public_id
    )
    assert (name, content) == ("bilan.pdf", PDF)
    assert message.attachments.count() == 1


def test_a_disguised_executable_is_refused_and_nothing_is_written_r_fmt_2(
    world: World, settings: Any
) -> None:
    with pytest.raises(DomainError) as refused:
        pro_writes(world, files=[services.IncomingFile("compte-rendu.pdf", EXE, "application/pdf")])
    assert refused.value.field == "attachments"
    assert refused.value.code == "unsupported_format"
    assert not Conversation.objects.exists()
    assert not Blob.objects.exists()
    assert _blob_files(settings) == []


def test_oversize_attachments_are_refused_with_msg_file_size_exceeded_error(
    world: World, settings: Any
) -> None:
    """R-MSG-4: the budget covers the whole message (two files of 600 bytes over a 1,000-byte budget)."""
    settings.CARNET_MESSAGE_ATTACHMENTS_MAX_BYTES = 1000
    big = PDF + b"0" * (600 - len(PDF))
    with pytest.raises(DomainError) as refused:
        pro_writes(world, files=[pdf_file("a.pdf", big), pdf_file("b.pdf", big)])
    assert refused.value.code == "MSG_FILE_SIZE_EXCEEDED_ERROR"
    assert refused.value.field == "attachments"
    assert not Conversation.objects.exists()
    assert not Blob.objects.exists()
    assert _blob_files(settings) == []


def test_the_default_budget_is_ten_megabytes(world: World) -> None:
    assert services.attachments_max_bytes() == 10 * 1024 * 1024


def test_the_patient_attaches_a_document_of_his_record_r_msg_4(world: World) -> None:
    document = deposit_pdf(world, world.gp, title="Compte rendu")
    first = pro_writes(world)
    reply = services.message_reply(
        actor=world.holder,
        patient_id=world.patient.pk,
        conversation_public_id=first.conversation.public_id,
        body="Voici mon compte rendu.",
        document_ids=[str(document.public_id)],
    )
    attachment = reply.attachments.get()
    assert attachment.source == AttachmentSource.RECORD
    assert attachment.source_document_id == document.public_id
    _att, name, content = services.attachment_content(
        actor=pro_actor(world.gp), attachment_public_id=attachment.public_id
    )
    assert name == "Compte rendu.pdf" and content == PDF


def test_a_document_the_patient_may_not_see_cannot_be_attached_r_mask_6(world: World) -> None:
    hidden = deposit_pdf(world, world.lab, title="Résultat", confidentiality=["INVISIBLE_PATIENT"])
    first = pro_writes(world)
    with pytest.raises(DomainError) as refused:
        services.message_reply(
            actor=world.holder,
            patient_id=world.patient.pk,
            conversation_public_id=first.conversation.public_id,
            body="Voici",
            document_ids=[str(hidden.public_id)],
        )
    assert refused.value.field == "documents"
    assert first.conversation.messages.count() == 1


def test_a_received_attachment_is_saved_into_the_record_as_a_patient_document(world: World) -> None:
    """R-MSG-4 with SPEC §2.6 / R-FMT-4: the holder deposits it (class 90, patient type, EXP_PATIENT), traced."""
    pro_writes(world, files=[pdf_file("ordonnance.pdf")])
    attachment = Attachment.objects.get()
    document = services.attachment_save_to_record(
        actor=world.holder, patient_id=world.patient.pk, attachment_public_id=attachment.public_id
    )
    assert document.class_code == "90"
    assert document.type_code in codes.PATIENT_TYPE_BY_CATEGORY.values()  # DOCPATxx / EXPPAT_2
    assert document.practice_setting == "EXP_PATIENT"
    assert document.title == "ordonnance"
    assert document.author_person == world.patient
    listed = record_selectors.document_list_for_actor(actor=world.holder, patient_id=world.patient.pk)
    assert document in listed
    _doc, content = record_selectors.document_content_for_actor(
        actor=world.holder, patient_id=world.patient.pk, document_public_id=document.public_id
    )
    assert content == PDF
    saved = traces(world, "MESSAGE_ATTACHMENT_SAVE")
    assert len(saved) == 1 and saved[0].details["document"] == str(document.public_id)
    assert len(traces(world, "DEPOSIT")) == 1
    attachment.refresh_from_db()
    assert attachment.saved_document_id == document.public_id


def test_an_attachment_is_saved_into_the_record_only_once(world: World) -> None:
    pro_writes(world, files=[pdf_file()])
    attachment = Attachment.objects.get()
    services.attachment_save_to_record(
        actor=world.holder, patient_id=world.patient.pk, attachment_public_id=attachment.public_id
    )
    with pytest.raises(DomainError) as refused:
        services.attachment_save_to_record(
            actor=world.holder, patient_id=world.patient.pk, attachment_public_id=attachment.public_id
        )
    assert refused.value.code == "already_saved"
    assert Document.objects.count() == 1


def test_a_professional_cannot_save_an_attachment_into_the_record_through_the_messaging(world: World) -> None:
    pro_writes(world, files=[pdf_file()])
    attachment = Attachment.objects.get()
    with pytest.raises(NotFoundOrForbidden):
        services.attachment_save_to_record(
            actor=pro_actor(world.gp), patient_id=world.patient.pk, attachment_public_id=attachment.public_id
        )
    assert not Document.objects.exists()


def test_another_professional_cannot_download_an_attachment(world: World) -> None:
    pro_writes(world, files=[pdf_file()])
    attachment = Attachment.objects.get()
    with pytest.raises(NotFoundOrForbidden):
        services.attachment_content(actor=pro_actor(world.dentist), attachment_public_id=attachment.public_id)
    assert len(traces(world, "MESSAGE_ATTACHMENT_DOWNLOAD", outcome="DENY")) == 1


def test_an_image_attachment_keeps_its_sniffed_type_whatever_its_name(world: World) -> None:
    pro_writes(world, files=[services.IncomingFile("photo.pdf", PNG, "")])
    assert Attachment.objects.get().media_type == "image/png"
