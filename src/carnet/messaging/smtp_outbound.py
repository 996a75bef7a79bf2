"""Patients' replies sent back out over SMTP to professionals who write from their own mail systems
(issue 5; SPEC R-MSG-1: Carnet is an MSSanté operator, messages travel between mailboxes).

Which conversations: those in which the professional has written at least once through the SMTP gateway
(a ``MESSAGE_SEND`` trace with ``channel = smtp``), whoever started them. A professional who only uses the
web pages keeps receiving the content-free "a patient answered you" e-mail (``messaging_new_message_pro``)
and never gets health content in a mailbox he did not use with us.

What is sent: the reply itself (subject ``Re: <subject>``, body, attachments decrypted at send time) from
the patient's Carnet address ``<matricule INS>@<CARNET_PATIENT_MAIL_DOMAIN>`` (R-MSG-1: that address is how
the professional answers; it is the only place the INS appears, as in MSSanté) to the professional's
directory e-mail, with

* ``Message-ID: <message public id@host>`` (``services.outbound_message_id``): the same for every attempt,
  so a mail system drops a duplicate;
* ``In-Reply-To``: the professional's latest message (his own Message-ID when it came over SMTP);
* ``References``: the conversation's thread id (``<conversation.<id>@host>``) then the previous messages:
  when he answers, the gateway finds the conversation again.

Delivery, at least once: the reply's ``Message`` row, committed with its ``MESSAGE_SEND`` trace, is the
outbox entry (no extra table). ``relay_pending()`` sends every patient reply of the last
``CARNET_SMTP_RELAY_WINDOW_DAYS`` (7) not yet relayed, through Django's mail backend (``EMAIL_BACKEND``:
SMTP in production, with TLS settings of the deployment), and only once the mail server accepted it writes
a ``MESSAGE_RELAY`` trace (the act of letting the message out, invariant 2), which marks it done. A crash
between the two re-sends it with the same ``Message-ID``. The policy decides first: the professional must
still be allowed to read the conversation (``MESSAGE_READ``). ``carnet smtp-gateway`` runs it every few
seconds; the task ``messaging.smtp_relay_pending`` lets the worker run it too.

Faults: the SMTP session is bounded by ``EMAIL_TIMEOUT`` (``CARNET_EMAIL_TIMEOUT``), and a run stops at
the first reply the mail server could not take because it was unreachable (refused, timed out,
disconnected): the next run tries again, so a silent server costs one timeout per run, not one per reply.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils.translation import gettext as _

from carnet.access import gateway
from carnet.access.facts import Action
from carnet.audit.models import Trace
from carnet.audit.services import trace
from carnet.common import clock
from carnet.notifications.channels import ChannelUnavailable, unreachable
from carnet.tasks import task
from carnet.vault.blobstore import blob_get

from . import services
from .crypto import unseal
from .models import Conversation, Message, Side
from .smtp_gateway import patient_address, professional_actor

log = logging.getLogger(__name__)

RELAY_ACTION = "MESSAGE_RELAY"
REFERENCES_MAX = 10


def relay_window() -> timedelta:
    """How far back ``relay_pending`` looks for replies not yet relayed (``CARNET_SMTP_RELAY_WINDOW_DAYS``)."""
    return timedelta(days=int(settings.CARNET_SMTP_RELAY_WINDOW_DAYS))


def _smtp_traces(conversation: Conversation) -> dict[str, str]:
    """Message public id → external Message-ID of the professional's mails received over SMTP."""
    rows = Trace.objects.filter(
        patient_id=conversation.patient_id,
        action="MESSAGE_SEND",
        outcome="ALLOW",
        object_type="message",
        details__conversation=str(conversation.public_id),
        details__channel=services.SMTP_CHANNEL,
    ).values_list("object_id", "details")
    return {object_id: str(details.get("external_message_id", "")) for object_id, details in rows}


def relays_over_smtp(conversation: Conversation) -> bool:
    """A conversation in which the professional wrote through the gateway at least once."""
    return bool(_smtp_traces(conversation))


def _already_relayed(message: Message) -> bool:
    return Trace.objects.filter(
        patient_id=message.patient_id, action=RELAY_ACTION, object_id=str(message.public_id)
    ).exists()


def _thread_headers(conversation: Conversation, message: Message) -> dict[str, str]:
    external = _smtp_traces(conversation)
    earlier = list(
        Message.objects.filter(conversation=conversation, is_draft=False, sent_at__isnull=False)
        .exclude(pk=message.pk)
        .filter(sent_at__lte=message.sent_at)
        .order_by("-sent_at", "-id")
        .values_list("public_id", "side")[:REFERENCES_MAX]
    )

    def mail_id(public_id: object) -> str:
        return external.get(str(public_id)) or services.outbound_message_id(str(public_id))

    headers = {
        "Message-ID": services.outbound_message_id(message.public_id),
        "X-Carnet-Thread": services.conversation_thread_id(conversation.public_id),
    }
    references = [services.conversation_thread_id(conversation.public_id)]
    references += [mail_id(public_id) for public_id, _side in reversed(earlier)]
    headers["References"] = " ".join(dict.fromkeys(references))
    latest_pro = next((p for p, side in earlier if side == Side.PROFESSIONAL), None)
    if latest_pro is not None:
        headers["In-Reply-To"] = mail_id(latest_pro)
    return headers


