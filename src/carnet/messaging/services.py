"""Writes of the secure messaging (SPEC §5): start, reply, drafts, read marks, end, deletion, attachments
saved into the record.

Each service validates everything first (a ``DomainError`` names the field and the reason), asks THE
policy (``carnet.access.policy.decide`` with the conversation's ``ConversationFacts``, over the facts
built by ``carnet.access.gateway.access_scope``: invariant 1), then writes in ONE transaction with its
trace (invariant 2) and its content-free notification in the outbox (invariant 5, delivered after
commit by the task runner). A refused act writes nothing but a ``DENY`` trace; a refused attachment
leaves no row, no blob and no blob file (invariant 9).

Rules: R-MSG-1 (who reads whom), R-MSG-2 (professionals start; the patient only towards a counterpart who
already wrote and did not end the exchange), R-MSG-3 (REPLY_BLOCKED, NO_REPLY), R-MSG-4 (attachments, size
budget ``MSG_FILE_SIZE_EXCEEDED_ERROR``, drafts, caregiver marking), R-MSG-5 (notification), R-MSG-6
(permanent deletion), R-DEP-5 / R-BLK-2 (no consent needed, a blocked professional still writes),
R-DEL-2 (caregivers), R-MIN-1 (legal representatives).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from carnet.access import gateway, policy
from carnet.access.facts import Action, Confidentiality, ConversationFacts
from carnet.access.gateway import AccessScope
from carnet.access.policy import DEFAULT_DENY, Decision
from carnet.access.services import deny
from carnet.audit.services import trace
from carnet.common import clock
from carnet.common.actors import Actor, ActorKind
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.common.text import strip_bidi_controls
from carnet.identity.models import Organisation, Professional
from carnet.records import codes as record_codes
from carnet.records import formats
from carnet.records import selectors as record_selectors
from carnet.records import services as record_services
from carnet.records.minor_secrecy import documents_hide_from_representatives
from carnet.records.models import Document
from carnet.vault.blobstore import blob_delete, blob_get, blob_put, blob_transaction
from carnet.vault.models import Blob

from . import notify
from .crypto import seal, unseal
from .models import Attachment, AttachmentSource, Conversation, ConversationStatus, Message, Side

NOT_FOUND = _("Conversation introuvable.")
ATTACHMENT_NOT_FOUND = _("Pièce jointe introuvable.")
SUBJECT_MAX_CHARS = 200
MAX_ATTACHMENTS_PER_MESSAGE = 10  # [I]
# R-MSG-4: types accepted in a message, checked from the content (R-FMT-2): the patient upload formats.
MESSAGE_MEDIA_TYPES = formats.PATIENT_MEDIA_TYPES
# Documents picked from the record may also be CDA R2 XML deposited by professionals (R-FMT-1).
RECORD_ATTACHMENT_MEDIA_TYPES = formats.PATIENT_MEDIA_TYPES | formats.PROFESSIONAL_MEDIA_TYPES
SIZE_EXCEEDED = "MSG_FILE_SIZE_EXCEEDED_ERROR"  # R-MSG-4 (the MES backend's error code)
REPLY_BLOCKED = "REPLY_BLOCKED"  # R-MSG-3
NO_REPLY = "NO_REPLY"  # R-MSG-3
RECIPIENT_REFUSED = "RECIPIENT_NOT_ALLOWED"  # R-MSG-2


def attachments_max_bytes() -> int:
    """R-MSG-4 [I]: the attachments of one message weigh at most 10 MB together
    (``CARNET_MESSAGE_ATTACHMENTS_MAX_BYTES``; the MES helpdesk limit of R-FMT-3)."""
    return int(settings.CARNET_MESSAGE_ATTACHMENTS_MAX_BYTES)


def body_max_chars() -> int:
    """[I] A message body holds at most 20,000 characters (``CARNET_MESSAGE_BODY_MAX_CHARS``)."""
    return int(settings.CARNET_MESSAGE_BODY_MAX_CHARS)


# --------------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True)
class IncomingFile:
    """A file to attach: its bytes, the name given by the user and the type his browser declared."""

    filename: str
    content: bytes
    declared_media_type: str = ""


@dataclass(frozen=True)
class _Prepared:
    filename: str
    content: bytes
    media_type: str
    source: str = AttachmentSource.FILE
    source_document_id: uuid.UUID | None = None


@dataclass
class _Act:
    """Everything one act needs: the policy scope, the side, and the conversation at hand."""

    scope: AccessScope
    side: str
    conversation: Conversation | None = None
    decision: Decision = field(default_factory=lambda: Decision(False, DEFAULT_DENY, "not decided"))


# --------------------------------------------------------------------------------------------------
# Policy helpers


def side_of(scope: AccessScope) -> str:
    return Side.PATIENT if scope.facts.is_patient_side else Side.PROFESSIONAL


def counterpart_ids(conversation: Conversation) -> frozenset[str]:
    ids = {
        str(conversation.professional.public_id) if conversation.professional is not None else "",
        str(conversation.organisation.public_id) if conversation.organisation is not None else "",
    }
    return frozenset(ids - {""})


def conversation_facts(conversation: Conversation) -> ConversationFacts:
    """The policy's view of a conversation (R-MSG-1/3/6)."""
    return ConversationFacts(
        conversation_id=str(conversation.public_id),
        counterpart_ids=counterpart_ids(conversation),
        counterpart_has_written=True,
        ended=conversation.is_ended,
        no_reply=conversation.no_reply,
        deleted_by_patient=conversation.is_deleted,
        confidential=conversation.is_confidential,
        confidential_set_by_holder=conversation.confidential_by_side == Side.PATIENT,
    )


def decide(scope: AccessScope, action: Action, conversation: ConversationFacts | None) -> Decision:
    """THE policy's answer for a messaging act (the conversation travels in the request context)."""
    context = replace(scope.context(action), conversation=conversation)
    return policy.decide(scope.facts, scope.patient, None, context)


def scope_for(actor: Actor, patient_id: int, organisation: Organisation | None = None) -> AccessScope:
    scope = gateway.access_scope(actor=actor, patient_id=patient_id, organisation=organisation)
    if scope.holder is None:
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    return scope


def _refuse(
    scope: AccessScope,
    *,
    action: str,
    decision: Decision,
    object_type: str = "conversation",
    object_id: str = "",
    error: DomainError | None = None,
) -> DomainError:
    """Trace the refusal (its own transaction, it survives the exception) and return the error to raise."""
    return deny(
        scope,
        action=action,
        decision=decision,
        object_type=object_type,
        object_id=object_id[:64],
        error=error or NotFoundOrForbidden(NOT_FOUND, code="not_found"),
    )


def _reply_error(conversation: Conversation) -> DomainError | None:
    """R-MSG-3: the patient-facing reason why the holder's side cannot write in this conversation."""
    if conversation.no_reply:
        return DomainError(
            _("Cet expéditeur n'accepte pas de réponse : vous ne pouvez pas lui répondre."),
            code=NO_REPLY,
            field="body",
        )
    if conversation.is_ended:
        return DomainError(
            _("%(name)s a mis fin à vos échanges : vous ne pouvez plus lui répondre.")
            % {"name": conversation.ended_by_label or conversation.counterpart_label},
            code=REPLY_BLOCKED,
            field="body",
        )
    return None


NO_SUCH_CONVERSATION = Decision(False, DEFAULT_DENY, "no such conversation")
# The policy's view of "some confidential conversation": asks whether an actor may see any (R-MIN-5).
_CONFIDENTIAL_PROBE = ConversationFacts("probe", frozenset(), confidential=True)


