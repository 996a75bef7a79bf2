"""Notification writes: the outbox and its delivery worker, preferences, the in-app centre.

ARCHITECTURE invariant 5, ADR 0003, SPEC R-NOT-1..3, R-MSG-5; docs/subsystems/notifications.md.

``notify()`` writes the message inside the caller's transaction; after commit the task runner
(inline or Celery) delivers that message and only that one (``delivery.outbox_deliver_messages``), and
``carnet worker`` delivers the backlog periodically (``delivery.outbox_deliver_pending``). Delivery —
claims, the recorded attempt, retries, what happens under faults — is ``delivery.py``.
"""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from carnet.audit.services import trace
from carnet.common import clock
from carnet.common.actors import Actor
from carnet.common.errors import DomainError

from . import channels, push
from .delivery import backoff as backoff  # re-exported: the delivery's public names
from .delivery import deliver_after_commit, patient_deceased
from .delivery import lease_seconds as lease_seconds
from .delivery import max_attempts as max_attempts
from .delivery import outbox_deliver_messages as outbox_deliver_messages
from .delivery import outbox_deliver_pending as outbox_deliver_pending
from .models import (
    DELIVERABLE_STATES,
    Channel,
    DeliveryState,
    InAppNotification,
    NotificationKind,
    NotificationPreference,
    OutboxMessage,
    ResourceType,
)
from .selectors import preference_email_enabled
from .templates_catalogue import ALWAYS_SENT, CATALOGUE, render, subjects

# R-NOT-1 kinds → R-NOT-3 resource type of the in-app entry they create.
KIND_RESOURCE: dict[str, str] = {
    NotificationKind.NEW_MESSAGE: ResourceType.MESSAGERIE,
    NotificationKind.NEW_DOCUMENT: ResourceType.DOCUMENT,
    NotificationKind.APPOINTMENT: ResourceType.AGENDA,
    NotificationKind.SERVICE_ACTIVITY: ResourceType.SERVICE,
    NotificationKind.SCREENING: ResourceType.RAPPEL_RDV_PREV,
}

# Messages of other apps that are always addressed to the holder himself: they also appear in his
# notification centre, even though their callers do not ask for it (R-NOT-3).
DEFAULT_IN_APP: dict[str, str] = {
    "record_first_access": ResourceType.DOCUMENT,
    "record_emergency_access": ResourceType.DOCUMENT,
    "record_invisible_notice": ResourceType.DOCUMENT,
    "vitals_profile_updated_by_professional": ResourceType.PML_CVA,
    "export_ready": ResourceType.ACCOUNT,
}

DEFAULT_LINK = "/espace/"


# --------------------------------------------------------------------------------------------------
# Queueing


def _safe_link(link: str) -> str:
    """A path of this site only (R-NOT-2): never a scheme, a host or a protocol-relative URL."""
    if not link.startswith("/") or link.startswith("//") or "\\" in link or ":" in link.split("?")[0]:
        raise ValueError(f"in-app links must be paths of this site, got {link!r}")
    return link


