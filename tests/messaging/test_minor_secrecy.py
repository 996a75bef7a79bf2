"""A minor's conversation kept from his legal representatives (R-MIN-5 [I], R-MSG-*, R-NOT-*), tried the way
a parent who wants to know would: the lists, the counts, the search, the recipients, direct ids, the
notifications, the history and the record — before and after the secrecy is set. The minor (and the
professional) keep everything."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from carnet.access.facts import Confidentiality
from carnet.audit.export import history_export
from carnet.audit.hooks import hidden_object_ids
from carnet.audit.models import Trace
from carnet.audit.selectors import history_queryset
from carnet.common.actors import ActorKind
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.identity.models import Person
from carnet.messaging import secrecy, selectors, services
from carnet.messaging.models import Attachment, Conversation, Message
from carnet.notifications.models import DeliveryState, InAppNotification, OutboxMessage
from carnet.records import selectors as record_selectors
from carnet.records.models import Document
from tests.messaging.builders import caregiver_actor, caregiver_of, pdf_file, pro_writes, traces
from tests.records.helpers import World, add_parent, make_world, person_actor, pro_actor

FIFTEEN = date(2010, 6, 1)  # 15 on the test clock's day (2026-01-05)
TWELVE = date(2013, 6, 1)
SECRET_SUBJECT = "Contraception d'urgence"


@pytest.fixture
def minor(db: Any, clock: Any) -> World:
    return make_world(birth_date=FIFTEEN)


@pytest.fixture
def parent(minor: World) -> Person:
    return add_parent(minor)


def _rep(parent: Person) -> Any:
    return person_actor(parent, ActorKind.LEGAL_REPRESENTATIVE)


def _secret(world: World, **kwargs: Any) -> Message:
    kwargs.setdefault("subject", SECRET_SUBJECT)
    return pro_writes(world, confidential=True, **kwargs)


def _rows(world: World, actor: Any) -> list[Any]:
    return [r.public_id for r in selectors.inbox_for_patient(actor=actor, patient_id=world.patient.pk)]


def _mails_to(person: Person) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(address=person.email))


def _history(world: World, viewer_kind: str) -> list[Trace]:
    hidden = hidden_object_ids(patient_id=world.patient.pk, viewer_kind=viewer_kind)
    return list(
        history_queryset(patient_id=world.patient.pk, viewer_kind=viewer_kind, hidden_object_ids=hidden)
    )


def _names_the_conversation(entry: Trace, conversation: Conversation, world: World) -> bool:
    """Does this trace name the conversation, one of its messages or attachments, or its sender?"""
    ids = {str(conversation.public_id)}
    ids |= {
        str(i) for i in Message.objects.filter(conversation=conversation).values_list("public_id", flat=True)
    }
    ids |= {
        str(i)
        for i in Attachment.objects.filter(message__conversation=conversation).values_list(
            "public_id", flat=True
        )
    }
    text = f"{entry.object_id} {entry.details} {entry.actor_id} {entry.actor_label}"
    return any(i in text for i in ids) or world.gp.display_name in text


# --- the representative's pages and lists --------------------------------------------------------


def test_a_confidential_conversation_is_not_in_the_representatives_inbox_but_in_the_minors(
    minor: World, parent: Person
) -> None:
    ordinary = pro_writes(minor, professional=minor.dentist)
    secret = _secret(minor)
    assert _rows(minor, _rep(parent)) == [ordinary.conversation.public_id]
    assert set(_rows(minor, minor.holder)) == {ordinary.conversation.public_id, secret.conversation.public_id}


def test_the_representative_cannot_open_reply_delete_or_mark_unread_it_by_its_id(
    minor: World, parent: Person
) -> None:
    secret = _secret(minor, files=[pdf_file()])
    conversation_id = secret.conversation.public_id
    common = {
        "actor": _rep(parent),
        "patient_id": minor.patient.pk,
        "conversation_public_id": conversation_id,
    }
    for act in (services.conversation_read, services.conversation_mark_unread, services.conversation_delete):
        with pytest.raises(NotFoundOrForbidden):
            act(**common)
    with pytest.raises(NotFoundOrForbidden):
        services.message_reply(**common, body="C'est ton père")
    attachment = Attachment.objects.get()
    for act in (services.attachment_content, services.attachment_save_to_record):
        with pytest.raises(NotFoundOrForbidden):
            act(actor=_rep(parent), patient_id=minor.patient.pk, attachment_public_id=attachment.public_id)
    with pytest.raises(NotFoundOrForbidden):
        secrecy.conversation_lift_confidential(**common)
    assert Message.objects.count() == 1 and Message.objects.get().read_at is None
    assert Conversation.objects.get().deleted_by_patient_at is None and not Document.objects.exists()


def test_probing_a_confidential_id_leaves_the_same_trace_as_probing_an_id_that_does_not_exist(
    minor: World, parent: Person
) -> None:
    secret = _secret(minor)
    for conversation_id in (secret.conversation.public_id, uuid.uuid4()):
        with pytest.raises(NotFoundOrForbidden):
            services.conversation_read(
                actor=_rep(parent), patient_id=minor.patient.pk, conversation_public_id=conversation_id
            )
    denied = traces(minor, "MESSAGE_READ", outcome="DENY")
    seen = [(t.actor_id, t.object_type, t.object_id, t.details) for t in denied]
    assert len(seen) == 2 and seen[0] == seen[1]
    assert seen[0][2] == ""  # neither id is written into the minor's history


def test_the_representative_never_learns_who_wrote_only_in_secret(minor: World, parent: Person) -> None:
    _secret(minor)
    assert selectors.eligible_recipients(actor=_rep(parent), patient_id=minor.patient.pk) == []
    with pytest.raises(DomainError) as refused:
        services.conversation_start(
            actor=_rep(parent),
            patient_id=minor.patient.pk,
            recipient_public_id=str(minor.gp.public_id),
            subject="Question",
            body="Bonjour docteur, qu'avez-vous dit à mon fils ?",
        )
    assert refused.value.code == services.RECIPIENT_REFUSED
    assert [
        r.label for r in selectors.eligible_recipients(actor=minor.holder, patient_id=minor.patient.pk)
    ] == [minor.gp.display_name]


def test_the_search_and_the_unread_count_leave_it_out_for_the_representative(
    minor: World, parent: Person
) -> None:
    _secret(minor, body="Rendez-vous au centre de planification")
    rep = _rep(parent)
    assert selectors.search_for_patient(actor=rep, patient_id=minor.patient.pk, query="planification") == []
    assert selectors.unread_count_for_patient(actor=rep, patient_id=minor.patient.pk) == 0
    assert (
        len(selectors.search_for_patient(actor=minor.holder, patient_id=minor.patient.pk, query="planif"))
        == 1
    )
    assert selectors.unread_count_for_patient(actor=minor.holder, patient_id=minor.patient.pk) == 1


def test_the_unread_count_of_someone_without_access_is_zero_and_leaves_no_trace(minor: World) -> None:
    _secret(minor)
    stranger = make_world().patient
    before = Trace.objects.count()
    actor = person_actor(stranger, ActorKind.LEGAL_REPRESENTATIVE)
    assert selectors.unread_count_for_patient(actor=actor, patient_id=minor.patient.pk) == 0
    assert Trace.objects.count() == before


def test_the_minors_drafts_in_a_confidential_conversation_are_not_listed_to_the_representative(
    minor: World, parent: Person
) -> None:
    secret = _secret(minor)
    draft = services.message_reply(
        actor=minor.holder,
        patient_id=minor.patient.pk,
        conversation_public_id=secret.conversation.public_id,
        body="Je n'ose pas en parler",
        draft=True,
    )
    assert selectors.drafts_for_patient(actor=_rep(parent), patient_id=minor.patient.pk) == []
    with pytest.raises(NotFoundOrForbidden):
        selectors.draft_for_actor(
            actor=_rep(parent), message_public_id=draft.public_id, patient_id=minor.patient.pk
        )
    with pytest.raises(NotFoundOrForbidden):
        services.draft_delete(
            actor=_rep(parent), message_public_id=draft.public_id, patient_id=minor.patient.pk
        )
    assert [
        d.public_id for d in selectors.drafts_for_patient(actor=minor.holder, patient_id=minor.patient.pk)
    ] == [draft.public_id]


def test_a_caregiver_of_the_minor_and_the_professional_keep_full_access(minor: World) -> None:
    helper = caregiver_of(minor)
    secret = _secret(minor)
    assert _rows(minor, caregiver_actor(helper)) == [secret.conversation.public_id]
    opened = services.conversation_read(
        actor=pro_actor(minor.gp), conversation_public_id=secret.conversation.public_id
    )
    assert opened.subject == SECRET_SUBJECT


# --- notifications ------------------------------------------------------------------------------


def test_a_confidential_message_notifies_the_minor_without_naming_the_sender_and_never_the_parent(
    minor: World, parent: Person
) -> None:
    _secret(minor)
    assert _mails_to(parent) == [] and not InAppNotification.objects.filter(patient_id=parent.pk).exists()
    [mail] = _mails_to(minor.patient)
    assert mail.template == "messaging_new_message_discreet" and "sender" not in mail.params
    assert InAppNotification.objects.filter(patient_id=minor.patient.pk).count() == 1


def test_an_ordinary_message_still_notifies_both_with_the_sender(minor: World, parent: Person) -> None:
    pro_writes(minor)
    assert [m.params.get("sender") for m in _mails_to(parent)] == [minor.gp.display_name]
    assert [m.template for m in _mails_to(minor.patient)] == ["messaging_new_message"]
    assert InAppNotification.objects.filter(patient_id=parent.pk).count() == 1


def test_marking_later_takes_back_the_parents_pending_emails_and_centre_entries(
    minor: World, parent: Person
) -> None:
    first = pro_writes(minor, subject=SECRET_SUBJECT)
    assert len(_mails_to(parent)) == 1 and InAppNotification.objects.filter(patient_id=parent.pk).count() == 1
    secrecy.conversation_mark_confidential(
        actor=pro_actor(minor.gp), conversation_public_id=first.conversation.public_id
    )
    [mail] = _mails_to(parent)
    assert mail.state == DeliveryState.CANCELLED and mail.last_error == "Withdrawn"
    assert not InAppNotification.objects.filter(patient_id=parent.pk).exists()
    assert _mails_to(minor.patient)[0].state == DeliveryState.PENDING  # the minor's own stays
    services.message_reply(
        actor=pro_actor(minor.gp), conversation_public_id=first.conversation.public_id, body="Suite"
    )
    assert len(_mails_to(parent)) == 1
    assert _rows(minor, _rep(parent)) == []


# --- the history ---------------------------------------------------------------------------------


def test_nothing_in_the_representatives_history_names_the_conversation_or_its_sender(
    minor: World, parent: Person
) -> None:
    secret = _secret(minor, files=[pdf_file()])
    conversation = secret.conversation
    services.conversation_read(
        actor=minor.holder, patient_id=minor.patient.pk, conversation_public_id=conversation.public_id
    )
    services.attachment_content(
        actor=minor.holder,
        patient_id=minor.patient.pk,
        attachment_public_id=Attachment.objects.get().public_id,
    )
    selectors.inbox_for_patient(actor=minor.holder, patient_id=minor.patient.pk)
    with pytest.raises(NotFoundOrForbidden):
        services.conversation_read(
            actor=_rep(parent), patient_id=minor.patient.pk, conversation_public_id=conversation.public_id
        )
    assert not any(
        _names_the_conversation(t, conversation, minor) for t in _history(minor, "LEGAL_REPRESENTATIVE")
    )
    mine = _history(minor, "PATIENT")
    assert {"MESSAGE_CONFIDENTIAL_SET", "MESSAGE_SEND", "MESSAGE_READ", "MESSAGE_ATTACHMENT_DOWNLOAD"} <= {
        t.action for t in mine if _names_the_conversation(t, conversation, minor)
    }


def test_the_downloaded_history_of_the_representative_does_not_reveal_it(
    minor: World, parent: Person
) -> None:
    secret = _secret(minor)
    conversation_id = str(secret.conversation.public_id)
    hidden = hidden_object_ids(patient_id=minor.patient.pk, viewer_kind="LEGAL_REPRESENTATIVE")
    document = history_export(actor=_rep(parent), patient_id=minor.patient.pk, hidden_object_ids=hidden)
    text = str(document["entries"])
    assert conversation_id not in text and minor.gp.display_name not in text and minor.gp.rpps not in text


def test_a_list_trace_counts_only_what_every_viewer_may_see_and_traces_the_secret_item_apart(
    minor: World, parent: Person
) -> None:
    pro_writes(minor, professional=minor.dentist)
    secret = _secret(minor)
    selectors.inbox_for_patient(actor=minor.holder, patient_id=minor.patient.pk)
    lists = traces(minor, "MESSAGE_LIST")
    assert [(t.object_id, t.details.get("count")) for t in lists] == [
        ("", 1),
        (str(secret.conversation.public_id), None),
    ]
    seen_by_parent = [t for t in _history(minor, "LEGAL_REPRESENTATIVE") if t.action == "MESSAGE_LIST"]
    assert [(t.object_id, t.details["count"]) for t in seen_by_parent] == [("", 1)]


def test_a_search_trace_follows_the_same_rule(minor: World) -> None:
    _secret(minor, body="planification")
    pro_writes(minor, professional=minor.dentist, body="planification du détartrage")
    selectors.search_for_patient(actor=minor.holder, patient_id=minor.patient.pk, query="planification")
    counts = [t.details.get("count") for t in traces(minor, "MESSAGE_SEARCH")]
    assert counts == [1, None]


def test_lifting_the_secrecy_gives_the_conversation_and_its_history_back(
    minor: World, parent: Person
) -> None:
    secret = _secret(minor)
    conversation = secret.conversation
    secrecy.conversation_lift_confidential(
        actor=pro_actor(minor.gp), conversation_public_id=conversation.public_id
    )
    assert _rows(minor, _rep(parent)) == [conversation.public_id]
    assert any(
        _names_the_conversation(t, conversation, minor) for t in _history(minor, "LEGAL_REPRESENTATIVE")
    )


# --- attachments saved into the record ------------------------------------------------------------


def _save_attachment(world: World) -> Document:
    return services.attachment_save_to_record(
        actor=world.holder,
        patient_id=world.patient.pk,
        attachment_public_id=Attachment.objects.get().public_id,
    )


def _documents_seen_by(world: World, actor: Any) -> list[Any]:
    return [
        d.public_id
        for d in record_selectors.document_list_for_actor(actor=actor, patient_id=world.patient.pk)
    ]


def test_an_attachment_saved_from_a_confidential_conversation_is_hidden_from_the_parent(
    minor: World, parent: Person
) -> None:
    _secret(minor, files=[pdf_file()])
    document = _save_attachment(minor)
    assert Confidentiality.INVISIBLE_REPRESENTANTS_LEGAUX in document.confidentiality
    assert document.public_id not in _documents_seen_by(minor, _rep(parent))
    assert document.public_id in _documents_seen_by(minor, minor.holder)
    assert str(document.public_id) in hidden_object_ids(
        patient_id=minor.patient.pk, viewer_kind="LEGAL_REPRESENTATIVE"
    )


def test_marking_after_the_save_hides_the_copy_already_in_the_record(minor: World, parent: Person) -> None:
    first = pro_writes(minor, files=[pdf_file()])
    document = _save_attachment(minor)
    assert document.public_id in _documents_seen_by(minor, _rep(parent))
    secrecy.conversation_mark_confidential(
        actor=minor.holder, patient_id=minor.patient.pk, conversation_public_id=first.conversation.public_id
    )
    assert document.public_id not in _documents_seen_by(minor, _rep(parent))


def test_a_document_hidden_from_the_parents_cannot_be_copied_into_a_conversation_they_read(
    minor: World, parent: Person
) -> None:
    ordinary = pro_writes(minor)
    secret = _secret(minor, files=[pdf_file()])
    hidden_document = _save_attachment(minor)
    with pytest.raises(DomainError) as refused:
        services.message_reply(
            actor=minor.holder,
            patient_id=minor.patient.pk,
            conversation_public_id=ordinary.conversation.public_id,
            body="Regardez",
            document_ids=[hidden_document.public_id],
        )
    assert (refused.value.code, refused.value.field) == ("secret_document", "documents")
    services.message_reply(
        actor=minor.holder,
        patient_id=minor.patient.pk,
        conversation_public_id=secret.conversation.public_id,
        body="Le voici",
        document_ids=[hidden_document.public_id],
    )
    assert Attachment.objects.filter(source_document_id=hidden_document.public_id).count() == 1


# --- who sets and who lifts -----------------------------------------------------------------------


def test_the_minor_of_fifteen_hides_a_conversation_himself_and_only_he_lifts_it(
    minor: World, parent: Person
) -> None:
    first = pro_writes(minor)
    conversation_id = first.conversation.public_id
    secrecy.conversation_mark_confidential(
        actor=minor.holder, patient_id=minor.patient.pk, conversation_public_id=conversation_id
    )
    assert Conversation.objects.get().confidential_by_side == "PATIENT"
    assert _rows(minor, _rep(parent)) == []
    with pytest.raises(NotFoundOrForbidden):
        secrecy.conversation_lift_confidential(
            actor=pro_actor(minor.gp), conversation_public_id=conversation_id
        )
    assert traces(minor, "MESSAGE_CONFIDENTIAL_LIFT", outcome="DENY")[0].details["rule"] == "R-MIN-5"
    secrecy.conversation_lift_confidential(
        actor=minor.holder, patient_id=minor.patient.pk, conversation_public_id=conversation_id
    )
    assert _rows(minor, _rep(parent)) == [conversation_id]


def test_a_younger_minor_cannot_hide_it_himself_but_his_professional_can(db: Any, clock: Any) -> None:
    world = make_world(birth_date=TWELVE)
    first = pro_writes(world)
    with pytest.raises(NotFoundOrForbidden):
        secrecy.conversation_mark_confidential(
            actor=world.holder,
            patient_id=world.patient.pk,
            conversation_public_id=first.conversation.public_id,
        )
    assert not Conversation.objects.get().is_confidential
    assert not secrecy.may_start_confidential(actor=world.holder, patient_id=world.patient.pk)
    secrecy.conversation_mark_confidential(
        actor=pro_actor(world.gp), conversation_public_id=first.conversation.public_id
    )
    assert Conversation.objects.get().is_confidential


def test_the_representative_cannot_hide_a_conversation_either(minor: World, parent: Person) -> None:
    first = pro_writes(minor)
    with pytest.raises(NotFoundOrForbidden):
        secrecy.conversation_mark_confidential(
            actor=_rep(parent),
            patient_id=minor.patient.pk,
            conversation_public_id=first.conversation.public_id,
        )
    assert not Conversation.objects.get().is_confidential


def test_another_professional_cannot_hide_or_reveal_a_conversation_he_is_not_in(minor: World) -> None:
    secret = _secret(minor)
    with pytest.raises(NotFoundOrForbidden):
        secrecy.conversation_lift_confidential(
            actor=pro_actor(minor.dentist), conversation_public_id=secret.conversation.public_id
        )
    assert Conversation.objects.get().is_confidential


def test_an_adults_conversation_cannot_be_made_confidential_and_nothing_is_written(world: World) -> None:
    with pytest.raises(DomainError) as refused:
        _secret(world)
    assert (refused.value.code, refused.value.field) == ("confidential_refused", "confidential")
    assert not Conversation.objects.exists() and not OutboxMessage.objects.exists()
    assert traces(world, "MESSAGE_CONFIDENTIAL_SET", outcome="DENY")[0].details["rule"] == "R-MIN-5"