def sees_confidential(scope: AccessScope) -> bool:
    """May this actor see the conversations kept from legal representatives (R-MIN-5)? The lists ask once
    and scope their query with the answer (never filtered after)."""
    return not policy.conversation_hidden_from(scope.facts.kind, _CONFIDENTIAL_PROBE)


def hidden_from(scope: AccessScope, conversation: Conversation) -> bool:
    return policy.conversation_hidden_from(scope.facts.kind, conversation_facts(conversation))


def _refuse_unknown(
    scope: AccessScope,
    *,
    action: str,
    object_type: str = "conversation",
    error: DomainError | None = None,
) -> DomainError:
    """Missing, someone else's, or kept from this viewer (R-MIN-5): one neutral ``DENY`` trace without an
    object id (only ids of this patient's objects that the viewer may know are ever written) and the same
    404, so a legal representative probing a URL cannot tell a confidential conversation from nothing."""
    return _refuse(scope, action=action, decision=NO_SUCH_CONVERSATION, object_type=object_type, error=error)


def _conversation_qs() -> Any:
    return Conversation.objects.select_related("professional", "organisation")


def load_conversation(
    conversation_public_id: uuid.UUID | str, patient_id: int | None = None, *, lock: bool = False
) -> Conversation | None:
    try:
        wanted = uuid.UUID(str(conversation_public_id))
    except ValueError:
        return None
    qs = _conversation_qs()
    if lock:
        qs = qs.select_for_update(of=("self",))
    qs = qs.filter(public_id=wanted)
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    return qs.first()  # type: ignore[no-any-return,unused-ignore]


def act_on_conversation(
    *,
    actor: Actor,
    conversation_public_id: uuid.UUID | str,
    action: Action,
    trace_action: str,
    patient_id: int | None = None,
    organisation: Organisation | None = None,
) -> _Act:
    """Find the conversation (of ``patient_id`` when the actor is on the patient's side) and ask the policy;
    missing and refused answer the same ``NotFoundOrForbidden`` after a ``DENY`` trace (STYLE)."""
    conversation = load_conversation(conversation_public_id, patient_id)
    if conversation is None:
        if patient_id is not None:
            raise _refuse_unknown(scope_for(actor, patient_id, organisation), action=trace_action)
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    scope = scope_for(actor, conversation.patient_id, organisation)
    if scope.facts.is_patient_side and patient_id is None:
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")  # the patient side always names its space
    if hidden_from(scope, conversation):
        raise _refuse_unknown(scope, action=trace_action)
    decision = decide(scope, action, conversation_facts(conversation))
    if decision and conversation.first_sent_at is None and conversation.started_by_side != side_of(scope):
        decision = Decision(False, "R-MSG-4", "a conversation that only holds a draft is its author's side's")
    if not decision:
        error: DomainError | None = None
        if scope.facts.is_patient_side and action == Action.MESSAGE_SEND:
            error = _reply_error(conversation)
        raise _refuse(
            scope,
            action=trace_action,
            decision=decision,
            object_id=str(conversation.public_id),
            error=error,
        )
    return _Act(scope=scope, side=side_of(scope), conversation=conversation, decision=decision)


# --------------------------------------------------------------------------------------------------
# Validation


def _check_subject(subject: str) -> str:
    subject = " ".join(strip_bidi_controls(subject or "").split())  # no spoofed subjects
    if not subject:
        raise DomainError(_("L'objet du message est obligatoire."), code="required", field="subject")
    if len(subject) > SUBJECT_MAX_CHARS:
        raise DomainError(
            _("L'objet ne doit pas dépasser %(n)s caractères.") % {"n": SUBJECT_MAX_CHARS},
            code="too_long",
            field="subject",
        )
    return subject


def _check_body(body: str, *, required: bool) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if required and not body:
        raise DomainError(_("Le message ne peut pas être vide."), code="required", field="body")
    limit = body_max_chars()
    if len(body) > limit:
        raise DomainError(
            _("Le message ne doit pas dépasser %(n)s caractères.") % {"n": limit},
            code="too_long",
            field="body",
        )
    return body


def _clean_filename(name: str, media_type: str) -> str:
    name = strip_bidi_controls(name or "")  # "facture\u202efdp.exe" must not pass for a PDF
    base = PurePath(name.replace("\\", "/")).name.strip().replace("\x00", "")[:200]
    return base or f"piece-jointe.{_EXTENSIONS.get(media_type, 'bin')}"


_EXTENSIONS = {
    formats.PDF: "pdf",
    formats.JPEG: "jpg",
    formats.PNG: "png",
    formats.TIFF: "tiff",
    formats.TEXT: "txt",
    formats.RTF: "rtf",
    formats.MSWORD: "doc",
    formats.DOCX: "docx",
    formats.XML: "xml",
}


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",")


def _prepare_attachments(
    act: _Act,
    *,
    files: Sequence[IncomingFile],
    document_ids: Sequence[str | uuid.UUID],
    already: Sequence[Attachment] = (),
    confidential: bool = False,
) -> list[_Prepared]:
    """R-MSG-4: every file sniffed (R-FMT-2: a disguised executable is refused), documents chosen from the
    record read through the records selector (only what the actor may see; traced), and the whole
    message within ``attachments_max_bytes()`` (``MSG_FILE_SIZE_EXCEEDED_ERROR``). A record document kept
    from the legal representatives (R-MIN-5) goes only into a conversation kept from them too
    (``confidential``, or the act's conversation's flag): a copy elsewhere would show it to them."""
    if act.conversation is not None:
        confidential = act.conversation.is_confidential
    if len(files) + len(document_ids) + len(already) > MAX_ATTACHMENTS_PER_MESSAGE:
        raise DomainError(
            _("Un message contient au plus %(n)s pièces jointes.") % {"n": MAX_ATTACHMENTS_PER_MESSAGE},
            code="too_many_files",
            field="attachments",
        )
    prepared: list[_Prepared] = []
    for incoming in files:
        content = bytes(incoming.content or b"")
        if not content:
            raise DomainError(_("La pièce jointe est vide."), code="required", field="attachments")
        try:
            media_type = formats.check_media_type(content, incoming.declared_media_type, MESSAGE_MEDIA_TYPES)
        except DomainError as error:
            raise DomainError(error.message, code=error.code, field="attachments") from None
        prepared.append(_Prepared(_clean_filename(incoming.filename, media_type), content, media_type))
    if document_ids and act.side != Side.PATIENT:
        raise DomainError(
            _("Seul l'usager joint des documents de son dossier."), code="not_allowed", field="documents"
        )
    for document_id in dict.fromkeys(str(d) for d in document_ids):
        try:
            document, content = record_selectors.document_content_for_actor(
                actor=act.scope.actor, patient_id=act.scope.patient_id, document_public_id=document_id
            )
        except DomainError:
            raise DomainError(
                _("Ce document de votre dossier ne peut pas être joint."), code="not_found", field="documents"
            ) from None
        if Confidentiality.INVISIBLE_REPRESENTANTS_LEGAUX in document.confidentiality and not confidential:
            raise DomainError(
                _(
                    "Ce document n'est pas visible par vos représentants légaux : joignez-le seulement à une "
                    "conversation qui leur est cachée."
                ),
                code="secret_document",
                field="documents",
            )
        if document.media_type not in RECORD_ATTACHMENT_MEDIA_TYPES:
            raise DomainError(
                _("Format de fichier non accepté : le contenu n'est pas d'un type autorisé."),
                code="unsupported_format",
                field="documents",
            )
        ext = _EXTENSIONS.get(document.media_type, "bin")
        prepared.append(
            _Prepared(
                filename=_clean_filename(f"{document.title}.{ext}", document.media_type),
                content=content,
                media_type=document.media_type,
                source=AttachmentSource.RECORD,
                source_document_id=document.public_id,
            )
        )
    used = sum(a.size for a in already)
    total = used + sum(len(p.content) for p in prepared)
    limit = attachments_max_bytes()
    if total > limit:
        raise DomainError(
            _(
                "Les pièces jointes d'un message ne doivent pas dépasser %(max)s Mo au total "
                "(place restante : %(left)s Mo)."
            )
            % {"max": _megabytes(limit), "left": _megabytes(max(limit - used, 0))},
            code=SIZE_EXCEEDED,
            field="attachments",
        )
    return prepared


