"""Drafts (R-MSG-4), read/unread, traces of send and read (invariant 2), notifications (R-MSG-5), search in
one's own messages, encryption at rest (invariant 4)."""

from __future__ import annotations

import pytest

from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.messaging import selectors, services
from carnet.messaging.models import Conversation, Message
from carnet.notifications.models import OutboxMessage
from tests.messaging.builders import BODY, SUBJECT, patient_replies, pdf_file, pro_writes, traces
from tests.records.helpers import World, make_world, pro_actor

# --- drafts -----------------------------------------------------------------------------------------------


def test_a_professional_saves_a_draft_the_patient_does_not_see_r_msg_4(world: World) -> None:
    draft = pro_writes(world, draft=True)
    assert draft.is_draft and draft.sent_at is None
    assert selectors.inbox_for_patient(actor=world.holder, patient_id=world.patient.pk) == []
    assert not OutboxMessage.objects.exists()
    assert [d.public_id for d in selectors.drafts_for_professional(actor=pro_actor(world.gp))] == [
        draft.public_id
    ]


def test_a_conversation_holding_only_a_professionals_draft_is_not_found_by_the_patient(world: World) -> None:
    draft = pro_writes(world, draft=True)
    with pytest.raises(NotFoundOrForbidden):
        services.conversation_read(
            actor=world.holder,
            patient_id=world.patient.pk,
            conversation_public_id=draft.conversation.public_id,
        )


def test_a_draft_is_updated_then_sent_with_its_attachments_r_msg_4(world: World) -> None:
    draft = pro_writes(world, draft=True, body="Brouillon")
    services.draft_update(
        actor=pro_actor(world.gp), message_public_id=draft.public_id, body="Version 2", files=[pdf_file()]
    )
    sent = services.draft_send(
        actor=pro_actor(world.gp), message_public_id=draft.public_id, body="Version finale"
    )
    assert not sent.is_draft and sent.attachments.count() == 1
    opened = services.conversation_read(
        actor=world.holder, patient_id=world.patient.pk, conversation_public_id=sent.conversation.public_id
    )
    assert [body for _m, body, _a in opened.messages] == ["Version finale"]
    assert OutboxMessage.objects.count() == 1


def test_the_patient_drafts_a_reply_and_the_professional_does_not_see_it(world: World) -> None:
    first = pro_writes(world)
    draft = patient_replies(world, first, body="Je réfléchis…", draft=True)
    opened = services.conversation_read(
        actor=pro_actor(world.gp), conversation_public_id=first.conversation.public_id
    )
    assert draft.public_id not in [m.public_id for m, _b, _a in opened.messages]
    rows = selectors.drafts_for_patient(actor=world.holder, patient_id=world.patient.pk)
    assert [r.public_id for r in rows] == [draft.public_id]


def test_a_patient_draft_cannot_be_sent_after_the_professional_ended_the_exchange_r_msg_3(
    world: World,
) -> None:
    first = pro_writes(world)
    draft = patient_replies(world, first, body="Brouillon", draft=True)
    services.conversation_end(actor=pro_actor(world.gp), conversation_public_id=first.conversation.public_id)
    with pytest.raises(DomainError) as refused:
        services.draft_send(
            actor=world.holder, patient_id=world.patient.pk, message_public_id=draft.public_id, body="Envoi"
        )
    assert refused.value.code == services.REPLY_BLOCKED
    assert Message.objects.get(pk=draft.pk).is_draft


def test_a_deleted_draft_leaves_no_message_no_conversation_and_no_blob(world: World) -> None:
    from carnet.vault.models import Blob

    draft = pro_writes(world, draft=True, files=[pdf_file()])
    services.draft_delete(actor=pro_actor(world.gp), message_public_id=draft.public_id)
    assert not Message.objects.exists()
    assert not Conversation.objects.exists()
    assert not Blob.objects.exists()


def test_another_professional_cannot_touch_a_draft(world: World) -> None:
    draft = pro_writes(world, draft=True)
    with pytest.raises(NotFoundOrForbidden):
        services.draft_send(actor=pro_actor(world.dentist), message_public_id=draft.public_id, body="Envoi")
    with pytest.raises(NotFoundOrForbidden):
        services.draft_delete(actor=pro_actor(world.dentist), message_public_id=draft.public_id)
    assert Message.objects.get().is_draft


# --- read / unread, traces, notifications ----------------------------------------------------------------


def test_the_inbox_shows_unread_conversations_first(world: World, clock: object) -> None:
    older = pro_writes(world, subject="Ancien")
    clock.advance(hours=1)  # type: ignore[attr-defined]
    newer = pro_writes(world, subject="Récent")
    services.conversation_read(
        actor=world.holder, patient_id=world.patient.pk, conversation_public_id=newer.conversation.public_id
    )
    rows = selectors.inbox_for_patient(actor=world.holder, patient_id=world.patient.pk)
    assert [r.subject for r in rows] == ["Ancien", "Récent"]
    assert [r.unread for r in rows] == [1, 0]
    assert older.conversation.public_id == rows[0].public_id


