"""Reads of the secure messaging (SPEC §5), scoped in the query and decided by the policy.

* The holder's side lists the conversations of the space it acts on (``inbox_for_patient``: unread first,
  traced ``MESSAGE_LIST``), its drafts, and searches its own messages (``search_for_patient``). A
  conversation kept from legal representatives (R-MIN-5) is left out of their lists, search, drafts,
  recipients and counts in the query itself; list traces count only what every patient-side viewer may
  see and trace the others one by one (``_trace_list``).
* A professional lists only the conversations he (or the establishment he acts for) takes part in: the
  query itself is scoped on him (STYLE "scoped in the query, never filtered after"). His list and search
  are not traced per patient (they show his own correspondence); opening a conversation or an attachment
  is (``services.conversation_read`` / ``attachment_content``).
* Search: subjects and bodies are encrypted with each patient's key, so there is no SQL index to ask. We
  decrypt in Python the ``SEARCH_MAX_CONVERSATIONS`` most recent conversations of the reader and match
  accent- and case-insensitively. Bounded cost, no plaintext index to protect; the trade-off is that older
  conversations are not searched (documented in ``docs/subsystems/messaging.md``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from carnet.access import gateway, policy
from carnet.access.facts import Action
from carnet.access.policy import Decision
from carnet.audit.services import trace
from carnet.common.actors import Actor, ActorKind
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.identity.models import Organisation, Person, Professional

from . import services
from .crypto import unseal
from .models import Conversation, Message, Side

PATIENT_SIDE_KINDS = (ActorKind.PATIENT, ActorKind.LEGAL_REPRESENTATIVE, ActorKind.CAREGIVER)
SEARCH_MAX_CONVERSATIONS = 300  # [I] the bound of a search (most recent conversations first)
SEARCH_MIN_CHARS = 2


@dataclass(frozen=True)
class ConversationRow:
    conversation: Conversation
    subject: str
    counterpart: str  # the professional/establishment for the patient side, the patient for professionals
    unread: int
    has_draft: bool = False

    @property
    def public_id(self) -> Any:
        return self.conversation.public_id

    @property
    def last_message_at(self) -> datetime | None:
        return self.conversation.last_message_at


@dataclass(frozen=True)
class DraftRow:
    message: Message
    subject: str
    counterpart: str
    opens_conversation: bool

    @property
    def public_id(self) -> Any:
        return self.message.public_id


@dataclass(frozen=True)
class Recipient:
    public_id: str
    label: str


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _subject(conversation: Conversation) -> str:
    if conversation.is_deleted:
        return ""
    return unseal(
        patient_id=conversation.patient_id,
        sealed=conversation.subject_sealed,
        purpose=f"subject:{conversation.public_id}",
    )


def _body(message: Message) -> str:
    return unseal(
        patient_id=message.patient_id, sealed=message.body_sealed, purpose=f"message:{message.public_id}"
    )


def _with_unread(qs: QuerySet[Conversation], other_side: str) -> QuerySet[Conversation]:
    return qs.annotate(
        unread=Count(
            "messages",
            filter=Q(messages__side=other_side, messages__is_draft=False, messages__read_at__isnull=True),
        )
    )


def _unread_first(rows: list[ConversationRow]) -> list[ConversationRow]:
    """Unread conversations first, then the most recent (R-MSG: the inbox shows what is new)."""
    return sorted(
        rows,
        key=lambda r: (r.unread == 0, -(r.last_message_at.timestamp() if r.last_message_at else 0.0)),
    )


# --------------------------------------------------------------------------------------------------
# Holder's side


def _patient_entry(actor: Actor, patient_id: int, trace_action: str) -> tuple[Any, Decision]:
    """The policy's answer for the holder's side entering the messaging of ``patient_id`` (R-MSG-1,
    R-MIN-1, R-DEL-2); refused ⇒ ``NotFoundOrForbidden`` after a ``DENY`` trace."""
    scope = services.scope_for(actor, patient_id)
    decision = services.decide(scope, Action.MESSAGE_READ, None)
    if not decision or not scope.facts.is_patient_side:
        if decision:
            decision = Decision(False, "R-MSG-1", "professionals read their own conversations only")
        raise services._refuse(scope, action=trace_action, decision=decision, object_type="messaging")
    return scope, decision


def _patient_conversations(scope: Any) -> QuerySet[Conversation]:
    """The space's conversations as this viewer may list them: scoped in the query, without the ones the
    policy keeps from him (R-MIN-5: a legal representative never gets a confidential conversation)."""
    qs = Conversation.objects.filter(
        patient_id=scope.patient_id, first_sent_at__isnull=False, deleted_by_patient_at__isnull=True
    )
    if not services.sees_confidential(scope):
        qs = qs.filter(confidential_at__isnull=True)
    return qs.select_related("professional", "organisation").order_by("-last_message_at", "-id")


def _hidden_from_someone(conversation: Conversation) -> bool:
    """Is this conversation hidden from some patient-side viewer of the space (R-MIN-5)?"""
    facts = services.conversation_facts(conversation)
    return any(policy.conversation_hidden_from(kind, facts) for kind in PATIENT_SIDE_KINDS)


def _trace_list(
    scope: Any, decision: Decision, action: str, conversations: list[Conversation], patient_id: int
) -> None:
    """Trace a list the holder's side was shown, so that no viewer of the history learns from it what is
    kept from him: ``count`` counts only the conversations every patient-side viewer may see; each listed
    conversation hidden from some of them gets its own trace on it (``object_id``), which the hidden-objects
    provider (``messaging.hidden``) removes from the history of those who must not see it."""
    hidden = [c for c in conversations if _hidden_from_someone(c)]
    with transaction.atomic():
        trace(
            actor=scope.actor,
            action=action,
            patient_id=patient_id,
            group="general",
            object_type="messaging",
            details={"rule": decision.rule, "count": len(conversations) - len(hidden)},
        )
        for conversation in hidden:
            trace(
                actor=scope.actor,
                action=action,
                patient_id=patient_id,
                group="general",
                object_type="conversation",
                object_id=str(conversation.public_id),
                details={"rule": decision.rule},
            )


def inbox_for_patient(*, actor: Actor, patient_id: int) -> list[ConversationRow]:
    """The space's conversations this viewer may see, unread first (R-MSG-1, R-MIN-5); traced
    ``MESSAGE_LIST`` (``_trace_list``)."""
    scope, decision = _patient_entry(actor, patient_id, "MESSAGE_LIST")
    conversations = list(_with_unread(_patient_conversations(scope), Side.PROFESSIONAL))
    drafts = set(
        Message.objects.filter(
            patient_id=patient_id, is_draft=True, side=Side.PATIENT, conversation__in=conversations
        ).values_list("conversation_id", flat=True)
    )
    rows = [
        ConversationRow(
            conversation=c,
            subject=_subject(c),
            counterpart=c.counterpart_label,
            unread=int(getattr(c, "unread", 0)),
            has_draft=c.pk in drafts,
        )
        for c in conversations
    ]
    _trace_list(scope, decision, "MESSAGE_LIST", conversations, patient_id)
    return _unread_first(rows)


def drafts_for_patient(*, actor: Actor, patient_id: int) -> list[DraftRow]:
    """The holder's side's drafts (R-MSG-4), newest first; none of a conversation kept from the viewer."""
    scope, _decision = _patient_entry(actor, patient_id, "MESSAGE_LIST")
    drafts = Message.objects.filter(
        patient_id=patient_id,
        is_draft=True,
        side=Side.PATIENT,
        conversation__deleted_by_patient_at__isnull=True,
    )
    if not services.sees_confidential(scope):
        drafts = drafts.filter(conversation__confidential_at__isnull=True)
    drafts = drafts.select_related("conversation__professional", "conversation__organisation").order_by(
        "-updated_at", "-id"
    )
    return [
        DraftRow(
            message=m,
            subject=_subject(m.conversation),
            counterpart=m.conversation.counterpart_label,
            opens_conversation=m.conversation.first_sent_at is None,
        )
        for m in drafts
    ]


def unread_count_for_patient(*, actor: Actor, patient_id: int) -> int:
    """For a badge: the unread messages this viewer may see (never one of a conversation kept from him,
    R-MIN-5), a count without content; 0 for whoever may not read the space's messaging (a badge shows
    nothing and traces nothing)."""
    try:
        scope = services.scope_for(actor, patient_id)
    except NotFoundOrForbidden:
        return 0
    if not scope.facts.is_patient_side or not services.decide(scope, Action.MESSAGE_READ, None):
        return 0
    unread = Message.objects.filter(
        patient_id=patient_id,
        side=Side.PROFESSIONAL,
        is_draft=False,
        read_at__isnull=True,
        conversation__deleted_by_patient_at__isnull=True,
    )
    if not services.sees_confidential(scope):
        unread = unread.filter(conversation__confidential_at__isnull=True)
    return unread.count()


def eligible_recipients(*, actor: Actor, patient_id: int) -> list[Recipient]:
    """R-MSG-2: the professionals and establishments the holder's side may start a message to: those who
    already wrote to him and did not end the exchange (each decided by the policy)."""
    scope, _decision = _patient_entry(actor, patient_id, "MESSAGE_LIST")
    sees_confidential = services.sees_confidential(scope)
    written = Conversation.objects.filter(
        patient_id=patient_id,
        first_sent_at__isnull=False,
        messages__side=Side.PROFESSIONAL,
        messages__sent_at__isnull=False,
    )
    if not sees_confidential:  # R-MIN-5: who wrote only there does not exist for this viewer
        written = written.filter(confidential_at__isnull=True)
    pairs = written.values_list("professional_id", "organisation_id").distinct()
    professional_ids = {p for p, _o in pairs if p is not None}
    organisation_ids = {o for p, o in pairs if p is None and o is not None}
    recipients: list[Recipient] = []
    for professional in Professional.objects.filter(pk__in=professional_ids, active=True):
        facts = services.counterpart_standing(
            patient_id, professional=professional, organisation=None, include_confidential=sees_confidential
        )
        if services.decide(scope, Action.MESSAGE_START, facts):
            recipients.append(Recipient(str(professional.public_id), professional.display_name))
    for organisation in Organisation.objects.filter(pk__in=organisation_ids):
        facts = services.counterpart_standing(
            patient_id, professional=None, organisation=organisation, include_confidential=sees_confidential
        )
        if services.decide(scope, Action.MESSAGE_START, facts):
            recipients.append(Recipient(str(organisation.public_id), organisation.name))
    return sorted(recipients, key=lambda r: r.label)


def _search(conversations: list[Conversation], query: str) -> list[Conversation]:
    needle = _fold(query)
    if not needle:
        return []
    messages: dict[int, list[Message]] = {}
    for message in Message.objects.filter(
        conversation__in=conversations, is_draft=False, erased_at__isnull=True
    ).order_by("id"):
        messages.setdefault(message.conversation_id, []).append(message)
    found = []
    for conversation in conversations:
        if needle in _fold(_subject(conversation)) or any(
            needle in _fold(_body(m)) for m in messages.get(conversation.pk, [])
        ):
            found.append(conversation)
    return found


def _check_query(query: str) -> str:
    query = " ".join((query or "").split())
    if len(query) < SEARCH_MIN_CHARS:
        raise DomainError(
            _("Saisissez au moins %(n)s caractères à rechercher.") % {"n": SEARCH_MIN_CHARS},
            code="too_short",
            field="q",
        )
    return query[:200]


def search_for_patient(*, actor: Actor, patient_id: int, query: str) -> list[ConversationRow]:
    """Search the space's conversations this viewer may see (subjects and bodies, decrypted here, bounded;
    R-MIN-5). Traced ``MESSAGE_SEARCH`` like a list (``_trace_list``: the hits every patient-side viewer may
    see are counted, the others traced one by one); the searched words are never traced or logged."""
    query = _check_query(query)
    scope, decision = _patient_entry(actor, patient_id, "MESSAGE_SEARCH")
    candidates = list(
        _with_unread(_patient_conversations(scope), Side.PROFESSIONAL)[:SEARCH_MAX_CONVERSATIONS]
    )
    hits = _search(candidates, query)
    _trace_list(scope, decision, "MESSAGE_SEARCH", hits, patient_id)
    return [ConversationRow(c, _subject(c), c.counterpart_label, int(getattr(c, "unread", 0))) for c in hits]


# --------------------------------------------------------------------------------------------------
# Professional side


def _professional_conversations(
    actor: Actor, organisation: Organisation | None = None
) -> QuerySet[Conversation]:
    """Only the conversations this professional (or establishment) takes part in (scoped in the query)."""
    professional = gateway.resolve_professional(actor) if str(actor.kind) == "PROFESSIONAL" else None
    if str(actor.kind) == "ORGANISATION":
        organisation = organisation or gateway.resolve_organisation(actor)
    scope = Q(pk__in=[])
    if professional is not None:
        scope |= Q(professional=professional)
    if organisation is not None:
        scope |= Q(organisation=organisation)
    return (
        Conversation.objects.filter(scope, first_sent_at__isnull=False)
        .select_related("professional", "organisation")
        .order_by("-last_message_at", "-id")
    )


def _patient_names(conversations: list[Conversation]) -> dict[int, str]:
    ids = {c.patient_id for c in conversations}
    return {p.pk: p.display_name for p in Person.objects.filter(pk__in=ids)}


def inbox_for_professional(
    *, actor: Actor, organisation: Organisation | None = None
) -> list[ConversationRow]:
    """The professional's conversations with his patients, unread first."""
    conversations = list(_with_unread(_professional_conversations(actor, organisation), Side.PATIENT)[:500])
    names = _patient_names(conversations)
    rows = [
        ConversationRow(
            conversation=c,
            subject=_subject(c),
            counterpart=names.get(c.patient_id, ""),
            unread=int(getattr(c, "unread", 0)),
        )
        for c in conversations
    ]
    return _unread_first(rows)