def remaining_attachment_bytes(message: Message | None) -> int:
    """R-MSG-4 ``remainSizeFiles``: what a draft may still carry."""
    if message is None:
        return attachments_max_bytes()
    used = sum(a.size for a in message.attachments.filter(erased_at__isnull=True))
    return max(attachments_max_bytes() - used, 0)


# --------------------------------------------------------------------------------------------------
# Writing helpers (inside the act's transaction)


def _store_attachments(message: Message, prepared: Sequence[_Prepared], created: list[Blob]) -> None:
    now = clock.now()
    for item in prepared:
        blob = blob_put(patient_id=message.patient_id, content=item.content, media_type=item.media_type)
        created.append(blob)
        attachment = Attachment(
            message=message,
            patient_id=message.patient_id,
            blob=blob,
            media_type=item.media_type,
            size=len(item.content),
            source=item.source,
            source_document_id=item.source_document_id,
            created_at=now,
        )
        attachment.filename_sealed = seal(
            patient_id=message.patient_id,
            text=item.filename,
            purpose=f"attachment-name:{attachment.public_id}",
        )
        attachment.save()


def _set_author(message: Message, act: _Act) -> None:
    """Who wrote: the holder's side writes in the holder's name, a delegate is named (R-MSG-4, R-DEL-2)."""
    scope = act.scope
    actor = scope.actor
    message.author_kind = str(actor.kind)
    message.author_id = str(actor.id)[:64]
    if act.side == Side.PATIENT:
        holder = scope.holder
        assert holder is not None
        message.author_label = holder.display_name
        if actor.kind in (ActorKind.CAREGIVER, ActorKind.LEGAL_REPRESENTATIVE):
            acting = scope.acting_person
            message.delegate_kind = str(actor.kind)
            message.delegate_label = (acting.display_name if acting is not None else actor.label)[:200]
        else:
            message.delegate_kind = ""
            message.delegate_label = ""
    else:
        conversation = act.conversation
        label = actor.label
        if scope.professional is not None:
            label = scope.professional.display_name
        elif scope.organisation is not None:
            label = scope.organisation.name
        elif conversation is not None:
            label = conversation.counterpart_label
        message.author_label = (label or "")[:200]


def _write_body(message: Message, body: str) -> None:
    message.body_sealed = seal(
        patient_id=message.patient_id, text=body, purpose=f"message:{message.public_id}"
    )


def _send(act: _Act, message: Message, *, extra_details: dict[str, Any] | None = None) -> None:
    """Mark sent, move the conversation, trace and notify (inside the act's transaction).
    ``extra_details`` adds identifiers (never content) to the trace, e.g. the channel of a received mail."""
    conversation = act.conversation
    assert conversation is not None
    now = clock.now()
    _set_author(message, act)
    message.is_draft = False
    message.sent_at = now
    message.updated_at = now
    message.read_at = None
    message.save()
    conversation.last_message_at = now
    if conversation.first_sent_at is None:
        conversation.first_sent_at = now
    conversation.save(update_fields=["last_message_at", "first_sent_at"])
    trace(
        actor=act.scope.actor,
        action="MESSAGE_SEND",
        patient_id=message.patient_id,
        group="general",
        object_type="message",
        object_id=str(message.public_id),
        details={
            "rule": act.decision.rule,
            "conversation": str(conversation.public_id),
            "attachments": message.attachments.count(),
            **({"written_by": message.delegate_kind} if message.delegate_kind else {}),
            **(extra_details or {}),
        },
    )
    notify.new_message(conversation, conversation_facts(conversation), message)


def _new_message(act: _Act, *, body: str, draft: bool) -> Message:
    conversation = act.conversation
    assert conversation is not None
    now = clock.now()
    message = Message(
        conversation=conversation,
        patient_id=conversation.patient_id,
        side=act.side,
        is_draft=draft,
        created_at=now,
        updated_at=now,
    )
    _set_author(message, act)
    _write_body(message, body)
    message.save()
    return message


def _trace_draft(act: _Act, message: Message, action: str) -> None:
    trace(
        actor=act.scope.actor,
        action=action,
        patient_id=message.patient_id,
        group="general",
        object_type="message",
        object_id=str(message.public_id),
        details={"rule": act.decision.rule, "conversation": str(message.conversation.public_id)},
    )


def _run(act_body: Any) -> Any:
    """Run ``act_body(created_blobs)`` in one transaction; if it fails before its commit, remove the blob
    files it wrote (a failed commit keeps them for the sweep: the rows may be durable, issue 13)."""
    created: list[Blob] = []
    with blob_transaction():
        return act_body(created)


# --------------------------------------------------------------------------------------------------
# Starting a conversation


def _counterpart(recipient_public_id: str) -> tuple[Professional | None, Organisation | None]:
    try:
        wanted = uuid.UUID(str(recipient_public_id))
    except ValueError:
        return None, None
    professional = Professional.objects.filter(public_id=wanted, active=True).first()
    if professional is not None:
        return professional, None
    return None, Organisation.objects.filter(public_id=wanted).first()


def counterpart_standing(
    patient_id: int,
    *,
    professional: Professional | None,
    organisation: Organisation | None,
    include_confidential: bool = True,
) -> ConversationFacts:
    """R-MSG-2 facts for the holder's side writing to a counterpart: did he already write, and is the
    latest exchange in which he wrote still open (not ended, not a no-reply sender)? Without
    ``include_confidential`` (a legal representative, R-MIN-5) the conversations kept from him do not
    count: what the professional wrote there does not exist for him."""
    qs = Conversation.objects.filter(patient_id=patient_id, first_sent_at__isnull=False)
    if not include_confidential:
        qs = qs.filter(confidential_at__isnull=True)
    if professional is not None:
        qs = qs.filter(professional=professional)
    elif organisation is not None:
        qs = qs.filter(organisation=organisation, professional__isnull=True)
    else:
        qs = qs.none()
    latest = (
        qs.filter(messages__side=Side.PROFESSIONAL, messages__sent_at__isnull=False)
        .distinct()
        .order_by("-last_message_at", "-id")
        .first()
    )
    ids = {
        str(professional.public_id) if professional is not None else "",
        str(organisation.public_id) if organisation is not None else "",
    } - {""}
    return ConversationFacts(
        conversation_id="new",
        counterpart_ids=frozenset(ids),
        counterpart_has_written=latest is not None,
        ended=bool(latest is not None and latest.is_ended),
        no_reply=bool(latest is not None and latest.no_reply),
    )