def test_opening_marks_read_and_mark_unread_brings_it_back(world: World) -> None:
    message = pro_writes(world)
    conversation_id = message.conversation.public_id
    services.conversation_read(
        actor=world.holder, patient_id=world.patient.pk, conversation_public_id=conversation_id
    )
    assert Message.objects.get().read_at is not None
    services.conversation_mark_unread(
        actor=world.holder, patient_id=world.patient.pk, conversation_public_id=conversation_id
    )
    assert Message.objects.get().read_at is None
    assert selectors.unread_count_for_patient(actor=world.holder, patient_id=world.patient.pk) == 1


def test_send_and_read_are_traced_without_content(world: World) -> None:
    message = pro_writes(world)
    services.conversation_read(
        actor=world.holder, patient_id=world.patient.pk, conversation_public_id=message.conversation.public_id
    )
    sent = traces(world, "MESSAGE_SEND")
    read = traces(world, "MESSAGE_READ")
    assert len(sent) == 1 and sent[0].object_id == str(message.public_id)
    assert len(read) == 1 and read[0].object_id == str(message.conversation.public_id)
    for entry in sent + read:
        assert SUBJECT not in str(entry.details) and BODY not in str(entry.details)


def test_a_notification_is_queued_once_per_message_and_carries_no_content_r_msg_5(world: World) -> None:
    message = pro_writes(world)
    notices = list(OutboxMessage.objects.filter(template="messaging_new_message"))
    assert len(notices) == 1
    assert notices[0].address == world.patient.email
    assert notices[0].params["sender"] == world.gp.display_name
    from carnet.notifications.templates_catalogue import render

    subject, body = render(notices[0].template, notices[0].params, "fr")
    assert SUBJECT not in subject + body and "TSH" not in body
    assert "mot de passe" in body  # "Carnet ne vous demandera jamais votre mot de passe"
    patient_replies(world, message)
    assert OutboxMessage.objects.filter(template="messaging_new_message").count() == 1
    assert OutboxMessage.objects.filter(template="messaging_new_message_pro").count() == 1


# --- search -----------------------------------------------------------------------------------------------


def test_search_finds_subjects_and_bodies_ignoring_case_and_accents(world: World) -> None:
    pro_writes(world, subject="Résultats thyroïde", body="Rien de particulier")
    pro_writes(world, subject="Vaccin", body="Rappel DTP prévu en février")
    by_subject = selectors.search_for_patient(
        actor=world.holder, patient_id=world.patient.pk, query="THYROIDE"
    )
    by_body = selectors.search_for_patient(actor=world.holder, patient_id=world.patient.pk, query="fevrier")
    assert [r.subject for r in by_subject] == ["Résultats thyroïde"]
    assert [r.subject for r in by_body] == ["Vaccin"]
    assert traces(world, "MESSAGE_SEARCH")[0].details == {"rule": "R-MSG-1", "count": 1}


def test_search_finds_only_ones_own_messages(world: World) -> None:
    other = make_world()
    pro_writes(world, subject="Mon bilan", body="glycémie")
    pro_writes(other, professional=world.gp, subject="Son bilan", body="glycémie")
    mine = selectors.search_for_patient(actor=world.holder, patient_id=world.patient.pk, query="glycémie")
    assert [r.subject for r in mine] == ["Mon bilan"]
    pro_writes(world, professional=world.dentist, subject="Détartrage", body="glycémie aussi")
    gp_hits = selectors.search_for_professional(actor=pro_actor(world.gp), query="glycémie")
    assert sorted(r.subject for r in gp_hits) == ["Mon bilan", "Son bilan"]
    dentist_hits = selectors.search_for_professional(actor=pro_actor(world.dentist), query="glycémie")
    assert [r.subject for r in dentist_hits] == ["Détartrage"]


def test_a_too_short_search_is_refused_with_its_field(world: World) -> None:
    with pytest.raises(DomainError) as refused:
        selectors.search_for_patient(actor=world.holder, patient_id=world.patient.pk, query="a")
    assert refused.value.field == "q"


# --- encryption at rest -----------------------------------------------------------------------------------


def test_subjects_and_bodies_are_encrypted_at_rest_with_the_patient_key(world: World) -> None:
    from carnet.vault.blobstore import patient_key_destroy

    message = pro_writes(world)
    conversation = Conversation.objects.get()
    assert SUBJECT.encode() not in bytes(conversation.subject_sealed)
    assert BODY.encode() not in bytes(Message.objects.get().body_sealed)
    patient_key_destroy(world.patient.pk)  # crypto-shredding (invariant 4)
    from carnet.vault.blobstore import KeyDestroyed

    with pytest.raises(KeyDestroyed):
        services.conversation_read(
            actor=world.holder,
            patient_id=world.patient.pk,
            conversation_public_id=message.conversation.public_id,
        )
