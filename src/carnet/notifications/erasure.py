"""What the notifications keep of an erased person, and how the erasure certificate's message is
settled (ADR 0008, invariant 5). Called by ``spaces.erasure`` inside the erasure transaction; this module
changes rows, never the schema of this app.

* ``erase_patient_notifications``: the patient's outbox rows (with their demo delivered copies), his
  in-app centre, his devices' Web Push subscriptions, and — for a full erasure — his preferences; his
  addresses are scrubbed from messages of *other* spaces he received (a minor's letters go to his
  parent): still pending, they are cancelled.
* ``certificate_notice_settle``: once the certificate's message was sent (or finally failed, or after the
  grace period), its outbox row — the last place holding the address — is deleted, and its fate returned.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q

from .models import (
    DELIVERABLE_STATES,
    DeliveredMessage,
    DeliveryState,
    InAppNotification,
    OutboxMessage,
    PushSubscription,
)
from .models import NotificationPreference as Preference


def erase_patient_notifications(
    *,
    patient_id: int,
    addresses: Iterable[str],
    full: bool,
    now: datetime,
    keep_dedup_keys: Iterable[str] = (),
) -> None:
    keep = list(keep_dedup_keys)
    OutboxMessage.objects.filter(patient_id=patient_id).exclude(dedup_key__in=keep).delete()
    InAppNotification.objects.filter(patient_id=patient_id).delete()
    PushSubscription.objects.filter(person_id=patient_id).delete()  # his devices' push endpoints
    if not full:
        return
    Preference.objects.filter(person_id=patient_id).delete()
    wanted = [a for a in addresses if a]
    if not wanted:
        return
    received = list(
        OutboxMessage.objects.filter(address__in=wanted)
        .exclude(dedup_key__in=keep)
        .values_list("id", flat=True)
    )
    OutboxMessage.objects.filter(id__in=received, state__in=DELIVERABLE_STATES).update(
        state=DeliveryState.CANCELLED, failed_at=now, last_error="cancelled: recipient erased"
    )
    OutboxMessage.objects.filter(id__in=received).update(address="")
    DeliveredMessage.objects.filter(Q(outbox_id__in=received) | Q(address__in=wanted)).delete()


def certificate_notice_settle(*, dedup_key: str, give_up_at: datetime, now: datetime) -> str | None:
    """``SENT`` / ``FAILED`` once the message is settled (its row is then deleted), ``None`` while it is
    still on its way. A message still undelivered at ``give_up_at`` counts as failed: the address is not
    kept for ever."""
    message = OutboxMessage.objects.filter(dedup_key=dedup_key).first()
    if message is None:
        return DeliveryState.FAILED  # cancelled and purged meanwhile
    if message.state == DeliveryState.SENT:
        state = DeliveryState.SENT
    elif message.state in (DeliveryState.FAILED, DeliveryState.CANCELLED) or now >= give_up_at:
        state = DeliveryState.FAILED
    else:
        return None
    message.delete()  # with its delivered copy (the demo's mailbox)
    return str(state)
