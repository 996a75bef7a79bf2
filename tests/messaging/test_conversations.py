"""Starting, replying, ending (SPEC §5 R-MSG-1..3, R-DEP-5, R-BLK-2, Appendix B scenario 9)."""

from __future__ import annotations

import pytest

from carnet.access import services as access_services
from carnet.common.actors import Actor
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.messaging import services
from carnet.messaging.models import Conversation, ConversationStatus, Message, Side
from tests.messaging.builders import BODY, SUBJECT, patient_replies, pro_writes, traces
from tests.records.helpers import World, org_actor, person_actor, pro_actor


def test_a_professional_writes_to_a_patient_without_consent_to_consult_r_msg_2_r_dep_5(world: World) -> None:
    message = pro_writes(world)
    conversation = message.conversation
    assert conversation.patient_id == world.patient.pk
    assert conversation.professional == world.gp
    assert conversation.started_by_side == Side.PROFESSIONAL
    assert message.sent_at is not None and not message.is_draft
    opened = services.conversation_read(
        actor=world.holder, patient_id=world.patient.pk, conversation_public_id=conversation.public_id
    )
    assert opened.subject == SUBJECT
    assert [body for _m, body, _a in opened.messages] == [BODY]


def test_a_blocked_professional_can_still_write_to_the_patient_r_blk_2(world: World) -> None:
    access_services.professional_block(actor=world.holder, patient_id=world.patient.pk, professional=world.gp)
    message = pro_writes(world)
    assert message.sent_at is not None


def test_an_establishment_software_starts_a_conversation_r_msg_2(world: World) -> None:
    message = services.conversation_start(
        actor=org_actor(world.lab_org),
        patient_id=world.patient.pk,
        subject="Vos résultats",
        body="Disponibles.",
    )
    assert message.conversation.organisation == world.lab_org
    assert message.conversation.professional is None
    assert message.author_label == world.lab_org.name


def test_the_patient_cannot_write_to_a_professional_who_never_wrote_appendix_b_9(world: World) -> None:
    """R-MSG-2: refused, traced DENY, nothing written."""
    with pytest.raises(DomainError) as refused:
        services.conversation_start(
            actor=world.holder,
            patient_id=world.patient.pk,
            recipient_public_id=str(world.dentist.public_id),
            subject="Question",
            body="Bonjour",
        )
    assert refused.value.code == services.RECIPIENT_REFUSED
    assert refused.value.field == "recipient"
    assert not Conversation.objects.exists()
    denied = traces(world, "MESSAGE_START", outcome="DENY")
    assert len(denied) == 1 and denied[0].details["rule"] == "R-MSG-2"


def test_the_patient_starts_a_new_message_to_a_professional_who_already_wrote_r_msg_2(world: World) -> None:
    pro_writes(world)
    message = services.conversation_start(
        actor=world.holder,
        patient_id=world.patient.pk,
        recipient_public_id=str(world.gp.public_id),
        subject="Nouvelle question",
        body="Puis-je arrêter le traitement ?",
    )
    assert message.conversation.started_by_side == Side.PATIENT
    assert message.conversation.professional == world.gp
    assert message.side == Side.PATIENT


def test_the_patient_replies_in_an_open_conversation_r_msg_3(world: World) -> None:
    reply = patient_replies(world, pro_writes(world))
    assert reply.side == Side.PATIENT
    assert reply.author_label == world.patient.display_name
    assert reply.delegate_kind == ""


def test_a_reply_after_the_professional_ended_the_exchange_is_refused_reply_blocked_appendix_b_9(
    world: World,
) -> None:
    """R-MSG-3: REPLY_BLOCKED, the message names who ended the exchange; nothing written."""
    message = pro_writes(world)
    services.conversation_end(
        actor=pro_actor(world.gp), conversation_public_id=message.conversation.public_id
    )
    with pytest.raises(DomainError) as refused:
        patient_replies(world, message)
    assert refused.value.code == services.REPLY_BLOCKED
    assert world.gp.display_name in str(refused.value)
    assert Message.objects.filter(side=Side.PATIENT).count() == 0
    assert traces(world, "MESSAGE_SEND", outcome="DENY")[0].details["rule"] == "R-MSG-3"


def test_after_the_end_the_patient_cannot_start_a_new_message_to_that_professional_r_msg_2(
    world: World,
) -> None:
    message = pro_writes(world)
    services.conversation_end(
        actor=pro_actor(world.gp), conversation_public_id=message.conversation.public_id
    )
    with pytest.raises(DomainError) as refused:
        services.conversation_start(
            actor=world.holder,
            patient_id=world.patient.pk,
            recipient_public_id=str(world.gp.public_id),
            subject="Encore une question",
            body="Bonjour",
        )
    assert refused.value.code == services.RECIPIENT_REFUSED


def test_the_conversation_records_its_end_and_the_reply_mode_becomes_reply_blocked_r_msg_3(
    world: World,
) -> None:
    message = pro_writes(world)
    ended = services.conversation_end(
        actor=pro_actor(world.gp), conversation_public_id=message.conversation.public_id
    )
    assert ended.status == ConversationStatus.ENDED
    assert ended.ended_by_label == world.gp.display_name
    opened = services.conversation_read(
        actor=world.holder, patient_id=world.patient.pk, conversation_public_id=ended.public_id
    )
    assert opened.reply_mode == services.REPLY_BLOCKED
    assert len(traces(world, "MESSAGE_END")) == 1


