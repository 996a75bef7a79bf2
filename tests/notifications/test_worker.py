"""The delivery worker (ARCHITECTURE invariant 5, ADR 0003): retries with backoff, final failure, leases,
idempotency keys, and a worker stopped mid-delivery that neither loses nor duplicates a message."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail

from carnet.notifications import delivery, services
from carnet.notifications.models import DeliveredMessage, DeliveryState, OutboxMessage
from carnet.notifications.services import notify, outbox_deliver_pending
from tests.factories import PersonFactory

from .fakes import IdempotentGateway

pytestmark = pytest.mark.django_db


def _sms(person, key: str) -> OutboxMessage:  # type: ignore[no-untyped-def]
    message = notify(
        patient_id=person.pk,
        channel="SMS",
        address=person.phone,
        template="generic",
        params={"base_url": "https://carnet.example"},
        dedup_key=key,
    )
    assert message is not None
    return message


def _email(person, key: str = "mail-1") -> OutboxMessage:  # type: ignore[no-untyped-def]
    message = notify(
        patient_id=person.pk,
        channel="EMAIL",
        address=person.email,
        template="generic",
        params={"base_url": "https://carnet.example"},
        dedup_key=key,
    )
    assert message is not None
    return message


# --- states, retries, backoff ---------------------------------------------------------------------


def test_a_new_message_is_pending_and_becomes_sent_once_the_channel_accepted_it(gateway, clock) -> None:  # type: ignore[no-untyped-def]
    message = _sms(PersonFactory(), "s1")
    assert message.state == DeliveryState.PENDING
    assert outbox_deliver_pending() == 1
    message.refresh_from_db()
    assert (
        message.state == DeliveryState.SENT and message.sent_at == clock.now() and message.claim_token is None
    )


def test_a_refused_message_is_retried_with_exponential_backoff(settings, gateway, clock) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_SMS_BACKEND = "tests.notifications.fakes.BrokenGateway"
    message = _sms(PersonFactory(), "s1")
    delays = []
    for _ in range(3):
        start = clock.now()
        outbox_deliver_pending()
        message.refresh_from_db()
        assert message.state == DeliveryState.RETRYING
        assert message.next_attempt_at is not None
        delays.append(message.next_attempt_at - start)
        clock.freeze(message.next_attempt_at)
    assert delays == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]


def test_a_message_is_not_retried_before_its_next_attempt_time(settings, gateway, clock) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_SMS_BACKEND = "tests.notifications.fakes.BrokenGateway"
    message = _sms(PersonFactory(), "s1")
    outbox_deliver_pending()
    clock.advance(seconds=59)
    outbox_deliver_pending()
    message.refresh_from_db()
    assert message.attempts == 1


def test_after_max_attempts_a_message_is_failed_with_the_error_class_only(settings, gateway, clock) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_SMS_BACKEND = "tests.notifications.fakes.BrokenGateway"
    settings.CARNET_OUTBOX_MAX_ATTEMPTS = 3
    message = _sms(PersonFactory(), "s1")
    for _ in range(5):
        outbox_deliver_pending()
        clock.advance(hours=7)
    message.refresh_from_db()
    assert message.state == DeliveryState.FAILED and message.attempts == 3
    assert message.last_error == "ConnectionError"  # never the exception's text, which may quote content
    assert message.failed_at is not None and message.sent_at is None


def test_backoff_is_capped(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_OUTBOX_BACKOFF_MAX_SECONDS = 3600
    assert services.backoff(30) == timedelta(hours=1)


def test_a_message_of_a_patient_who_died_before_delivery_is_cancelled_r_lc_27(gateway, clock) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory()
    message = _sms(person, "s1")
    person.deceased_on = clock.now().date()
    person.save(update_fields=["deceased_on"])
    assert outbox_deliver_pending() == 0
    message.refresh_from_db()
    assert message.state == DeliveryState.CANCELLED and gateway.calls == {}


def test_cancelling_a_patients_messages_leaves_other_patients_alone_r_lc_27(gateway) -> None:  # type: ignore[no-untyped-def]
    dead, alive = PersonFactory(), PersonFactory()
    _sms(dead, "d1")
    _sms(alive, "a1")
    assert services.outbox_cancel_for_patient(patient_id=dead.pk, reason="PatientDeceased") == 1
    assert outbox_deliver_pending() == 1
    assert OutboxMessage.objects.get(dedup_key="d1").state == DeliveryState.CANCELLED


# --- idempotency keys -----------------------------------------------------------------------------


def test_the_sms_gateway_receives_the_rows_idempotency_key(gateway) -> None:  # type: ignore[no-untyped-def]
    message = _sms(PersonFactory(), "s1")
    outbox_deliver_pending()
    assert dict(gateway.phone) == {str(message.idempotency_key): 1}


def test_an_email_carries_a_message_id_derived_from_the_outbox_row(settings, clock) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_TASK_BACKEND = "none"
    settings.CARNET_BASE_URL = "https://carnet.example"
    message = _email(PersonFactory())
    outbox_deliver_pending()
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<{message.idempotency_key}@carnet.example>"
    assert f"<{message.idempotency_key}@carnet.example>" in mail.outbox[0].message().as_string()


def test_emails_are_written_into_the_configured_folder(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_TASK_BACKEND = "none"
    settings.CARNET_EMAIL_FILE_PATH = str(tmp_path / "mailbox")
    message = _email(PersonFactory())
    assert outbox_deliver_pending() == 1
    files = list((tmp_path / "mailbox").iterdir())
    assert len(files) == 1 and str(message.idempotency_key) in files[0].read_text()
    assert DeliveredMessage.objects.filter(outbox=message).exists()  # the demo page's copy too


# --- leases and interrupted workers ---------------------------------------------------------------


def test_a_message_leased_by_a_running_worker_is_not_taken_by_another(gateway, clock) -> None:  # type: ignore[no-untyped-def]
    message = _sms(PersonFactory(), "s1")
    claim = delivery._claim(10)
    assert [m.pk for m in claim.messages] == [message.pk]
    assert outbox_deliver_pending() == 0  # a second worker during the lease
    assert gateway.calls == {}


def test_a_lease_expires_so_a_dead_workers_message_is_not_lost(gateway, clock) -> None:  # type: ignore[no-untyped-def]
    message = _sms(PersonFactory(), "s1")
    delivery._claim(10)  # the worker dies right after claiming
    clock.advance(seconds=services.lease_seconds() + 1)
    assert outbox_deliver_pending() == 1
    assert dict(gateway.phone) == {str(message.idempotency_key): 1}


@pytest.mark.parametrize("before_accepting", [True, False], ids=["before-accept", "after-accept"])
def test_a_worker_stopped_mid_delivery_loses_nothing_and_sends_nothing_twice(
    gateway, clock, before_accepting
) -> None:  # type: ignore[no-untyped-def]
    """Invariant 5 / issue 5: kill the worker (KeyboardInterrupt, as a SIGINT would) after the gateway
    accepted 3 of 7 messages, either just before or just after it accepts the 4th; a fresh worker run
    after the lease delivers the rest. Every message reaches the phone exactly once."""
    person = PersonFactory()
    messages = [_sms(person, f"s{i}") for i in range(7)]
    gateway.kill_after = 3
    gateway.kill_before_accepting = before_accepting
    with pytest.raises(KeyboardInterrupt):
        outbox_deliver_pending()
    assert len(gateway.phone) == (3 if before_accepting else 4)

    outbox_deliver_pending()  # restarted at once: the interrupted batch is still leased
    assert len(gateway.phone) == (3 if before_accepting else 4)

    clock.advance(seconds=services.lease_seconds() + 1)
    outbox_deliver_pending()
    keys = {str(m.idempotency_key) for m in messages}
    assert set(gateway.phone) == keys  # nothing lost
    assert all(count == 1 for count in gateway.phone.values())  # nothing delivered twice
    assert OutboxMessage.objects.filter(state=DeliveryState.SENT).count() == 7
    assert DeliveredMessage.objects.count() == 7
    # Only the message in flight at the kill was handed over twice, with the same idempotency key.
    assert sum(gateway.calls.values()) == 8


def test_an_email_resent_after_a_crash_keeps_its_message_id(settings, clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The crash falls between "SMTP accepted" and "marked sent": the resend carries the same Message-ID,
    so mail systems drop the duplicate."""
    settings.CARNET_TASK_BACKEND = "none"
    message = _email(PersonFactory())

    def crash(*args: object, **kwargs: object) -> bool:
        raise KeyboardInterrupt

    monkeypatch.setattr(delivery, "_mark_sent", crash)
    with pytest.raises(KeyboardInterrupt):
        outbox_deliver_pending()
    monkeypatch.undo()
    clock.advance(seconds=services.lease_seconds() + 1)
    outbox_deliver_pending()
    ids = {m.extra_headers["Message-ID"] for m in mail.outbox}
    assert len(mail.outbox) == 2 and len(ids) == 1
    message.refresh_from_db()
    assert message.state == DeliveryState.SENT