def drafts_for_professional(*, actor: Actor, organisation: Organisation | None = None) -> list[DraftRow]:
    professional = gateway.resolve_professional(actor) if str(actor.kind) == "PROFESSIONAL" else None
    scope = Q(pk__in=[])
    if professional is not None:
        scope |= Q(conversation__professional=professional)
    if organisation is not None:
        scope |= Q(conversation__organisation=organisation)
    drafts = list(
        Message.objects.filter(scope, is_draft=True, side=Side.PROFESSIONAL)
        .select_related("conversation__professional", "conversation__organisation")
        .order_by("-updated_at", "-id")
    )
    names = _patient_names([m.conversation for m in drafts])
    return [
        DraftRow(
            message=m,
            subject=_subject(m.conversation),
            counterpart=names.get(m.patient_id, ""),
            opens_conversation=m.conversation.first_sent_at is None,
        )
        for m in drafts
    ]


def search_for_professional(
    *, actor: Actor, query: str, organisation: Organisation | None = None
) -> list[ConversationRow]:
    """Search the professional's own conversations (bounded, decrypted here)."""
    query = _check_query(query)
    candidates = list(
        _with_unread(_professional_conversations(actor, organisation), Side.PATIENT)[
            :SEARCH_MAX_CONVERSATIONS
        ]
    )
    hits = _search([c for c in candidates if not c.is_deleted], query)
    names = _patient_names(hits)
    return [
        ConversationRow(c, _subject(c), names.get(c.patient_id, ""), int(getattr(c, "unread", 0)))
        for c in hits
    ]