def _build_mail(conversation: Conversation, message: Message) -> EmailMessage:
    from carnet.identity.models import Person

    professional = conversation.professional
    assert professional is not None
    holder = Person.objects.get(pk=conversation.patient_id)
    pid = conversation.patient_id
    subject = unseal(
        patient_id=pid, sealed=conversation.subject_sealed, purpose=f"subject:{conversation.public_id}"
    )
    body = unseal(patient_id=pid, sealed=message.body_sealed, purpose=f"message:{message.public_id}")
    if message.delegate_label:
        body += "\n\n-- \n" + _("Ce message a été rédigé par %(name)s.") % {"name": message.delegate_label}
    sender = formataddr((holder.display_name, patient_address(holder)))
    mail = EmailMessage(
        subject=f"Re: {subject}",
        body=body,
        from_email=sender,
        to=[professional.email],
        headers=_thread_headers(conversation, message),
        connection=get_connection(),
    )
    for attachment in message.attachments.filter(erased_at__isnull=True).select_related("blob"):
        if attachment.blob is not None:
            mail.attach(
                services.attachment_filename(attachment), blob_get(attachment.blob), attachment.media_type
            )
    return mail


def relay_message(*, message_public_id: str) -> bool:
    """Send one patient reply to the professional's mail system if it is due; True when sent now.

    Idempotent: a reply already relayed (``MESSAGE_RELAY`` trace), a draft, an erased or professional-side
    message, a conversation not linked to SMTP or one the professional may no longer read: nothing sent."""
    try:
        return _relay(message_public_id)
    except ChannelUnavailable:
        return False


def _relay(message_public_id: str) -> bool:
    """``relay_message``; raises ``ChannelUnavailable`` when the mail server could not be reached."""
    message = (
        Message.objects.select_related("conversation__professional")
        .filter(public_id=message_public_id, side=Side.PATIENT, is_draft=False, erased_at__isnull=True)
        .first()
    )
    if message is None:
        return False
    conversation = message.conversation
    professional = conversation.professional
    if (
        professional is None
        or not professional.active
        or not professional.email
        or conversation.is_deleted
        or _already_relayed(message)
        or not relays_over_smtp(conversation)
    ):
        return False
    actor = professional_actor(professional)
    scope = gateway.access_scope(actor=actor, patient_id=conversation.patient_id)
    decision = services.decide(scope, Action.MESSAGE_READ, services.conversation_facts(conversation))
    if not decision:
        log.info("smtp-out skipped message=%s rule=%s", message.public_id, decision.rule)
        return False
    mail = _build_mail(conversation, message)
    try:
        mail.send(fail_silently=False)
    except Exception as exc:  # the mail server refused or is down: the next run tries again
        log.warning("smtp-out failed message=%s error=%s", message.public_id, type(exc).__name__)
        if unreachable(exc):
            raise ChannelUnavailable(type(exc).__name__) from exc
        return False
    with transaction.atomic():
        if _already_relayed(message):  # another runner relayed it meanwhile (same Message-ID: a duplicate)
            return False
        trace(
            actor=actor,
            action=RELAY_ACTION,
            patient_id=conversation.patient_id,
            group="general",
            object_type="message",
            object_id=str(message.public_id),
            details={
                "rule": decision.rule,
                "conversation": str(conversation.public_id),
                "channel": services.SMTP_CHANNEL,
                "attachments": len(mail.attachments),
            },
        )
    log.info("smtp-out sent message=%s conversation=%s", message.public_id, conversation.public_id)
    return True


def relay_pending(*, limit: int = 200) -> int:
    """Relay the patient replies of the last ``relay_window()`` that are due; returns how many were sent.

    Safe to run repeatedly and concurrently (at least once; duplicates carry the same Message-ID)."""
    since = clock.now() - relay_window()
    candidates = (
        Message.objects.filter(
            side=Side.PATIENT,
            is_draft=False,
            erased_at__isnull=True,
            sent_at__gte=since,
            conversation__professional__isnull=False,
            conversation__deleted_by_patient_at__isnull=True,
        )
        .exclude(conversation__professional__email="")
        .order_by("sent_at", "id")
        .values_list("public_id", flat=True)[:limit]
    )
    sent = 0
    for public_id in list(candidates):
        try:
            sent += _relay(str(public_id))
        except ChannelUnavailable:
            break  # the mail server is unreachable: the next run tries again
    return sent


@task("messaging.smtp_relay_pending")
def relay_pending_task(limit: int = 200) -> int:
    return relay_pending(limit=limit)
