"""The messaging's content-free notifications (R-MSG-5, R-NOT-1..3, invariant 5), in the act's transaction.

* A message from the professional's side goes to every reader of the holder's space
  (``access.audience``: the holder, his legal representatives while he is a minor, his caregivers), each
  only if the policy lets him read that conversation: a conversation kept from legal representatives
  (R-MIN-5) reaches none of them, neither by e-mail nor in their notification centre.
* Each recipient's "Nouveau message" switch is honoured (``kind=NEW_MESSAGE``, R-NOT-1): switched off, he
  gets no e-mail; the in-app entry is always made (the centre is where he looks, R-NOT-3).
* The e-mail names the sender, except for a confidential conversation: a minor's address may be read by
  his parents, and "Dr X, centre de planification" would tell them what the secrecy hides. The in-app
  title never names anyone (subjects take no parameters).
* A message from the holder's side tells the professional (``messaging_new_message_pro``, no preference:
  professionals have no preference page).

Dedup keys ``message:<message>:<person>`` (one per message and recipient); ``withdraw_for_representatives``
takes back what a conversation's messages queued for legal representatives when it becomes confidential.
"""

from __future__ import annotations

from django.conf import settings

from carnet.access.audience import Audience, Member, holder_side_audience
from carnet.access.facts import Action, ConversationFacts
from carnet.common.actors import ActorKind
from carnet.identity.models import Person, Professional
from carnet.notifications.models import Channel, NotificationKind
from carnet.notifications.services import notifications_withdraw, notify

from . import messages as templates
from .models import Conversation, Message, Side

WITHDRAWN = "Withdrawn"  # the outbox's reason code for notifications taken back (operators see it)


def _base_url() -> str:
    return str(settings.CARNET_BASE_URL or "")


def _language(person: Person) -> str:
    account = getattr(person, "account", None)
    return account.preferred_language if account is not None else "fr"


def _address(email: str, phone: str) -> tuple[str, str]:
    return (Channel.EMAIL, email) if email else (Channel.SMS, phone)


def _dedup_key(message: Message, person: Person) -> str:
    return f"message:{message.public_id}:{person.public_id}"


def _link(member: Member, conversation: Conversation) -> str:
    """The holder opens the conversation; a delegate reads it once he acts for the holder (his own
    session may be on his own space), so his entry opens the messaging."""
    if member.is_holder:
        return f"/espace/messagerie/{conversation.public_id}/"
    return "/espace/messagerie/"


def recipients(conversation: Conversation, facts: ConversationFacts) -> list[Member]:
    """The readers of the holder's space whom the policy lets read this conversation (R-MIN-5)."""
    audience = holder_side_audience(conversation.patient_id)
    return [m for m in audience.members if audience.may(m, Action.MESSAGE_READ, conversation=facts)]


def new_message(conversation: Conversation, facts: ConversationFacts, message: Message) -> None:
    """R-MSG-5: one content-free notification per sent message and recipient, in the outbox."""
    if message.side == Side.PROFESSIONAL:
        template = templates.NEW_MESSAGE_DISCREET if conversation.is_confidential else templates.NEW_MESSAGE
        params = {"base_url": _base_url()}
        if template == templates.NEW_MESSAGE:
            params["sender"] = message.author_label
        for member in recipients(conversation, facts):
            person = member.person
            channel, address = _address(person.email, person.phone)
            notify(
                patient_id=message.patient_id,
                recipient_id=person.pk,
                channel=channel,
                address=address,
                template=template,
                params=params,
                dedup_key=_dedup_key(message, person),
                language=_language(person),
                kind=NotificationKind.NEW_MESSAGE,
                link=_link(member, conversation),
            )
        return
    professional: Professional | None = conversation.professional
    if professional is not None and (professional.email or professional.phone):
        channel, address = _address(professional.email, professional.phone)
        notify(
            patient_id=message.patient_id,
            channel=channel,
            address=address,
            template=templates.NEW_MESSAGE_PRO,
            params={"base_url": _base_url()},
            dedup_key=f"message:{message.public_id}:pro",
        )


def withdraw_for_representatives(conversation: Conversation) -> tuple[int, int]:
    """R-MIN-5: the conversation is now kept from the legal representatives: delete their in-app entries
    about its messages and cancel their e-mails not sent yet (inside the marking's transaction)."""
    audience: Audience = holder_side_audience(conversation.patient_id)
    representatives = [m.person for m in audience.members if m.kind == ActorKind.LEGAL_REPRESENTATIVE]
    if not representatives:
        return 0, 0
    messages = Message.objects.filter(conversation=conversation, is_draft=False)
    keys = [_dedup_key(m, p) for m in messages.only("public_id") for p in representatives]
    return notifications_withdraw(dedup_keys=keys, reason=WITHDRAWN)
