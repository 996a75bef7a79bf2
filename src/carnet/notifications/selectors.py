"""Notification reads: preferences (R-NOT-1), the in-app centre (R-NOT-3), the operators' view.

The operators' selectors never load an address, the parameters or a body (back-office: no content).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, QuerySet

from .models import (
    Channel,
    DeliveryState,
    InAppNotification,
    NotificationKind,
    NotificationPreference,
    OutboxMessage,
)

INAPP_PAGE_SIZE = 50


def preferences_for_person(*, person_id: int) -> dict[str, bool]:
    """Every kind of R-NOT-1 with whether the person receives its e-mails (default: yes)."""
    stored = dict(
        NotificationPreference.objects.filter(person_id=person_id).values_list("kind", "email_enabled")
    )
    return {kind: stored.get(kind, True) for kind in NotificationKind.values}


def push_preferences_for_person(*, person_id: int) -> dict[str, bool]:
    """Every kind of R-NOT-1 with whether the person's subscribed devices get its pushes (default: yes)."""
    stored = dict(
        NotificationPreference.objects.filter(person_id=person_id).values_list("kind", "push_enabled")
    )
    return {kind: stored.get(kind, True) for kind in NotificationKind.values}


def preference_email_enabled(*, person_id: int, kind: str) -> bool:
    value = (
        NotificationPreference.objects.filter(person_id=person_id, kind=kind)
        .values_list("email_enabled", flat=True)
        .first()
    )
    return True if value is None else bool(value)


def inapp_list_for_person(*, patient_id: int, limit: int = INAPP_PAGE_SIZE) -> list[InAppNotification]:
    """The person's own notification centre, newest first."""
    return list(
        InAppNotification.objects.filter(patient_id=patient_id).order_by("-created_at", "-id")[:limit]
    )


def inapp_unread_since(*, person_id: int, dedup_prefix: str, since: datetime) -> bool:
    """Does the person still have an unread entry, created since ``since``, whose cause's key starts with
    ``dedup_prefix``? (Grouping: a producer adds nothing while its previous notice is still unread.)"""
    return InAppNotification.objects.filter(
        patient_id=person_id, read_at__isnull=True, created_at__gte=since, dedup_key__startswith=dedup_prefix
    ).exists()


def inapp_unread_count(*, patient_id: int) -> int:
    return InAppNotification.objects.filter(patient_id=patient_id, read_at__isnull=True).count()


# --- operators -------------------------------------------------------------------------------------

# The only columns operator pages may read: no address, no params, no body.
OPERATOR_FIELDS = (
    "id",
    "idempotency_key",
    "template",
    "channel",
    "state",
    "attempts",
    "last_error",
    "created_at",
    "next_attempt_at",
    "failed_at",
    "sent_at",
)


@dataclass(frozen=True)
class OutboxProblem:
    """A FAILED or RETRYING message as operators see it: metadata only."""

    reference: str
    template: str
    channel: str
    state: str
    attempts: int
    last_error: str
    created_at: datetime
    next_attempt_at: datetime | None
    failed_at: datetime | None


def outbox_state_counts() -> list[tuple[str, str, int]]:
    """(state, label, count) for every delivery state, zeros included."""
    counts = {row["state"]: row["n"] for row in OutboxMessage.objects.values("state").annotate(n=Count("id"))}
    return [(value, str(label), counts.get(value, 0)) for value, label in DeliveryState.choices]


def outbox_channel_counts() -> list[tuple[str, str, dict[str, int]]]:
    """(channel, label, {state: count}) for every channel."""
    table: dict[str, dict[str, int]] = {c: dict.fromkeys(DeliveryState.values, 0) for c in Channel.values}
    for row in OutboxMessage.objects.values("channel", "state").annotate(n=Count("id")):
        table.setdefault(row["channel"], dict.fromkeys(DeliveryState.values, 0))[row["state"]] = row["n"]
    return [(value, str(label), table[value]) for value, label in Channel.choices]


def _problems() -> QuerySet[OutboxMessage]:
    return (
        OutboxMessage.objects.filter(state__in=[DeliveryState.FAILED, DeliveryState.RETRYING])
        .only(*OPERATOR_FIELDS)
        .order_by("-created_at", "-id")
    )


def outbox_problems_for_operator(*, limit: int = 200) -> list[OutboxProblem]:
    return [
        OutboxProblem(
            reference=str(m.idempotency_key),
            template=m.template,
            channel=m.channel,
            state=m.state,
            attempts=m.attempts,
            last_error=m.last_error,
            created_at=m.created_at,
            next_attempt_at=m.next_attempt_at,
            failed_at=m.failed_at,
        )
        for m in _problems()[:limit]
    ]