def conversation_start(
    *,
    actor: Actor,
    patient_id: int,
    subject: str,
    body: str,
    recipient_public_id: str = "",
    files: Sequence[IncomingFile] = (),
    document_ids: Sequence[str | uuid.UUID] = (),
    no_reply: bool = False,
    organisation: Organisation | None = None,
    draft: bool = False,
    confidential: bool = False,
) -> Message:
    """Open a conversation with its first message (or a draft of it).

    * A professional or an establishment writes to any patient whose space is open, without consent to
      consult and even when blocked (R-MSG-2, R-DEP-5, R-BLK-2 [I]); ``no_reply`` marks a no-reply sender
      (R-MSG-3). A professional acting for an establishment passes ``organisation``.
    * The holder's side (holder, legal representative R-MIN-1, caregiver R-DEL-2) writes only to
      ``recipient_public_id``, a professional or an establishment who already wrote to him and did not end
      the exchange (R-MSG-2; Appendix B scenario 9); refused otherwise with ``RECIPIENT_NOT_ALLOWED``.
    * ``confidential`` keeps the conversation from the minor's legal representatives from its first
      message (R-MIN-5 [I]; the policy's ``MESSAGE_MARK_CONFIDENTIAL``: his professional, or the minor
      himself when old enough); refused otherwise with the code ``confidential_refused``.
    """
    scope = scope_for(actor, patient_id, organisation)
    act = _Act(scope=scope, side=side_of(scope))
    subject = _check_subject(subject)
    body = _check_body(body, required=not draft)
    if act.side == Side.PATIENT:
        professional, counterpart_org = _counterpart(recipient_public_id)
        if professional is None and counterpart_org is None:
            facts = ConversationFacts("new", frozenset(), counterpart_has_written=False)
        else:
            facts = counterpart_standing(
                patient_id,
                professional=professional,
                organisation=counterpart_org,
                include_confidential=sees_confidential(scope),
            )
        decision = decide(scope, Action.MESSAGE_START, facts)
        if not decision:
            raise _refuse(
                scope,
                action="MESSAGE_START",
                decision=decision,
                error=DomainError(
                    _(
                        "Vous pouvez uniquement écrire aux professionnels qui vous ont déjà écrit et qui "
                        "n'ont pas mis fin aux échanges."
                    ),
                    code=RECIPIENT_REFUSED,
                    field="recipient",
                ),
            )
        no_reply = False
    else:
        decision = decide(scope, Action.MESSAGE_START, None)
        if not decision:
            raise _refuse(scope, action="MESSAGE_START", decision=decision)
        professional = scope.professional
        counterpart_org = scope.organisation
        if professional is None and counterpart_org is None:
            raise _refuse(scope, action="MESSAGE_START", decision=Decision(False, DEFAULT_DENY, "no sender"))
    act.decision = decision
    secrecy = _secrecy_at_start(act, professional, counterpart_org) if confidential else None
    prepared = _prepare_attachments(act, files=files, document_ids=document_ids, confidential=confidential)

    def write(created: list[Blob]) -> Message:
        now = clock.now()
        conversation = Conversation(
            patient_id=patient_id,
            professional=professional,
            organisation=counterpart_org,
            started_by_side=act.side,
            no_reply=no_reply,
            created_at=now,
        )
        conversation.subject_sealed = seal(
            patient_id=patient_id, text=subject, purpose=f"subject:{conversation.public_id}"
        )
        if secrecy is not None:
            conversation.confidential_at, conversation.confidential_by_side = now, act.side
        conversation.save()
        act.conversation = conversation
        if secrecy is not None:
            trace_secrecy(act.scope, conversation, "MESSAGE_CONFIDENTIAL_SET", secrecy)
        return _write_message(act, body=body, prepared=prepared, created=created, draft=draft)

    result: Message = _run(write)
    return result


def _secrecy_at_start(
    act: _Act, professional: Professional | None, organisation: Organisation | None
) -> Decision:
    """R-MIN-5: may this conversation be kept from the legal representatives from its start? Refused
    with a patient-facing error on the ``confidential`` field (after a ``DENY`` trace)."""
    ids = {
        str(professional.public_id) if professional is not None else "",
        str(organisation.public_id) if organisation is not None else "",
    } - {""}
    decision = decide(act.scope, Action.MESSAGE_MARK_CONFIDENTIAL, ConversationFacts("new", frozenset(ids)))
    if not decision:
        raise _refuse(
            act.scope,
            action="MESSAGE_CONFIDENTIAL_SET",
            decision=decision,
            error=DomainError(
                _("Cette conversation ne peut pas être cachée aux représentants légaux du patient."),
                code="confidential_refused",
                field="confidential",
            ),
        )
    return decision


def trace_secrecy(scope: AccessScope, conversation: Conversation, action: str, decision: Decision) -> None:
    """``MESSAGE_CONFIDENTIAL_SET`` / ``_LIFT``: on the conversation (so hidden with it from the legal
    representatives while it is confidential), with the side that asked."""
    trace(
        actor=scope.actor,
        action=action,
        patient_id=conversation.patient_id,
        group="general",
        object_type="conversation",
        object_id=str(conversation.public_id),
        details={"rule": decision.rule, "side": side_of(scope)},
    )


# --------------------------------------------------------------------------------------------------
# Replies and drafts


def _write_message(act: _Act, *, body: str, prepared: Any, created: list[Blob], draft: bool) -> Message:
    """The message of a start or a reply: stored with its attachments, then saved as a draft or sent."""
    message = _new_message(act, body=body, draft=True)
    _store_attachments(message, prepared, created)
    if draft:
        _trace_draft(act, message, "MESSAGE_DRAFT_SAVE")
    else:
        _send(act, message)
    return message


def message_reply(
    *,
    actor: Actor,
    conversation_public_id: uuid.UUID | str,
    body: str,
    patient_id: int | None = None,
    files: Sequence[IncomingFile] = (),
    document_ids: Sequence[str | uuid.UUID] = (),
    organisation: Organisation | None = None,
    draft: bool = False,
) -> Message:
    """Write in an existing conversation (or save a draft there).

    The holder's side is refused with ``REPLY_BLOCKED`` once the professional ended the exchange and with
    ``NO_REPLY`` for a no-reply sender (R-MSG-3); a professional writes only in his own, open conversations
    (R-MSG-1). ``patient_id`` is required on the holder's side (the space being acted on).
    """
    body = _check_body(body, required=not draft)
    act = act_on_conversation(
        actor=actor,
        conversation_public_id=conversation_public_id,
        action=Action.MESSAGE_SEND,
        trace_action="MESSAGE_SEND",
        patient_id=patient_id,
        organisation=organisation,
    )
    prepared = _prepare_attachments(act, files=files, document_ids=document_ids)

    def write(created: list[Blob]) -> Message:
        assert act.conversation is not None
        load_conversation(act.conversation.public_id, lock=True)  # serialise with conversation_end
        act.conversation.refresh_from_db(fields=["status", "deleted_by_patient_at"])
        recheck = decide(act.scope, Action.MESSAGE_SEND, conversation_facts(act.conversation))
        if not recheck:
            error = _reply_error(act.conversation) if act.side == Side.PATIENT else None
            raise error or NotFoundOrForbidden(NOT_FOUND, code="not_found")
        return _write_message(act, body=body, prepared=prepared, created=created, draft=draft)

    result: Message = _run(write)
    return result