def notify(
    *,
    patient_id: int | None,
    channel: str,
    address: str,
    template: str,
    dedup_key: str,
    params: dict[str, str] | None = None,
    language: str = "fr",
    kind: str | None = None,
    in_app: str | None = None,
    link: str | None = None,
    recipient_id: int | None = None,
) -> OutboxMessage | None:
    """Queue one content-free message in the caller's transaction (invariant 5).

    Returns the outbox row, or None when nothing was queued: the same ``dedup_key`` was already
    queued, there is no address, the holder is deceased (R-LC-27), or the recipient switched ``kind``
    off (R-NOT-1) and the template is not one of the event e-mails that always go (``ALWAYS_SENT``).

    Optional keywords:
    * ``kind``: a ``NotificationKind`` (R-NOT-1 preference); it also creates an in-app entry.
    * ``in_app``: a ``ResourceType`` (R-NOT-3) for the in-app entry (default: from ``kind``, or the
      template's usual type for messages always addressed to the holder).
    * ``link``: the site path the in-app entry opens (default ``/espace/``).
    * ``recipient_id``: the Person receiving it, when not the holder ``patient_id`` (a representative,
      a doctor): his preferences apply and his centre gets the entry.

    Whenever an in-app entry is made, each device on which the recipient subscribed to Web Push also
    gets a content-free push (``push.push_queue``), unless he switched push off for ``kind``.
    """
    if template not in CATALOGUE:
        raise ValueError(f"unknown notification template {template!r}")
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if kind is not None and kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    if in_app is not None and in_app not in ResourceType.values:
        raise ValueError(f"unknown in-app notification type {in_app!r}")
    target_link = _safe_link(link) if link is not None else DEFAULT_LINK
    if patient_id is not None and patient_deceased(patient_id):
        return None  # R-LC-27: no more notifications once the holder's death is recorded
    render(template, params or {}, language)  # fail now, in the cause's transaction, not in the worker
    recipient = recipient_id if recipient_id is not None else patient_id

    resource = in_app or (KIND_RESOURCE[kind] if kind is not None else None)
    if resource is None and recipient_id is None:
        resource = DEFAULT_IN_APP.get(template)
    if resource is not None and recipient is not None:
        notify_in_app(
            patient_id=recipient, kind=resource, template=template, dedup_key=dedup_key, link=target_link
        )
        # Web Push: the same entry announced on the recipient's subscribed devices, content-free.
        for pushed in push.push_queue(
            causes=[push.PushCause(person_id=recipient, patient_id=patient_id, dedup_key=dedup_key)],
            kind=kind,
            template=template,
            always=template in ALWAYS_SENT,
        ):
            deliver_after_commit(str(pushed.idempotency_key))

    if not address:
        return None
    if (
        kind is not None
        and template not in ALWAYS_SENT
        and recipient is not None
        and not preference_email_enabled(person_id=recipient, kind=kind)
    ):
        return None  # R-NOT-1: switched off by the recipient (the in-app entry above still exists)
    key = uuid.uuid4()
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                idempotency_key=key,
                message_id=channels.message_id(str(key)),  # generated once: every attempt carries it
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
    deliver_after_commit(str(key))  # this message only; the backlog belongs to the worker
    return message


def notify_in_app(
    *, patient_id: int, kind: str, template: str, dedup_key: str, link: str = DEFAULT_LINK
) -> InAppNotification | None:
    """R-NOT-3: one entry of ``patient_id``'s notification centre, in the caller's transaction.

    Its title is the template's subject in every language (subjects take no parameters: content-free).
    Returns None when the same ``dedup_key`` already produced an entry.
    """
    if template not in CATALOGUE:
        raise ValueError(f"unknown notification template {template!r}")
    if kind not in ResourceType.values:
        raise ValueError(f"unknown in-app notification type {kind!r}")
    try:
        with transaction.atomic():
            return InAppNotification.objects.create(
                patient_id=patient_id,
                kind=kind,
                template=template,
                titles=subjects(template),
                link=_safe_link(link),
                dedup_key=dedup_key,
                created_at=clock.now(),
            )
    except IntegrityError:
        return None


def outbox_cancel_for_patient(*, patient_id: int, reason: str) -> int:
    """Cancel the undelivered messages of a space (R-LC-27: the holder died). Call inside the act's
    transaction. ``reason`` is a short code (e.g. ``"PatientDeceased"``), never content."""
    return OutboxMessage.objects.filter(
        patient_id=patient_id, state__in=DELIVERABLE_STATES, sent_at__isnull=True
    ).update(
        state=DeliveryState.CANCELLED, failed_at=clock.now(), claimed_until=None, last_error=reason[:200]
    )


def notifications_withdraw(*, dedup_keys: list[str], reason: str) -> tuple[int, int]:
    """Take back what some causes queued, in the caller's transaction: their in-app entries are deleted
    and their undelivered e-mails/SMS CANCELLED (e.g. R-MIN-5: a conversation now kept from the minor's
    legal representatives). What was already delivered cannot be recalled. ``reason`` is a short code
    shown to operators (never content). Returns (in-app entries deleted, messages cancelled)."""
    if not dedup_keys:
        return 0, 0
    deleted, _per_model = InAppNotification.objects.filter(dedup_key__in=dedup_keys).delete()
    cancelled = OutboxMessage.objects.filter(
        dedup_key__in=dedup_keys, state__in=DELIVERABLE_STATES, sent_at__isnull=True
    ).update(
        state=DeliveryState.CANCELLED, failed_at=clock.now(), claimed_until=None, last_error=reason[:200]
    )
    return deleted, cancelled