def test_the_patient_cannot_end_a_conversation_r_msg_3(world: World) -> None:
    message = pro_writes(world)
    with pytest.raises(NotFoundOrForbidden):
        services.conversation_end(actor=world.holder, conversation_public_id=message.conversation.public_id)
    assert Conversation.objects.get().status == ConversationStatus.OPEN


def test_a_no_reply_sender_refuses_replies_r_msg_3(world: World) -> None:
    message = pro_writes(world, no_reply=True)
    with pytest.raises(DomainError) as refused:
        patient_replies(world, message)
    assert refused.value.code == services.NO_REPLY
    opened = services.conversation_read(
        actor=world.holder, patient_id=world.patient.pk, conversation_public_id=message.conversation.public_id
    )
    assert opened.reply_mode == services.NO_REPLY


def test_a_no_reply_sender_is_not_a_recipient_the_patient_may_write_to_r_msg_2(world: World) -> None:
    pro_writes(world, no_reply=True)
    with pytest.raises(DomainError) as refused:
        services.conversation_start(
            actor=world.holder,
            patient_id=world.patient.pk,
            recipient_public_id=str(world.gp.public_id),
            subject="Question",
            body="Bonjour",
        )
    assert refused.value.code == services.RECIPIENT_REFUSED


def test_another_professional_reading_the_conversation_gets_not_found_r_msg_1(world: World) -> None:
    message = pro_writes(world)
    with pytest.raises(NotFoundOrForbidden):
        services.conversation_read(
            actor=pro_actor(world.dentist), conversation_public_id=message.conversation.public_id
        )
    denied = traces(world, "MESSAGE_READ", outcome="DENY")
    assert len(denied) == 1 and denied[0].details["rule"] == "R-MSG-1"


def test_another_professional_cannot_write_in_the_conversation_r_msg_1(world: World) -> None:
    message = pro_writes(world)
    with pytest.raises(NotFoundOrForbidden):
        services.message_reply(
            actor=pro_actor(world.dentist),
            conversation_public_id=message.conversation.public_id,
            body="Intrusion",
        )
    assert Message.objects.count() == 1


def test_an_unknown_conversation_and_a_forbidden_one_answer_the_same(world: World) -> None:
    message = pro_writes(world)
    with pytest.raises(NotFoundOrForbidden) as missing:
        services.conversation_read(
            actor=pro_actor(world.gp), conversation_public_id="7d0f3a5e-0000-4000-8000-000000000000"
        )
    with pytest.raises(NotFoundOrForbidden) as forbidden:
        services.conversation_read(
            actor=pro_actor(world.dentist), conversation_public_id=message.conversation.public_id
        )
    assert str(missing.value) == str(forbidden.value)


def test_another_patient_cannot_read_the_conversation(world: World) -> None:
    from tests.records.helpers import make_world

    other = make_world()
    message = pro_writes(world)
    with pytest.raises(NotFoundOrForbidden):
        services.conversation_read(
            actor=person_actor(other.patient),
            patient_id=world.patient.pk,
            conversation_public_id=message.conversation.public_id,
        )


def test_an_insurer_is_refused_r_ac_1(world: World) -> None:
    insurer = Actor("INSURER", "assureur-x", label="Assureur")  # type: ignore[arg-type]
    with pytest.raises(NotFoundOrForbidden):
        services.conversation_start(
            actor=insurer, patient_id=world.patient.pk, subject="Questionnaire", body="?"
        )
    message = pro_writes(world)
    with pytest.raises(NotFoundOrForbidden):
        services.conversation_read(
            actor=insurer, patient_id=world.patient.pk, conversation_public_id=message.conversation.public_id
        )
    assert traces(world, "MESSAGE_START", outcome="DENY")[0].details["rule"] == "R-AC-1"


def test_nobody_writes_to_a_space_that_is_not_open_r_lc_3(db: None, clock: object) -> None:
    from tests.records.helpers import make_world

    informed = make_world(status="INFORMED")
    with pytest.raises(NotFoundOrForbidden):
        pro_writes(informed)
    assert not Conversation.objects.exists()


def test_a_professional_writes_in_an_ended_conversation_no_more_r_msg_3(world: World) -> None:
    message = pro_writes(world)
    services.conversation_end(
        actor=pro_actor(world.gp), conversation_public_id=message.conversation.public_id
    )
    with pytest.raises(NotFoundOrForbidden):
        services.message_reply(
            actor=pro_actor(world.gp), conversation_public_id=message.conversation.public_id, body="Encore"
        )


def test_an_empty_subject_is_refused_with_its_field(world: World) -> None:
    with pytest.raises(DomainError) as refused:
        pro_writes(world, subject="  ")
    assert refused.value.field == "subject"
    assert not Conversation.objects.exists()


def test_a_too_long_body_is_refused_with_its_field(world: World, settings: object) -> None:
    settings.CARNET_MESSAGE_BODY_MAX_CHARS = 20  # type: ignore[attr-defined]
    with pytest.raises(DomainError) as refused:
        pro_writes(world, body="x" * 21)
    assert refused.value.field == "body"
    assert not Conversation.objects.exists()
