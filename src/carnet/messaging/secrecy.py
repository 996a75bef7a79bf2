"""Keeping a minor's conversation from his legal representatives (R-MIN-5 [I], SPEC Appendix B scenario 6
applied to the messaging).

Who decides is THE policy (``access.policy._decide_message_secrecy``, actions
``MESSAGE_MARK_CONFIDENTIAL`` / ``MESSAGE_LIFT_CONFIDENTIAL``): the professional or establishment taking part
in the conversation (at creation, ``services.conversation_start(confidential=True)``, or later here), and
the minor himself, logged in with his own access, from ``CARNET_MINOR_SECRECY_AGE`` (15); the professional
lifts only what his side set, the minor lifts it whoever set it; legal representatives and caregivers never.

Marking, in one transaction with its trace (``MESSAGE_CONFIDENTIAL_SET`` on the conversation):

* the representatives' notifications about its messages are taken back (in-app entries deleted, e-mails not
  sent yet cancelled; an e-mail already delivered cannot be recalled);
* the holder's copies of its attachments already saved into the record get
  ``INVISIBLE_REPRESENTANTS_LEGAUX`` (``records.minor_secrecy``);
* from then on the policy refuses them every act on it (404 like a missing conversation), the lists, the
  search and the counts leave it out, its traces leave their history (``messaging.hidden``).

Lifting (``MESSAGE_CONFIDENTIAL_LIFT``) shows the conversation and its history to them again, without the
notifications taken back; the copies saved into the record keep their code (the holder decides for them).
"""

from __future__ import annotations

import uuid

from django.db import transaction

from carnet.access.facts import Action, ConversationFacts
from carnet.common import clock
from carnet.common.actors import Actor
from carnet.common.errors import NotFoundOrForbidden
from carnet.identity.models import Organisation
from carnet.records.minor_secrecy import documents_hide_from_representatives

from . import notify
from .models import Attachment, Conversation
from .services import act_on_conversation, decide, load_conversation, scope_for, trace_secrecy


def conversation_mark_confidential(
    *,
    actor: Actor,
    conversation_public_id: uuid.UUID | str,
    patient_id: int | None = None,
    organisation: Organisation | None = None,
) -> Conversation:
    """R-MIN-5: keep the conversation from the minor's legal representatives (idempotent)."""
    act = act_on_conversation(
        actor=actor,
        conversation_public_id=conversation_public_id,
        action=Action.MESSAGE_MARK_CONFIDENTIAL,
        trace_action="MESSAGE_CONFIDENTIAL_SET",
        patient_id=patient_id,
        organisation=organisation,
    )
    assert act.conversation is not None
    with transaction.atomic():
        locked = load_conversation(act.conversation.public_id, lock=True)
        assert locked is not None
        if locked.is_confidential:
            return locked
        locked.confidential_at = clock.now()
        locked.confidential_by_side = act.side
        locked.save(update_fields=["confidential_at", "confidential_by_side"])
        trace_secrecy(act.scope, locked, "MESSAGE_CONFIDENTIAL_SET", act.decision)
        notify.withdraw_for_representatives(locked)
        saved = Attachment.objects.filter(message__conversation=locked, saved_document_id__isnull=False)
        documents_hide_from_representatives(
            scope=act.scope,
            document_public_ids=[a.saved_document_id for a in saved if a.saved_document_id is not None],
            rule="R-MIN-5",
        )
    return locked


def conversation_lift_confidential(
    *,
    actor: Actor,
    conversation_public_id: uuid.UUID | str,
    patient_id: int | None = None,
    organisation: Organisation | None = None,
) -> Conversation:
    """R-MIN-5: show the conversation to the legal representatives again (idempotent)."""
    act = act_on_conversation(
        actor=actor,
        conversation_public_id=conversation_public_id,
        action=Action.MESSAGE_LIFT_CONFIDENTIAL,
        trace_action="MESSAGE_CONFIDENTIAL_LIFT",
        patient_id=patient_id,
        organisation=organisation,
    )
    assert act.conversation is not None
    with transaction.atomic():
        locked = load_conversation(act.conversation.public_id, lock=True)
        assert locked is not None
        if not locked.is_confidential:
            return locked
        locked.confidential_at = None
        locked.confidential_by_side = ""
        locked.save(update_fields=["confidential_at", "confidential_by_side"])
        trace_secrecy(act.scope, locked, "MESSAGE_CONFIDENTIAL_LIFT", act.decision)
    return locked


def may_start_confidential(
    *, actor: Actor, patient_id: int, organisation: Organisation | None = None
) -> bool:
    """Does the policy let this actor open a conversation with this patient kept from his legal
    representatives (to offer the choice on the compose page; the service decides again)?"""
    try:
        scope = scope_for(actor, patient_id, organisation)
    except NotFoundOrForbidden:
        return False
    ids = frozenset({scope.facts.id, scope.facts.organisation_id} - {""})  # the professional side's own
    return bool(decide(scope, Action.MESSAGE_MARK_CONFIDENTIAL, ConversationFacts("new", ids)))
