"""Outbox writes and delivery (invariant 5).

``notify()`` writes the message inside the caller's transaction; after commit the task runner
(inline or Celery) calls ``outbox_deliver_pending()``. Delivery is at-least-once: a message is
marked sent only after its channel accepted it, and ``dedup_key`` stops the same cause from
producing two messages.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction

from carnet.common import clock

from . import channels
from .models import Channel, DeliveredMessage, OutboxMessage
from .templates_catalogue import CATALOGUE, render

log = logging.getLogger(__name__)


def notify(
    *,
    patient_id: int | None,
    channel: str,
    address: str,
    template: str,
    dedup_key: str,
    params: dict[str, str] | None = None,
    language: str = "fr",
) -> OutboxMessage | None:
    """Queue one message; returns None when the same ``dedup_key`` was already queued."""
    if template not in CATALOGUE:
        raise ValueError(f"unknown notification template {template!r}")
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if not address:
        return None
    if patient_id is not None and _is_deceased(patient_id):
        return None  # R-LC-27: no more notifications once the holder's death is recorded
    render(template, params or {}, language)  # fail now, in the cause's transaction, not in the worker
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                patient_id=patient_id,
                channel=channel,
                address=address,
                template=template,
                params=params or {},
                language=language,
                dedup_key=dedup_key,
                created_at=clock.now(),
            )
    except IntegrityError:
        return None
    from carnet.config.tasks import enqueue

    enqueue("notifications.deliver_pending")
    return message


def _is_deceased(patient_id: int) -> bool:
    from carnet.identity.models import Person

    return Person.objects.filter(pk=patient_id, deceased_on__isnull=False).exists()


def outbox_deliver_pending(*, limit: int = 500) -> int:
    """Deliver queued messages; safe to run concurrently and repeatedly."""
    sent = 0
    ids = list(
        OutboxMessage.objects.filter(sent_at__isnull=True).order_by("id").values_list("id", flat=True)[:limit]
    )
    for message_id in ids:
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(id=message_id, sent_at__isnull=True)
                .first()
            )
            if message is None:
                continue
            subject, body = render(message.template, message.params, message.language)
            message.attempts += 1
            try:
                channels.deliver(message.channel, message.address, subject, body)
            except Exception as exc:  # a channel failure must not lose the message
                message.last_error = type(exc).__name__
                message.save(update_fields=["attempts", "last_error"])
                log.warning("outbox delivery failed id=%s error=%s", message.id, type(exc).__name__)
                continue
            now = clock.now()
            message.sent_at = now
            message.save(update_fields=["attempts", "sent_at"])
            if settings.CARNET_LOCAL_OUTBOX:
                DeliveredMessage.objects.create(
                    outbox=message,
                    channel=message.channel,
                    address=message.address,
                    subject=subject,
                    body=body,
                    delivered_at=now,
                )
            sent += 1
    return sent