def _draft_act(
    *,
    actor: Actor,
    message_public_id: uuid.UUID | str,
    patient_id: int | None,
    organisation: Organisation | None,
    trace_action: str,
) -> tuple[_Act, Message]:
    """A draft of the actor's side, and the policy's answer for writing in its conversation (a draft that
    opens a conversation is re-checked as a ``MESSAGE_START``: R-MSG-2 still holds when it is sent)."""
    try:
        wanted = uuid.UUID(str(message_public_id))
    except ValueError:
        wanted = None
    qs = Message.objects.select_related("conversation__professional", "conversation__organisation")
    message = qs.filter(public_id=wanted, is_draft=True).first() if wanted is not None else None
    if message is None or (patient_id is not None and message.patient_id != patient_id):
        if patient_id is not None:
            raise _refuse_unknown(
                scope_for(actor, patient_id, organisation), action=trace_action, object_type="message"
            )
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    conversation = message.conversation
    scope = scope_for(actor, message.patient_id, organisation)
    side = side_of(scope)
    if scope.facts.is_patient_side and patient_id is None:
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    if hidden_from(scope, conversation):
        raise _refuse_unknown(scope, action=trace_action, object_type="message")
    opening = conversation.first_sent_at is None
    if opening and side == Side.PATIENT:
        facts = counterpart_standing(
            message.patient_id,
            professional=conversation.professional,
            organisation=conversation.organisation if conversation.professional is None else None,
        )
        decision = decide(scope, Action.MESSAGE_START, facts)
    elif opening:
        decision = decide(scope, Action.MESSAGE_READ, conversation_facts(conversation))
        if decision:
            decision = decide(scope, Action.MESSAGE_START, None)
    else:
        decision = decide(scope, Action.MESSAGE_SEND, conversation_facts(conversation))
    if decision and message.side != side:
        decision = Decision(False, "R-MSG-4", "a draft is seen only by its own side")
    if not decision:
        error: DomainError | None = None
        if side == Side.PATIENT and message.side == side:
            error = (
                _reply_error(conversation)
                if not opening
                else DomainError(
                    _(
                        "Vous pouvez uniquement écrire aux professionnels qui vous ont déjà écrit et qui "
                        "n'ont pas mis fin aux échanges."
                    ),
                    code=RECIPIENT_REFUSED,
                    field="recipient",
                )
            )
        raise _refuse(
            scope,
            action=trace_action,
            decision=decision,
            object_type="message",
            object_id=str(message.public_id),
            error=error,
        )
    return _Act(scope=scope, side=side, conversation=conversation, decision=decision), message


def draft_update(
    *,
    actor: Actor,
    message_public_id: uuid.UUID | str,
    body: str,
    subject: str | None = None,
    patient_id: int | None = None,
    files: Sequence[IncomingFile] = (),
    document_ids: Sequence[str | uuid.UUID] = (),
    remove_attachment_ids: Sequence[str | uuid.UUID] = (),
    organisation: Organisation | None = None,
    send: bool = False,
) -> Message:
    """Save a draft again (text, subject of a conversation it opens, attachments added or removed), and
    send it when ``send`` (R-MSG-4: drafts can be saved; the size budget covers the whole message)."""
    act, message = _draft_act(
        actor=actor,
        message_public_id=message_public_id,
        patient_id=patient_id,
        organisation=organisation,
        trace_action="MESSAGE_SEND" if send else "MESSAGE_DRAFT_SAVE",
    )
    conversation = act.conversation
    assert conversation is not None
    body = _check_body(body, required=send)
    opening = conversation.first_sent_at is None
    clean_subject = _check_subject(subject) if (opening and subject is not None) else None
    removed = {str(r) for r in remove_attachment_ids}
    kept = [a for a in message.attachments.filter(erased_at__isnull=True) if str(a.public_id) not in removed]
    dropped = [a for a in message.attachments.filter(erased_at__isnull=True) if str(a.public_id) in removed]
    prepared = _prepare_attachments(act, files=files, document_ids=document_ids, already=kept)

    def write(created: list[Blob]) -> Message:
        for attachment in dropped:
            if attachment.blob is not None:
                blob_delete(attachment.blob)
            attachment.delete()
        if clean_subject is not None:
            conversation.subject_sealed = seal(
                patient_id=conversation.patient_id,
                text=clean_subject,
                purpose=f"subject:{conversation.public_id}",
            )
            conversation.save(update_fields=["subject_sealed"])
        _write_body(message, body)
        message.updated_at = clock.now()
        message.save(update_fields=["body_sealed", "updated_at"])
        _store_attachments(message, prepared, created)
        if send:
            _send(act, message)
        else:
            _trace_draft(act, message, "MESSAGE_DRAFT_SAVE")
        return message

    result: Message = _run(write)
    return result


def draft_send(
    *,
    actor: Actor,
    message_public_id: uuid.UUID | str,
    body: str,
    subject: str | None = None,
    patient_id: int | None = None,
    files: Sequence[IncomingFile] = (),
    document_ids: Sequence[str | uuid.UUID] = (),
    remove_attachment_ids: Sequence[str | uuid.UUID] = (),
    organisation: Organisation | None = None,
) -> Message:
    """Send a draft (with its last changes): the same checks as a new message (R-MSG-2, R-MSG-3)."""
    return draft_update(
        actor=actor,
        message_public_id=message_public_id,
        body=body,
        subject=subject,
        patient_id=patient_id,
        files=files,
        document_ids=document_ids,
        remove_attachment_ids=remove_attachment_ids,
        organisation=organisation,
        send=True,
    )


def draft_delete(
    *,
    actor: Actor,
    message_public_id: uuid.UUID | str,
    patient_id: int | None = None,
    organisation: Organisation | None = None,
) -> None:
    """Delete a draft of one's side and its attachments (a conversation that only held it goes too).

    Deleting a draft stays possible after the professional ended the exchange (nothing is sent)."""
    try:
        wanted = uuid.UUID(str(message_public_id))
    except ValueError:
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found") from None
    message = (
        Message.objects.select_related("conversation__professional", "conversation__organisation")
        .filter(public_id=wanted, is_draft=True)
        .first()
    )
    if message is None or (patient_id is not None and message.patient_id != patient_id):
        if patient_id is not None:
            raise _refuse_unknown(
                scope_for(actor, patient_id, organisation),
                action="MESSAGE_DRAFT_DELETE",
                object_type="message",
            )
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    conversation = message.conversation
    scope = scope_for(actor, message.patient_id, organisation)
    side = side_of(scope)
    if scope.facts.is_patient_side and patient_id is None:
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    if hidden_from(scope, conversation):
        raise _refuse_unknown(scope, action="MESSAGE_DRAFT_DELETE", object_type="message")
    if conversation.first_sent_at is None and side == Side.PROFESSIONAL:
        decision = decide(scope, Action.MESSAGE_START, None)
        mine = {scope.facts.id, scope.facts.organisation_id} - {""}
        if decision and not (mine & set(counterpart_ids(conversation))):
            decision = Decision(False, "R-MSG-1", "not his draft")
    else:
        decision = decide(scope, Action.MESSAGE_READ, conversation_facts(conversation))
    if decision and message.side != side:
        decision = Decision(False, "R-MSG-4", "a draft is seen only by its own side")
    if not decision:
        raise _refuse(
            scope,
            action="MESSAGE_DRAFT_DELETE",
            decision=decision,
            object_type="message",
            object_id=str(message.public_id),
        )
    act = _Act(scope=scope, side=side, conversation=conversation, decision=decision)
    with transaction.atomic():
        for attachment in message.attachments.select_related("blob"):
            if attachment.blob is not None:
                blob_delete(attachment.blob)
        _trace_draft(act, message, "MESSAGE_DRAFT_DELETE")
        message.delete()
        if conversation.first_sent_at is None and not conversation.messages.exists():
            conversation.delete()


# --------------------------------------------------------------------------------------------------
# Reading, read marks


