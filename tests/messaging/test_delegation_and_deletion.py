"""Caregivers (R-DEL-2, R-MSG-4 marking), legal representatives of a minor (R-MIN-1), permanent deletion
by the holder's side (R-MSG-6)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from carnet.common.actors import ActorKind
from carnet.common.errors import NotFoundOrForbidden
from carnet.messaging import selectors, services
from carnet.messaging.models import Attachment, Conversation, Message, Side
from carnet.notifications.models import OutboxMessage
from carnet.vault.models import Blob
from tests.messaging.builders import caregiver_actor, caregiver_of, pdf_file, pro_writes, traces
from tests.records.helpers import World, add_parent, make_world, person_actor, pro_actor


def test_a_caregiver_reads_and_replies_and_his_message_is_marked_r_del_2(world: World) -> None:
    helper = caregiver_of(world)
    first = pro_writes(world)
    actor = caregiver_actor(helper)
    opened = services.conversation_read(
        actor=actor, patient_id=world.patient.pk, conversation_public_id=first.conversation.public_id
    )
    assert len(opened.messages) == 1
    reply = services.message_reply(
        actor=actor,
        patient_id=world.patient.pk,
        conversation_public_id=first.conversation.public_id,
        body="Merci",
    )
    assert reply.delegate_kind == ActorKind.CAREGIVER
    assert reply.delegate_label == helper.display_name
    assert reply.author_label == world.patient.display_name
    assert traces(world, "MESSAGE_SEND")[-1].details["written_by"] == "CAREGIVER"
    seen_by_pro = services.conversation_read(
        actor=pro_actor(world.gp), conversation_public_id=first.conversation.public_id
    )
    marked = [m for m, _b, _a in seen_by_pro.messages if m.side == Side.PATIENT]
    assert marked[0].delegate_label == helper.display_name


def test_a_caregiver_starts_a_message_to_a_professional_who_wrote_r_del_2(world: World) -> None:
    helper = caregiver_of(world)
    pro_writes(world)
    message = services.conversation_start(
        actor=caregiver_actor(helper),
        patient_id=world.patient.pk,
        recipient_public_id=str(world.gp.public_id),
        subject="Pour ma mère",
        body="Bonjour docteur",
    )
    assert message.delegate_kind == ActorKind.CAREGIVER


def test_a_caregiver_cannot_delete_a_conversation_r_del_2(world: World) -> None:
    helper = caregiver_of(world)
    first = pro_writes(world)
    with pytest.raises(NotFoundOrForbidden):
        services.conversation_delete(
            actor=caregiver_actor(helper),
            patient_id=world.patient.pk,
            conversation_public_id=first.conversation.public_id,
        )
    assert Conversation.objects.get().deleted_by_patient_at is None


def test_a_person_without_delegation_cannot_read_the_messaging(world: World) -> None:
    stranger = make_world().patient
    pro_writes(world)
    with pytest.raises(NotFoundOrForbidden):
        selectors.inbox_for_patient(
            actor=person_actor(stranger, ActorKind.CAREGIVER), patient_id=world.patient.pk
        )


def test_a_legal_representative_reads_and_replies_for_a_minor_r_min_1(db: None, clock: Any) -> None:
    world = make_world(birth_date=date(2014, 3, 1))
    parent = add_parent(world)
    first = pro_writes(world)
    notified = set(OutboxMessage.objects.values_list("address", flat=True))
    assert {world.patient.email, parent.email} <= notified
    actor = person_actor(parent, ActorKind.LEGAL_REPRESENTATIVE)
    rows = selectors.inbox_for_patient(actor=actor, patient_id=world.patient.pk)
    assert [r.public_id for r in rows] == [first.conversation.public_id]
    reply = services.message_reply(
        actor=actor,
        patient_id=world.patient.pk,
        conversation_public_id=first.conversation.public_id,
        body="Merci",
    )
    assert reply.delegate_kind == ActorKind.LEGAL_REPRESENTATIVE
    assert reply.author_label == world.patient.display_name


def test_a_parent_loses_the_messaging_of_his_child_at_majority_r_min_7(db: None, clock: Any) -> None:
    world = make_world(birth_date=date(2008, 1, 10))
    parent = add_parent(world)
    pro_writes(world)
    clock.advance(days=10)
    with pytest.raises(NotFoundOrForbidden):
        selectors.inbox_for_patient(
            actor=person_actor(parent, ActorKind.LEGAL_REPRESENTATIVE), patient_id=world.patient.pk
        )


def test_deleting_a_conversation_erases_texts_and_attachment_blobs_for_good_r_msg_6(
    world: World, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    first = pro_writes(world, files=[pdf_file()])
    services.message_reply(
        actor=world.holder,
        patient_id=world.patient.pk,
        conversation_public_id=first.conversation.public_id,
        body="Réponse",
        files=[pdf_file("mon-scan.pdf")],
    )
    with django_capture_on_commit_callbacks(execute=True):  # the blob files go once the deletion commits
        conversation = services.conversation_delete(
            actor=world.holder,
            patient_id=world.patient.pk,
            conversation_public_id=first.conversation.public_id,
        )
    assert conversation.deleted_by_patient_at is not None
    assert bytes(Conversation.objects.get().subject_sealed) == b""
    assert all(bytes(m.body_sealed) == b"" and m.erased_at for m in Message.objects.all())
    assert not Blob.objects.exists()
    assert all(a.blob_id is None and a.erased_at for a in Attachment.objects.all())
    assert list((Path(settings.DATA_DIR) / "blobs").glob("*/*.bin")) == []
    assert traces(world, "MESSAGE_DELETE")[0].details == {"rule": "R-MSG-6", "messages": 2, "attachments": 2}


def test_a_deleted_conversation_is_gone_for_the_holder_and_empty_for_the_professional_r_msg_6(
    world: World,
) -> None:
    first = pro_writes(world)
    conversation_id = first.conversation.public_id
    services.conversation_delete(
        actor=world.holder, patient_id=world.patient.pk, conversation_public_id=conversation_id
    )
    assert selectors.inbox_for_patient(actor=world.holder, patient_id=world.patient.pk) == []
    with pytest.raises(NotFoundOrForbidden):
        services.conversation_read(
            actor=world.holder, patient_id=world.patient.pk, conversation_public_id=conversation_id
        )
    opened = services.conversation_read(actor=pro_actor(world.gp), conversation_public_id=conversation_id)
    assert opened.reply_mode == "DELETED" and opened.subject == ""
    assert [body for _m, body, _a in opened.messages] == [""]
    with pytest.raises(NotFoundOrForbidden):
        services.message_reply(
            actor=pro_actor(world.gp), conversation_public_id=conversation_id, body="Encore"
        )


def test_a_professional_cannot_delete_the_patients_conversation_r_msg_6(world: World) -> None:
    first = pro_writes(world)
    with pytest.raises(NotFoundOrForbidden):
        services.conversation_delete(
            actor=pro_actor(world.gp),
            patient_id=world.patient.pk,
            conversation_public_id=first.conversation.public_id,
        )
    assert Conversation.objects.get().deleted_by_patient_at is None
