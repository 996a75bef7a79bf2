"""Issue 13: after a worker kill, 3 of 500 e-mails went out twice. The attempt is now recorded before the
channel is called (SENDING, its time, the Message-ID generated once), so a restarted worker knows which
messages may have gone out: it asks the channel, and resends only what the channel cannot confirm, with
the same Message-ID. (The kill -9 of a real worker against a real SMTP server: ``test_faults_kill``.)"""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from carnet.notifications import services
from carnet.notifications.models import DeliveredMessage, DeliveryState, OutboxMessage
from carnet.notifications.services import outbox_deliver_pending
from tests.factories import PersonFactory

from .fakes import ConfirmingGateway, CrashAfterAcceptingEmailBackend, RowInspectingGateway
from .faults import queue_generic as _queue

pytestmark = pytest.mark.django_db


def test_the_attempt_is_committed_before_the_channel_gets_the_message(settings: Any, clock: Any) -> None:
    settings.CARNET_TASK_BACKEND = "none"
    settings.CARNET_SMS_BACKEND = "tests.notifications.fakes.RowInspectingGateway"
    settings.CARNET_BASE_URL = "https://carnet.example"
    RowInspectingGateway.seen = []
    message = _queue(PersonFactory(), "SMS", "s1")
    assert outbox_deliver_pending() == 1
    (row,) = RowInspectingGateway.seen
    assert row["state"] == DeliveryState.SENDING
    assert row["attempt_started_at"] == clock.now() and row["attempts"] == 1
    assert row["message_id"] == f"<{message.idempotency_key}@carnet.example>"  # stored before any attempt
    message.refresh_from_db()
    assert message.state == DeliveryState.SENT


def test_a_restarted_worker_does_not_resend_what_the_channel_confirms(settings: Any, clock: Any) -> None:
    """The worker dies just after the gateway accepted the 2nd of 4 messages (before marking it)."""
    settings.CARNET_TASK_BACKEND = "none"
    settings.CARNET_SMS_BACKEND = "tests.notifications.fakes.ConfirmingGateway"
    ConfirmingGateway.reset()
    person = PersonFactory()
    messages = [_queue(person, "SMS", f"s{i}") for i in range(4)]
    ConfirmingGateway.kill_after, ConfirmingGateway.kill_before_accepting = 1, False
    with pytest.raises(KeyboardInterrupt):
        outbox_deliver_pending()
    in_doubt = OutboxMessage.objects.get(state=DeliveryState.SENDING)
    assert in_doubt.pk == messages[1].pk and in_doubt.attempt_started_at == clock.now()

    clock.advance(seconds=services.lease_seconds() + 1)  # the dead worker's lease expires
    assert outbox_deliver_pending() == 3
    key = str(in_doubt.idempotency_key)
    assert ConfirmingGateway.confirmations == [key]  # asked about the message in doubt, and only it
    assert ConfirmingGateway.calls[key] == 1  # confirmed: not handed over again
    assert sum(ConfirmingGateway.calls.values()) == 4
    assert OutboxMessage.objects.filter(state=DeliveryState.SENT).count() == 4
    in_doubt.refresh_from_db()
    assert in_doubt.attempts == 2  # the attempt in doubt and its confirmation


def test_an_unconfirmed_email_is_resent_with_its_stored_message_id_even_after_a_configuration_change(
    settings: Any, clock: Any
) -> None:
    """SMTP cannot confirm: the e-mail goes again, with the Message-ID stored at queueing, not one
    recomputed from a ``CARNET_BASE_URL`` changed by a deployment meanwhile."""
    settings.CARNET_TASK_BACKEND = "none"
    settings.EMAIL_BACKEND = "tests.notifications.fakes.CrashAfterAcceptingEmailBackend"
    CrashAfterAcceptingEmailBackend.crashes_left = 1
    settings.CARNET_BASE_URL = "https://carnet.example"
    message = _queue(PersonFactory(), "EMAIL", "m1")
    with pytest.raises(KeyboardInterrupt):
        outbox_deliver_pending()
    message.refresh_from_db()
    assert message.state == DeliveryState.SENDING and len(mail.outbox) == 1

    settings.CARNET_BASE_URL = "https://nouveau.carnet.example"
    clock.advance(seconds=services.lease_seconds() + 1)
    assert outbox_deliver_pending() == 1
    ids = [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert ids == [f"<{message.idempotency_key}@carnet.example>"] * 2  # the copy can be dropped downstream
    message.refresh_from_db()
    assert message.state == DeliveryState.SENT and message.message_id == ids[0]
    assert DeliveredMessage.objects.filter(outbox=message).count() == 1


def test_a_message_in_flight_is_not_taken_by_another_worker_before_its_lease_ends(
    gateway: type[Any], clock: Any
) -> None:
    """The attempt renews the lease: a worker slow to hear back from the channel keeps its message."""
    from carnet.notifications import delivery

    person = PersonFactory()
    message = _queue(person, "SMS", "s1")
    claim = delivery._claim(10)
    clock.advance(seconds=delivery.lease_seconds() - 1)
    assert delivery._record_attempt(claim.messages[0], claim.token)
    clock.advance(seconds=2)  # past the claim's lease, within the attempt's
    assert outbox_deliver_pending() == 0 and gateway.calls == {}
    message.refresh_from_db()
    assert message.state == DeliveryState.SENDING