@dataclass(frozen=True)
class OpenedConversation:
    """A conversation as one side reads it (texts decrypted; drafts of the other side left out)."""

    conversation: Conversation
    subject: str
    messages: list[tuple[Message, str, list[tuple[Attachment, str]]]]
    side: str
    reply_mode: str  # R-MSG-3: REPLY, REPLY_BLOCKED, NO_REPLY, or DELETED (R-MSG-6)
    can_mark_confidential: bool = False  # R-MIN-5: the policy's answers, for the page's buttons
    can_lift_confidential: bool = False


def _reply_mode(conversation: Conversation, side: str) -> str:
    if conversation.is_deleted:
        return "DELETED"
    if conversation.is_ended:
        return REPLY_BLOCKED
    if conversation.no_reply and side == Side.PATIENT:
        return NO_REPLY
    return "REPLY"


def conversation_read(
    *,
    actor: Actor,
    conversation_public_id: uuid.UUID | str,
    patient_id: int | None = None,
    organisation: Organisation | None = None,
) -> OpenedConversation:
    """Open a conversation: the policy decides (R-MSG-1; a professional reads only his own), the read is
    traced (``MESSAGE_READ``) and the other side's messages are marked read, in one transaction."""
    act = act_on_conversation(
        actor=actor,
        conversation_public_id=conversation_public_id,
        action=Action.MESSAGE_READ,
        trace_action="MESSAGE_READ",
        patient_id=patient_id,
        organisation=organisation,
    )
    conversation = act.conversation
    assert conversation is not None
    visible = (
        Message.objects.filter(conversation=conversation)
        .exclude(is_draft=True, side=_other(act.side))
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    messages = list(visible)
    with transaction.atomic():
        now = clock.now()
        marked = Message.objects.filter(
            conversation=conversation, side=_other(act.side), is_draft=False, read_at__isnull=True
        ).update(read_at=now)
        trace(
            actor=act.scope.actor,
            action="MESSAGE_READ",
            patient_id=conversation.patient_id,
            group="general",
            object_type="conversation",
            object_id=str(conversation.public_id),
            details={"rule": act.decision.rule, "marked_read": marked},
        )
    pid = conversation.patient_id
    return OpenedConversation(
        conversation=conversation,
        subject=unseal(
            patient_id=pid, sealed=conversation.subject_sealed, purpose=f"subject:{conversation.public_id}"
        ),
        messages=[
            (
                message,
                unseal(patient_id=pid, sealed=message.body_sealed, purpose=f"message:{message.public_id}"),
                [(a, attachment_filename(a)) for a in message.attachments.all() if a.erased_at is None],
            )
            for message in messages
        ],
        side=act.side,
        reply_mode=_reply_mode(conversation, act.side),
        can_mark_confidential=not conversation.is_confidential
        and bool(decide(act.scope, Action.MESSAGE_MARK_CONFIDENTIAL, conversation_facts(conversation))),
        can_lift_confidential=conversation.is_confidential
        and bool(decide(act.scope, Action.MESSAGE_LIFT_CONFIDENTIAL, conversation_facts(conversation))),
    )


def _other(side: str) -> str:
    return Side.PROFESSIONAL if side == Side.PATIENT else Side.PATIENT


def attachment_filename(attachment: Attachment) -> str:
    return unseal(
        patient_id=attachment.patient_id,
        sealed=attachment.filename_sealed,
        purpose=f"attachment-name:{attachment.public_id}",
    )


def conversation_mark_unread(
    *,
    actor: Actor,
    conversation_public_id: uuid.UUID | str,
    patient_id: int | None = None,
    organisation: Organisation | None = None,
) -> Conversation:
    """Mark the last message received in the conversation as unread again (for the actor's side)."""
    act = act_on_conversation(
        actor=actor,
        conversation_public_id=conversation_public_id,
        action=Action.MESSAGE_READ,
        trace_action="MESSAGE_MARK_UNREAD",
        patient_id=patient_id,
        organisation=organisation,
    )
    conversation = act.conversation
    assert conversation is not None
    with transaction.atomic():
        last = (
            Message.objects.filter(conversation=conversation, side=_other(act.side), is_draft=False)
            .order_by("-sent_at", "-id")
            .first()
        )
        if last is not None:
            Message.objects.filter(pk=last.pk).update(read_at=None)
        trace(
            actor=act.scope.actor,
            action="MESSAGE_MARK_UNREAD",
            patient_id=conversation.patient_id,
            group="general",
            object_type="conversation",
            object_id=str(conversation.public_id),
            details={"rule": act.decision.rule},
        )
    return conversation


# --------------------------------------------------------------------------------------------------
# Ending, deleting


def conversation_end(
    *,
    actor: Actor,
    conversation_public_id: uuid.UUID | str,
    organisation: Organisation | None = None,
) -> Conversation:
    """R-MSG-3: the professional (or establishment) ends the exchange; the patient can no longer reply
    ("<X> a mis fin à vos échanges", ``REPLY_BLOCKED``) nor start a new message to him (R-MSG-2)."""
    act = act_on_conversation(
        actor=actor,
        conversation_public_id=conversation_public_id,
        action=Action.MESSAGE_END,
        trace_action="MESSAGE_END",
        organisation=organisation,
    )
    conversation = act.conversation
    assert conversation is not None
    with transaction.atomic():
        locked = load_conversation(conversation.public_id, lock=True)
        assert locked is not None
        if locked.is_ended:
            return locked
        locked.status = ConversationStatus.ENDED
        locked.ended_at = clock.now()
        scope = act.scope
        label = (
            scope.professional.display_name
            if scope.professional is not None
            else (scope.organisation.name if scope.organisation is not None else locked.counterpart_label)
        )
        locked.ended_by_label = label[:200]
        locked.save(update_fields=["status", "ended_at", "ended_by_label"])
        trace(
            actor=scope.actor,
            action="MESSAGE_END",
            patient_id=locked.patient_id,
            group="general",
            object_type="conversation",
            object_id=str(locked.public_id),
            details={"rule": act.decision.rule},
        )
    return locked


def conversation_delete(
    *, actor: Actor, patient_id: int, conversation_public_id: uuid.UUID | str
) -> Conversation:
    """R-MSG-6: the holder's side deletes a conversation for good: every text is erased, every attachment's
    encrypted blob deleted (drafts included); a tombstone and the traces remain. The professional's side
    then sees the conversation as deleted, without content (we keep one copy, under the patient's key)."""
    act = act_on_conversation(
        actor=actor,
        conversation_public_id=conversation_public_id,
        action=Action.MESSAGE_DELETE,
        trace_action="MESSAGE_DELETE",
        patient_id=patient_id,
    )
    conversation = act.conversation
    assert conversation is not None
    with transaction.atomic():
        now = clock.now()
        attachments = list(
            Attachment.objects.filter(message__conversation=conversation).select_related("blob")
        )
        for attachment in attachments:
            if attachment.blob is not None:
                blob_delete(attachment.blob)
        Attachment.objects.filter(message__conversation=conversation).update(
            filename_sealed=b"", erased_at=now, blob=None
        )
        erased = Message.objects.filter(conversation=conversation).update(body_sealed=b"", erased_at=now)
        conversation.subject_sealed = b""
        conversation.deleted_by_patient_at = now
        conversation.deleted_by = str(act.scope.actor.id)[:64]
        conversation.save(update_fields=["subject_sealed", "deleted_by_patient_at", "deleted_by"])
        trace(
            actor=act.scope.actor,
            action="MESSAGE_DELETE",
            patient_id=patient_id,
            group="general",
            object_type="conversation",
            object_id=str(conversation.public_id),
            details={"rule": act.decision.rule, "messages": erased, "attachments": len(attachments)},
        )
    return conversation


# --------------------------------------------------------------------------------------------------
# Attachments: download, save into the record


def _attachment_act(
    *,
    actor: Actor,
    attachment_public_id: uuid.UUID | str,
    patient_id: int | None,
    organisation: Organisation | None,
    trace_action: str,
) -> tuple[_Act, Attachment]:
    try:
        wanted = uuid.UUID(str(attachment_public_id))
    except ValueError:
        raise NotFoundOrForbidden(ATTACHMENT_NOT_FOUND, code="not_found") from None
    attachment = (
        Attachment.objects.select_related(
            "blob", "message__conversation__professional", "message__conversation__organisation"
        )
        .filter(public_id=wanted, erased_at__isnull=True)
        .first()
    )
    missing = attachment is None or (patient_id is not None and attachment.patient_id != patient_id)
    if patient_id is not None:
        scope = scope_for(actor, patient_id, organisation)
        if missing or (attachment is not None and hidden_from(scope, attachment.message.conversation)):
            raise _refuse_unknown(
                scope,
                action=trace_action,
                object_type="attachment",
                error=NotFoundOrForbidden(ATTACHMENT_NOT_FOUND, code="not_found"),
            )
    if attachment is None or missing:
        raise NotFoundOrForbidden(ATTACHMENT_NOT_FOUND, code="not_found")
    message = attachment.message
    act = act_on_conversation(
        actor=actor,
        conversation_public_id=message.conversation.public_id,
        action=Action.MESSAGE_READ,
        trace_action=trace_action,
        patient_id=patient_id,
        organisation=organisation,
    )
    if message.is_draft and message.side != act.side:
        raise _refuse(
            act.scope,
            action=trace_action,
            decision=Decision(False, "R-MSG-4", "a draft is seen only by its own side"),
            object_type="attachment",
            object_id=str(attachment.public_id),
            error=NotFoundOrForbidden(ATTACHMENT_NOT_FOUND, code="not_found"),
        )
    return act, attachment


def attachment_content(
    *,
    actor: Actor,
    attachment_public_id: uuid.UUID | str,
    patient_id: int | None = None,
    organisation: Organisation | None = None,
) -> tuple[Attachment, str, bytes]:
    """The decrypted attachment (file name, content) for someone who may read its conversation; traced
    ``MESSAGE_ATTACHMENT_DOWNLOAD`` (R-MSG-4, invariant 2)."""
    act, attachment = _attachment_act(
        actor=actor,
        attachment_public_id=attachment_public_id,
        patient_id=patient_id,
        organisation=organisation,
        trace_action="MESSAGE_ATTACHMENT_DOWNLOAD",
    )
    if attachment.blob is None:
        raise DomainError(
            _("Le contenu de cette pièce jointe a été effacé."), code="content_erased", field="attachment"
        )
    content = blob_get(attachment.blob)
    with transaction.atomic():
        trace(
            actor=act.scope.actor,
            action="MESSAGE_ATTACHMENT_DOWNLOAD",
            patient_id=attachment.patient_id,
            group="general",
            object_type="attachment",
            object_id=str(attachment.public_id),
            details={"rule": act.decision.rule, "message": str(attachment.message.public_id)},
        )
    return attachment, attachment_filename(attachment), content


def attachment_save_to_record(
    *,
    actor: Actor,
    patient_id: int,
    attachment_public_id: uuid.UUID | str,
    title: str = "",
    category: str = "",
) -> Document:
    """R-MSG-4: in one action a received attachment becomes a document of the holder's record.

    The holder's side is the one who deposits it (SPEC §2.6 R-DEP-3 1°c): the document is a patient upload
    (class 90, ``DOCPATxx`` from ``category``, practice setting ``EXP_PATIENT``, R-FMT-4), through
    ``records.services.document_deposit`` (policy, sniffing, 5 MB R-FMT-3, its own ``DEPOSIT`` trace).
    The sending professional is not made the author: he did not deposit it and stays free to (R-DEP-1).
    The save is traced ``MESSAGE_ATTACHMENT_SAVE`` in the same transaction; an attachment is saved once.
    From a conversation kept from the legal representatives, the copy carries
    ``INVISIBLE_REPRESENTANTS_LEGAUX`` from the same transaction on (R-MIN-5).
    """
    act, attachment = _attachment_act(
        actor=actor,
        attachment_public_id=attachment_public_id,
        patient_id=patient_id,
        organisation=None,
        trace_action="MESSAGE_ATTACHMENT_SAVE",
    )
    if act.side != Side.PATIENT:
        raise _refuse(
            act.scope,
            action="MESSAGE_ATTACHMENT_SAVE",
            decision=Decision(False, "R-DEP-3", "only the holder's side saves an attachment into his record"),
            object_type="attachment",
            object_id=str(attachment.public_id),
            error=NotFoundOrForbidden(ATTACHMENT_NOT_FOUND, code="not_found"),
        )
    if attachment.saved_document_id is not None:
        raise DomainError(
            _("Cette pièce jointe est déjà enregistrée dans vos documents."),
            code="already_saved",
            field="attachment",
        )
    if attachment.blob is None:
        raise DomainError(
            _("Le contenu de cette pièce jointe a été effacé."), code="content_erased", field="attachment"
        )
    content = blob_get(attachment.blob)
    filename = attachment_filename(attachment)
    with transaction.atomic():
        locked = Attachment.objects.select_for_update(of=("self",)).get(pk=attachment.pk)
        if locked.saved_document_id is not None:
            raise DomainError(
                _("Cette pièce jointe est déjà enregistrée dans vos documents."),
                code="already_saved",
                field="attachment",
            )
        try:
            document = record_services.document_deposit(
                actor=actor,
                patient_id=patient_id,
                content=content,
                filename=filename,
                declared_media_type=attachment.media_type,
                title=(title or PurePath(filename).stem or str(_("Pièce jointe")))[:255],
                category=category or record_codes.Category.AUTR_DOC,
            )
        except DomainError as error:
            raise DomainError(error.message, code=error.code, field="attachment") from None
        if attachment.message.conversation.is_confidential:  # R-MIN-5: the copy stays hidden too
            documents_hide_from_representatives(
                scope=act.scope, document_public_ids=[document.public_id], rule="R-MIN-5"
            )
            document.refresh_from_db(fields=["confidentiality"])
        locked.saved_document_id = document.public_id
        locked.save(update_fields=["saved_document_id"])
        trace(
            actor=act.scope.actor,
            action="MESSAGE_ATTACHMENT_SAVE",
            patient_id=patient_id,
            group="documents",
            object_type="attachment",
            object_id=str(attachment.public_id),
            details={
                "rule": act.decision.rule,
                "document": str(document.public_id),
                "conversation": str(attachment.message.conversation.public_id),
            },
        )
    return document


# --------------------------------------------------------------------------------------------------
# Mail from professionals' own mail systems (the SMTP gateway, ``messaging.smtp_gateway``)

SMTP_CHANNEL = "smtp"
EXTERNAL_ID_MAX_CHARS = 250  # what is kept of an external Message-ID (RFC 5322 lines stay under 998)


def mail_host() -> str:
    """The host part of the Message-IDs Carnet writes (the host of ``CARNET_BASE_URL``)."""
    from urllib.parse import urlsplit

    return urlsplit(str(settings.CARNET_BASE_URL or "")).hostname or "carnet.invalid"


def outbound_message_id(message_public_id: uuid.UUID | str) -> str:
    """The ``Message-ID`` of a Carnet message sent out by mail: stable, so a re-sent copy is a duplicate."""
    return f"<{message_public_id}@{mail_host()}>"


def conversation_thread_id(conversation_public_id: uuid.UUID | str) -> str:
    """The thread id of a conversation (first ``References`` entry of every mail Carnet sends in it)."""
    return f"<conversation.{conversation_public_id}@{mail_host()}>"


def external_message_uuid(*, patient_id: int, sender_id: str, external_message_id: str) -> uuid.UUID:
    """The public id of the message stored for an external mail (deduplication, R-MSG-1 [I]).

    Keyed HMAC of (patient, sender, external Message-ID) with ``SECRET_KEY``: the same mail re-sent maps
    to the same row (the unique ``public_id`` stores it once, even under concurrent deliveries), and
    nobody can compute a message's public id from a Message-ID without the key.
    """
    import hashlib
    import hmac

    data = f"smtp-in\x00{patient_id}\x00{sender_id}\x00{external_message_id}".encode()
    digest = hmac.new(str(settings.SECRET_KEY).encode(), data, hashlib.sha256).digest()
    return uuid.UUID(bytes=digest[:16], version=4)


def _referenced_conversation(
    scope: AccessScope, *, sender_id: str, references: Sequence[str]
) -> Conversation | None:
    """The conversation an external mail answers: the first of ``references`` (most relevant first) that
    is a Carnet Message-ID or thread id, or the Message-ID of an earlier mail of the same sender, in a
    conversation of this patient with this professional."""
    professional = scope.professional
    if professional is None or not references:
        return None
    host = mail_host().lower()
    wanted: list[tuple[str, uuid.UUID]] = []  # ("message" | "conversation", public id), in order
    for reference in references:
        reference = reference.strip()[:EXTERNAL_ID_MAX_CHARS]
        local, _at, domain = reference.strip("<>").rpartition("@")
        if domain.lower() == host:
            kind = "conversation" if local.startswith("conversation.") else "message"
            try:
                wanted.append((kind, uuid.UUID(local.removeprefix("conversation."))))
                continue
            except ValueError:
                pass
        wanted.append(
            (
                "message",
                external_message_uuid(
                    patient_id=scope.patient_id, sender_id=sender_id, external_message_id=reference
                ),
            )
        )
    message_conversations = dict(
        Message.objects.filter(
            patient_id=scope.patient_id, public_id__in=[i for k, i in wanted if k == "message"]
        ).values_list("public_id", "conversation_id")
    )
    mine = _conversation_qs().filter(patient_id=scope.patient_id, professional=professional)
    by_pk = {c.pk: c for c in mine.filter(pk__in=message_conversations.values())}
    by_public_id = {
        c.public_id: c for c in mine.filter(public_id__in=[i for k, i in wanted if k == "conversation"])
    }
    for kind, public_id in wanted:
        if kind == "conversation" and public_id in by_public_id:
            return by_public_id[public_id]
        if kind == "message" and message_conversations.get(public_id) in by_pk:
            return by_pk[message_conversations[public_id]]
    return None


def _send_external(act: _Act, message: Message, *, channel: str, external_message_id: str) -> None:
    """``_send`` for a mail received from a professional's own mail system: the trace also names the
    channel and the external Message-ID (an identifier, never content) so that replies can be threaded
    back out (``messaging.smtp_outbound``)."""
    _send(
        act,
        message,
        extra_details={
            "channel": channel,
            "external_message_id": external_message_id[:EXTERNAL_ID_MAX_CHARS],
        },
    )


def message_receive_external(
    *,
    actor: Actor,
    patient_id: int,
    external_message_id: str,
    subject: str,
    body: str,
    files: Sequence[IncomingFile] = (),
    references: Sequence[str] = (),
    channel: str = SMTP_CHANNEL,
) -> tuple[Message, bool]:
    """Deliver a mail a professional sent from his own mail system (R-MSG-1: any MSSanté mailbox writes to
    the patient's Carnet address); returns ``(message, created)``.

    * The same mail again (same sender, patient and ``external_message_id``) is not stored twice:
      ``created`` is False and the first delivery is returned (``external_message_uuid``).
    * ``references`` (In-Reply-To first, then References from the most recent) naming a conversation of
      this professional with this patient that he may still write in continues it (R-MSG-1/3); otherwise
      the mail starts a new conversation, which professionals may always do (R-MSG-2, R-DEP-5, R-BLK-2).
    * Everything is checked first (subject, body, attachments sniffed and within the R-MSG-4 budget); then
      one transaction writes the rows, the encrypted attachments, the ``MESSAGE_SEND`` trace (channel and
      external id in its details) and the patient's content-free notification (R-MSG-5), as from the web.
    """
    external_message_id = external_message_id.strip()[:EXTERNAL_ID_MAX_CHARS]
    if not external_message_id:
        raise DomainError(_("L'identifiant du message est obligatoire."), code="required", field="message_id")
    scope = scope_for(actor, patient_id)
    public_id = external_message_uuid(
        patient_id=patient_id, sender_id=str(actor.id), external_message_id=external_message_id
    )
    existing = Message.objects.filter(patient_id=patient_id, public_id=public_id).first()
    if existing is not None:
        return existing, False
    if side_of(scope) != Side.PROFESSIONAL or scope.professional is None:
        raise _refuse(scope, action="MESSAGE_START", decision=Decision(False, DEFAULT_DENY, "no sender"))
    body = _check_body(body, required=True)
    act = _Act(scope=scope, side=Side.PROFESSIONAL)
    conversation = _referenced_conversation(scope, sender_id=str(actor.id), references=references)
    if conversation is not None and conversation.first_sent_at is not None:
        decision = decide(scope, Action.MESSAGE_SEND, conversation_facts(conversation))
        if decision:
            act.conversation, act.decision = conversation, decision
    if act.conversation is None:
        subject = _check_subject(subject or str(_("Sans objet")))
        decision = decide(scope, Action.MESSAGE_START, None)
        if not decision:
            raise _refuse(scope, action="MESSAGE_START", decision=decision)
        act.decision = decision
    prepared = _prepare_attachments(act, files=files, document_ids=())
    professional = scope.professional

    def write(created: list[Blob]) -> Message:
        now = clock.now()
        if act.conversation is None:
            new = Conversation(
                patient_id=patient_id,
                professional=professional,
                started_by_side=Side.PROFESSIONAL,
                created_at=now,
            )
            new.subject_sealed = seal(patient_id=patient_id, text=subject, purpose=f"subject:{new.public_id}")
            new.save()
            act.conversation = new
        else:
            load_conversation(act.conversation.public_id, lock=True)  # serialise with conversation_end
            act.conversation.refresh_from_db(fields=["status", "deleted_by_patient_at"])
            if not decide(scope, Action.MESSAGE_SEND, conversation_facts(act.conversation)):
                raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
        message = Message(
            public_id=public_id,
            conversation=act.conversation,
            patient_id=patient_id,
            side=Side.PROFESSIONAL,
            is_draft=True,
            created_at=now,
            updated_at=now,
        )
        _set_author(message, act)
        _write_body(message, body)
        message.save()
        _store_attachments(message, prepared, created)
        _send_external(act, message, channel=channel, external_message_id=external_message_id)
        return message

    from django.db import IntegrityError

    try:
        result: Message = _run(write)
    except IntegrityError:
        # The same mail delivered concurrently: the other delivery stored it.
        existing = Message.objects.filter(patient_id=patient_id, public_id=public_id).first()
        if existing is None:
            raise
        return existing, False
    return result, True