def outbox_retry_now(*, idempotency_key: uuid.UUID | str, actor: Actor) -> OutboxMessage:
    """Operators: deliver a FAILED or RETRYING message at the next run (a FAILED one gets a fresh set of
    attempts). Traced in the same transaction; the trace names the message, never its content."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update()
            .filter(idempotency_key=idempotency_key, state__in=[DeliveryState.FAILED, DeliveryState.RETRYING])
            .first()
        )
        if message is None:
            raise DomainError(
                _("Message : introuvable, ou il n'est ni en échec ni en attente d'un nouvel essai."),
                code="not_retryable",
                field="message",
            )
        before = message.state
        if message.state == DeliveryState.FAILED:
            message.attempts = 0
            message.failed_at = None
        message.state = DeliveryState.RETRYING
        message.next_attempt_at = clock.now()
        message.save(update_fields=["state", "attempts", "failed_at", "next_attempt_at"])
        trace(
            actor=actor,
            action="NOTIFICATION_RETRY",
            patient_id=message.patient_id,
            group="general",
            object_type="notification",
            object_id=str(message.idempotency_key),
            details={"before": before, "after": message.state, "channel": message.channel},
        )
        deliver_after_commit(str(message.idempotency_key))
    return message


# --------------------------------------------------------------------------------------------------
# Preferences (R-NOT-1) and the in-app centre (R-NOT-3)


def _check_kinds(values: dict[str, bool]) -> None:
    unknown = set(values) - set(NotificationKind.values)
    missing = set(NotificationKind.values) - set(values)
    if unknown or missing:
        raise DomainError(
            _("Préférences : chaque type de notification doit être activé ou désactivé."),
            code="invalid_preferences",
            field=next(iter(sorted(unknown or missing))),
        )


def preferences_update(
    *, person_id: int, actor: Actor, enabled: dict[str, bool], push_enabled: dict[str, bool] | None = None
) -> dict[str, bool]:
    """R-NOT-1: set which kinds of e-mail (and, when given, of Web Push) the person receives; traced with
    old and new values.

    ``enabled`` (and ``push_enabled``) must name every ``NotificationKind``; unknown kinds are refused
    before anything is written."""
    _check_kinds(enabled)
    if push_enabled is not None:
        _check_kinds(push_enabled)
    from .selectors import preferences_for_person, push_preferences_for_person

    with transaction.atomic():
        before = preferences_for_person(person_id=person_id)
        before_push = push_preferences_for_person(person_id=person_id)
        now = clock.now()
        changed = {kind: value for kind, value in enabled.items() if before[kind] != value}
        changed_push = {
            kind: value for kind, value in (push_enabled or {}).items() if before_push[kind] != value
        }
        for kind in sorted(set(changed) | set(changed_push)):
            NotificationPreference.objects.update_or_create(
                person_id=person_id,
                kind=kind,
                defaults={
                    "email_enabled": changed.get(kind, before[kind]),
                    "push_enabled": changed_push.get(kind, before_push[kind]),
                    "updated_at": now,
                },
            )
        if changed or changed_push:
            details: dict[str, object] = {
                "before": {k: before[k] for k in changed},
                "after": changed,
            }
            if changed_push:
                details["push_before"] = {k: before_push[k] for k in changed_push}
                details["push_after"] = changed_push
            trace(
                actor=actor,
                action="NOTIFICATION_PREFERENCES_UPDATE",
                patient_id=person_id,
                group="general",
                object_type="notification_preferences",
                object_id=str(person_id),
                details=details,
            )
    return {**before, **enabled}


def inapp_mark_read(*, patient_id: int, public_id: uuid.UUID | str) -> InAppNotification | None:
    """Mark one of the person's own entries read; None when it is not his (same answer as missing)."""
    with transaction.atomic():
        entry = InAppNotification.objects.filter(patient_id=patient_id, public_id=public_id).first()
        if entry is None:
            return None
        if entry.read_at is None:
            entry.read_at = clock.now()
            entry.save(update_fields=["read_at"])
    return entry


def inapp_mark_all_read(*, patient_id: int) -> int:
    return InAppNotification.objects.filter(patient_id=patient_id, read_at__isnull=True).update(
        read_at=clock.now()
    )
