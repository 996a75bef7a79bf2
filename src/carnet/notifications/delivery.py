"""The outbox's delivery (ARCHITECTURE invariant 5, ADR 0003; docs/subsystems/notifications.md).

Two entry points, both safe to run concurrently and repeatedly:

* ``outbox_deliver_pending(limit=, budget_seconds=)`` — the backlog. Task ``notifications.deliver_pending``,
  run by every ``carnet worker`` cycle. It stops starting new messages after ``CARNET_OUTBOX_RUN_SECONDS``
  so a slow channel never holds up the other jobs of the cycle.
* ``outbox_deliver_messages(keys=)`` — the messages one transaction just queued. ``notify()`` schedules it
  after the commit (task ``notifications.deliver``): a web request delivers its own messages and nobody
  else's (the backlog belongs to the worker), and does not wait for a channel this process found
  unreachable less than ``CARNET_CHANNEL_COOLDOWN_SECONDS`` ago (the message is left for the worker).

Each message goes through four steps:

1. *claim* — a short transaction picks due rows (``select_for_update(skip_locked=True)`` on PostgreSQL;
   SQLite serialises writers) and stamps them with a claim token and a lease (``claimed_until``),
   counting the attempt. Another worker skips a leased row until the lease expires.
2. *record the attempt* — ``SENDING``, ``attempt_started_at`` and the stored ``message_id`` are committed,
   and the lease renewed, before the channel is called.
3. *send* — outside any transaction, with the row's idempotency key (e-mail ``Message-ID``, SMS key).
4. *mark* — only after the channel accepted it, SENT. A failure schedules a retry with exponential
   backoff (RETRYING) or, after ``CARNET_OUTBOX_MAX_ATTEMPTS``, gives up (FAILED).

A worker killed after 2 leaves the row ``SENDING``: once its lease has expired, it is *in doubt*. The
next worker asks the channel (``channels.confirm``) and marks it SENT if the channel confirms it; when the
channel cannot tell (SMTP never can), the message is sent again with the same key and ``Message-ID``, so
the receiving system drops the copy. A worker killed before 2 leaves rows that were never handed over:
they are sent once the lease expires. Duplicates are therefore bounded by the attempts in flight at the
kill: one per worker process.

When a channel cannot be reached (``channels.unreachable``: refused, timed out, disconnected), the rest of
the run leaves that channel's messages alone (released, their attempt not counted) and goes on with the
other channel; every network call is bounded by the channel's timeout (``EMAIL_TIMEOUT``,
``CARNET_SMS_TIMEOUT``, ``CARNET_PUSH_TIMEOUT``).

Web Push (``push.py``, docs/subsystems/push.md) is the third channel: its rows carry a subscription's id
and the kind only, are rendered by ``push.render`` (a fixed sentence) and sent by ``push.deliver``; a
subscription that is gone (404/410, removed) CANCELS the message, and a push failure never pauses the
channel for the run, since each device has its own push service.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet

from carnet.common import clock

from . import channels, push
from .models import (
    CLAIMABLE_STATES,
    DELIVERABLE_STATES,
    Channel,
    DeliveredMessage,
    DeliveryState,
    OutboxMessage,
)
from .templates_catalogue import render

log = logging.getLogger("carnet.notifications.delivery")

CLAIM_BATCH = 20
UNREACHABLE = "ChannelUnavailable"  # last_error of a message a request left for the worker


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def max_attempts() -> int:
    """After this many attempts a message is FAILED (``CARNET_OUTBOX_MAX_ATTEMPTS``, default 8)."""
    return int(_setting("CARNET_OUTBOX_MAX_ATTEMPTS", 8))


def lease_seconds() -> int:
    """How long a claimed message is reserved for its worker (``CARNET_OUTBOX_LEASE_SECONDS``, 300)."""
    return int(_setting("CARNET_OUTBOX_LEASE_SECONDS", 300))


def run_budget_seconds() -> float:
    """How long one backlog run may keep starting messages (``CARNET_OUTBOX_RUN_SECONDS``, 30)."""
    return _setting("CARNET_OUTBOX_RUN_SECONDS", 30)


def backoff(attempts: int) -> timedelta:
    """Delay before the next attempt: 1 min, 2 min, 4 min… capped at ``CARNET_OUTBOX_BACKOFF_MAX_SECONDS``."""
    base = _setting("CARNET_OUTBOX_BACKOFF_SECONDS", 60)
    cap = _setting("CARNET_OUTBOX_BACKOFF_MAX_SECONDS", 6 * 3600)
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


# --------------------------------------------------------------------------------------------------
# After the cause's commit: its own messages


def deliver_after_commit(idempotency_key: str) -> None:
    """Deliver this message, and only it, once the current transaction commits (``notify()`` calls it).

    Through the task runner: inline in this process, or a Celery task. Rolled back, nothing runs."""
    from carnet.tasks import enqueue

    enqueue("notifications.deliver", keys=[idempotency_key])


# --------------------------------------------------------------------------------------------------
# Claims


@dataclass(frozen=True)
class _Claim:
    token: uuid.UUID
    messages: list[OutboxMessage]


def _due(now: datetime, keys: list[str] | None = None) -> QuerySet[OutboxMessage]:
    due = (
        OutboxMessage.objects.filter(state__in=CLAIMABLE_STATES, sent_at__isnull=True)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
    )
    return due if keys is None else due.filter(idempotency_key__in=keys)


def _claim(size: int, keys: list[str] | None = None, skip_channels: Iterable[str] = ()) -> _Claim:
    """Reserve up to ``size`` due messages for this worker (one short transaction)."""
    now = clock.now()
    token = uuid.uuid4()
    with transaction.atomic():
        candidates = _due(now, keys).exclude(channel__in=list(skip_channels)).order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("id", flat=True)[:size])
        if ids:
            # Conditional update: a row another worker leased meanwhile is not taken (any database).
            _due(now).filter(id__in=ids).update(
                claim_token=token,
                claimed_until=now + timedelta(seconds=lease_seconds()),
                attempts=F("attempts") + 1,
            )
    return _Claim(token, list(OutboxMessage.objects.filter(claim_token=token).order_by("id")))


def _release(token: uuid.UUID, messages: Iterable[OutboxMessage]) -> None:
    """Give back claimed messages that were not attempted: due again at once, their attempt not counted."""
    ids = [m.pk for m in messages]
    if ids:
        OutboxMessage.objects.filter(pk__in=ids, claim_token=token).update(
            claim_token=None, claimed_until=None, attempts=F("attempts") - 1
        )


def _leave_for_worker(keys: list[str], unreachable: list[str]) -> None:
    """A request does not wait for a channel that was just unreachable: the worker will deliver these.
    RETRYING (due at once, no attempt counted) with ``ChannelUnavailable`` tells the page it is late."""
    _due(clock.now(), keys).filter(channel__in=unreachable, state__in=DELIVERABLE_STATES).update(
        state=DeliveryState.RETRYING, last_error=UNREACHABLE
    )


# --------------------------------------------------------------------------------------------------
# Runs


@dataclass
class _Run:
    """One delivery run: its time budget, the channels found unreachable, its SMTP session."""

    deadline: float | None = None  # time.monotonic() after which no new message is started
    unreachable: set[str] = field(default_factory=set)
    email: BaseEmailBackend | None = None
    email_sent: int = 0  # e-mails accepted on the current SMTP session

    def over_budget(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def connection_for(self, channel: str) -> BaseEmailBackend | None:
        """The run's e-mail connection (SMTP: opened once, reused for the run's e-mails)."""
        if channel != Channel.EMAIL:
            return None
        if self.email is None:
            candidate = channels.email_connection()
            if not channels.reusable(candidate):
                return candidate  # a local backend: one per message, as Django does
            self.email = candidate
        self.email.open()  # no-op once open; raises (bounded by EMAIL_TIMEOUT) when unreachable
        return self.email

    def drop_email(self) -> None:
        channels.abandon(self.email)
        self.email = None
        self.email_sent = 0

    def failed(self, channel: str, exc: BaseException) -> None:
        if channel == Channel.EMAIL:
            self.drop_email()
        if channels.unreachable(exc):
            self.unreachable.add(channel)
            channels.mark_unreachable(channel)

    def close(self) -> None:
        if self.email is not None:
            try:
                self.email.close()  # QUIT, bounded by EMAIL_TIMEOUT
            except Exception:
                channels.abandon(self.email)
            self.email = None
            self.email_sent = 0


def _run(run: _Run, *, limit: int, keys: list[str] | None = None) -> int:
    sent = 0
    processed = 0
    try:
        while processed < limit and not run.over_budget():
            claim = _claim(min(CLAIM_BATCH, limit - processed), keys, skip_channels=run.unreachable)
            if not claim.messages:
                break
            processed += len(claim.messages)
            for position, message in enumerate(claim.messages):
                if run.over_budget():
                    _release(claim.token, claim.messages[position:])
                    break
                if message.channel in run.unreachable:
                    _release(claim.token, [message])
                elif _deliver_one(message, claim.token, run):
                    sent += 1
    finally:
        run.close()
    return sent


def outbox_deliver_pending(*, limit: int = 500, budget_seconds: float | None = None) -> int:
    """Deliver due messages (the worker's backlog run). Returns how many were sent.

    ``budget_seconds`` (default ``CARNET_OUTBOX_RUN_SECONDS``): no message is started after it; the
    claimed ones left are released for the next run."""
    budget = run_budget_seconds() if budget_seconds is None else budget_seconds
    return _run(_Run(deadline=time.monotonic() + budget), limit=limit)


def outbox_deliver_messages(*, keys: list[str]) -> int:
    """Deliver these messages only (a transaction's own, after its commit) if they are due.

    A channel this process found unreachable less than ``CARNET_CHANNEL_COOLDOWN_SECONDS`` ago is not
    tried: its messages are left to the worker at once (RETRYING, ``ChannelUnavailable``)."""
    wanted = [str(k) for k in dict.fromkeys(keys)]
    if not wanted:
        return 0
    cooling = [c for c in Channel.values if channels.cooling_down(c)]
    if cooling:
        _leave_for_worker(wanted, cooling)
    return _run(_Run(unreachable=set(cooling)), limit=len(wanted), keys=wanted)


# --------------------------------------------------------------------------------------------------
# One message


def patient_deceased(patient_id: int) -> bool:
    """R-LC-27: no notification once the holder's death is recorded."""
    from carnet.identity.models import Person

    return Person.objects.filter(pk=patient_id, deceased_on__isnull=False).exists()


def _deliver_one(message: OutboxMessage, token: uuid.UUID, run: _Run) -> bool:
    if message.patient_id is not None and patient_deceased(message.patient_id):
        _finish(message, token, state=DeliveryState.CANCELLED, error="PatientDeceased")  # R-LC-27
        return False
    if message.attempts > max_attempts():  # a message that killed its workers every time
        _finish(message, token, state=DeliveryState.FAILED, error="TooManyAttempts")
        return False
    if not message.address:  # scrubbed by an erasure while it was in flight
        _finish(message, token, state=DeliveryState.CANCELLED, error="NoAddress")
        return False
    try:
        if message.channel == Channel.PUSH:
            subject, body = push.render(message)  # a fixed sentence per kind, never the cause's content
        else:
            subject, body = render(message.template, message.params, message.language)
    except Exception as exc:  # a template that cannot render: retried, then FAILED
        _record_failure(message, token, type(exc).__name__)
        return False
    if message.state == DeliveryState.SENDING and _confirmed(message):
        return _mark_sent(message, subject, body)
    if not _record_attempt(message, token):
        return False  # the lease was lost to another worker: it delivers the message
    try:
        _send(message, subject, body, run)
    except push.SubscriptionGone:  # unsubscribed, device removed, or 404/410: never retried
        _finish(message, token, state=DeliveryState.CANCELLED, error="SubscriptionGone")
        return False
    except Exception as exc:  # a channel failure must not lose the message
        if message.channel != Channel.PUSH:  # each push goes to its own service: no channel-wide pause
            run.failed(message.channel, exc)
        _record_failure(message, token, type(exc).__name__)
        return False
    channels.mark_reachable(message.channel)
    return _mark_sent(message, subject, body)


def _send(message: OutboxMessage, subject: str, body: str, run: _Run) -> None:
    """Hand the message to its channel. An SMTP session already used by this run that the server has
    closed (idle, or "421 too many messages on this connection") gets one fresh session before the
    server counts as unreachable."""

    if message.channel == Channel.PUSH:
        push.deliver(message.address, message)
        return

    def attempt() -> None:
        channels.deliver(
            message.channel,
            message.address,
            subject,
            body,
            str(message.idempotency_key),
            message_id_header=message.message_id,
            connection=run.connection_for(message.channel),
        )

    reused = message.channel == Channel.EMAIL and run.email_sent > 0
    try:
        attempt()
    except Exception as exc:
        if not (reused and channels.unreachable(exc)):
            raise
        run.drop_email()
        attempt()
    if message.channel == Channel.EMAIL:
        run.email_sent += 1


def _confirmed(message: OutboxMessage) -> bool:
    """An attempt in doubt (its worker died after handing it over): does the channel confirm it?"""
    try:
        answer = channels.confirm(message.channel, str(message.idempotency_key))
    except Exception as exc:
        log.warning("outbox confirm failed id=%s error=%s", message.pk, type(exc).__name__)
        answer = None
    if answer:
        log.info("outbox attempt confirmed by the channel id=%s", message.pk)
        return True
    log.warning(
        "outbox resending an attempt in doubt id=%s channel=%s started=%s",
        message.pk,
        message.channel,
        message.attempt_started_at.isoformat() if message.attempt_started_at else "",
    )
    return False


def _record_attempt(message: OutboxMessage, token: uuid.UUID) -> bool:
    """Commit SENDING, the attempt time and the Message-ID (generated once) before calling the channel."""
    now = clock.now()
    message_id = message.message_id or channels.message_id(str(message.idempotency_key))
    with transaction.atomic():
        updated = OutboxMessage.objects.filter(
            pk=message.pk, claim_token=token, state__in=CLAIMABLE_STATES
        ).update(
            state=DeliveryState.SENDING,
            attempt_started_at=now,
            claimed_until=now + timedelta(seconds=lease_seconds()),
            message_id=message_id,
        )
    message.message_id = message_id
    return bool(updated)


def _mark_sent(message: OutboxMessage, subject: str, body: str) -> bool:
    """The channel accepted the message: SENT, whoever holds the lease now (at-least-once)."""
    now = clock.now()
    with transaction.atomic():
        updated = OutboxMessage.objects.filter(pk=message.pk, state__in=CLAIMABLE_STATES).update(
            state=DeliveryState.SENT, sent_at=now, claim_token=None, claimed_until=None, next_attempt_at=None
        )
        if updated and settings.CARNET_LOCAL_OUTBOX:
            DeliveredMessage.objects.get_or_create(
                outbox=message,
                defaults={
                    "channel": message.channel,
                    "address": message.address,
                    "subject": subject,
                    "body": body,
                    "delivered_at": now,
                },
            )
    return bool(updated)


def _record_failure(message: OutboxMessage, token: uuid.UUID, error: str) -> None:
    now = clock.now()
    if message.attempts >= max_attempts():
        _finish(message, token, state=DeliveryState.FAILED, error=error)
    else:
        with transaction.atomic():
            OutboxMessage.objects.filter(pk=message.pk, claim_token=token).update(
                state=DeliveryState.RETRYING,
                next_attempt_at=now + backoff(message.attempts),
                claim_token=None,
                claimed_until=None,
                last_error=error[:200],
            )
    # The id and the error class only: never the address, the parameters or the body.
    log.warning("outbox delivery failed id=%s attempts=%s error=%s", message.pk, message.attempts, error)


def _finish(message: OutboxMessage, token: uuid.UUID, *, state: str, error: str) -> None:
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk, claim_token=token).update(
            state=state, failed_at=clock.now(), claim_token=None, claimed_until=None, last_error=error[:200]
        )