def test_a_second_worker_running_during_a_delivery_skips_the_leased_messages(gateway, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Two workers at once, interleaved deterministically: while worker A is handing its first message to
    the gateway, worker B runs a whole cycle. B delivers only what A has not claimed; nothing is sent twice.

    (SQLite's in-memory test database reports concurrent writers as "table is locked" instead of
    waiting, so real threads are not used here; PostgreSQL claims with ``SKIP LOCKED``.)"""
    monkeypatch.setattr(delivery, "CLAIM_BATCH", 5)
    person = PersonFactory()
    messages = [_sms(person, f"s{i}") for i in range(12)]
    real_send = IdempotentGateway.send
    second_worker_sent: list[int] = []

    def send_and_let_another_worker_run(self, number: str, body: str, idempotency_key: str) -> None:  # type: ignore[no-untyped-def]
        if not second_worker_sent:
            second_worker_sent.append(-1)
            second_worker_sent[0] = outbox_deliver_pending()  # worker B, in the middle of A's delivery
        real_send(self, number, body, idempotency_key)

    monkeypatch.setattr(IdempotentGateway, "send", send_and_let_another_worker_run)
    first_worker_sent = outbox_deliver_pending(limit=5)
    assert (first_worker_sent, second_worker_sent[0]) == (5, 7)
    assert set(gateway.calls) == {str(m.idempotency_key) for m in messages}
    assert all(count == 1 for count in gateway.calls.values())
    assert OutboxMessage.objects.filter(state=DeliveryState.SENT).count() == 12
