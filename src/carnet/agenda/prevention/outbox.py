"""``notify_many``: the set-based twin of ``notifications.services.notify`` for the daily job.

It writes the same rows ``notify`` writes (``OutboxMessage`` with the same fields and ``dedup_key``
semantics, ``InAppNotification`` entries of the same type), in the caller's transaction, with one
set-based insert per table for a whole batch (``bulk.insert_ignore``: a ``dedup_key`` already queued is skipped,
exactly like ``notify``'s ``IntegrityError`` branch). Like ``notify``, an e-mail is not queued when
there is no address or when the recipient switched the kind off (R-NOT-1); the in-app entry still is.
Deceased holders are excluded by the caller's query (R-LC-27). Web Push rows follow ``push_queue``.
"""

from __future__ import annotations

from dataclasses import dataclass

from carnet.common import clock
from carnet.notifications.models import Channel, DeliveryState, InAppNotification, OutboxMessage
from carnet.notifications.push import PushCause, push_queue
from carnet.notifications.templates_catalogue import CATALOGUE, render, subjects

from .bulk import insert_ignore


@dataclass(frozen=True)
class Message:
    patient_id: int
    address: str  # "" = in-app only
    dedup_key: str
    email_enabled: bool = True


def notify_many(
    *,
    messages: list[Message],
    template: str,
    params: dict[str, str],
    in_app: str,
    link: str,
    language: str = "fr",
    kind: str | None = None,
) -> int:
    """Queue ``messages`` (one template, the same content-free parameters). Returns the e-mails offered.

    Like ``notify``, each in-app entry is also pushed, content-free, to the recipient's subscribed
    devices unless he switched Web Push off for ``kind`` (``notifications.push.push_queue``)."""
    if template not in CATALOGUE:
        raise ValueError(f"unknown notification template {template!r}")
    if not messages:
        return 0
    render(template, params, language)  # fail now, in the cause's transaction, not in the worker
    now = clock.now()
    titles = subjects(template)
    insert_ignore(
        InAppNotification,
        ["patient_id", "kind", "template", "titles", "link", "dedup_key", "created_at"],
        [(m.patient_id, in_app, template, titles, link, m.dedup_key, now) for m in messages],
        fresh_uuid=["public_id"],
    )
    outbox = [
        (
            *(m.patient_id, Channel.EMAIL.value, m.address, template, params, language, m.dedup_key, now),
            *(DeliveryState.PENDING.value, 0, ""),
        )
        for m in messages
        if m.address and m.email_enabled
    ]
    insert_ignore(
        OutboxMessage,
        [
            "patient_id",
            "channel",
            "address",
            "template",
            "params",
            "language",
            "dedup_key",
            "created_at",
            "state",
            "attempts",
            "last_error",
        ],
        outbox,
        fresh_uuid=["idempotency_key"],
    )
    push_queue(
        causes=[
            PushCause(person_id=m.patient_id, patient_id=m.patient_id, dedup_key=m.dedup_key)
            for m in messages
        ],
        kind=kind,
        template=template,
        always=False,
    )
    return len(outbox)