def patient_to_write_to(*, actor: Actor, patient: Person | None) -> Person | None:
    """The patient a professional may start a conversation with (R-MSG-2: open space; no consent needed,
    R-DEP-5), else None (the page answers the same "not found" whatever the reason)."""
    if patient is None:
        return None
    scope = gateway.access_scope(actor=actor, patient_id=patient.pk)
    if scope.holder is None or not scope.facts.is_professional_side:
        return None
    return patient if services.decide(scope, Action.MESSAGE_START, None) else None


def draft_for_actor(
    *, actor: Actor, message_public_id: Any, patient_id: int | None = None
) -> tuple[Message, str, list[tuple[Any, str]]]:
    """A draft of the actor's side with its decrypted text and attachments (for its edit page)."""
    try:
        message = (
            Message.objects.select_related("conversation__professional", "conversation__organisation")
            .filter(public_id=message_public_id, is_draft=True)
            .first()
        )
    except (ValueError, DomainError):
        message = None
    if message is None or (patient_id is not None and message.patient_id != patient_id):
        raise NotFoundOrForbidden(services.NOT_FOUND, code="not_found")
    scope = services.scope_for(actor, message.patient_id)
    side = services.side_of(scope)
    if scope.facts.is_patient_side and patient_id is None:
        raise NotFoundOrForbidden(services.NOT_FOUND, code="not_found")
    if message.side != side:
        raise NotFoundOrForbidden(services.NOT_FOUND, code="not_found")
    if side == Side.PROFESSIONAL:
        mine = {scope.facts.id, scope.facts.organisation_id} - {""}
        if not (mine & set(services.counterpart_ids(message.conversation))):
            raise NotFoundOrForbidden(services.NOT_FOUND, code="not_found")
    elif not services.decide(scope, Action.MESSAGE_READ, services.conversation_facts(message.conversation)):
        raise NotFoundOrForbidden(services.NOT_FOUND, code="not_found")
    attachments = [
        (a, services.attachment_filename(a)) for a in message.attachments.filter(erased_at__isnull=True)
    ]
    return message, _body(message), attachments
