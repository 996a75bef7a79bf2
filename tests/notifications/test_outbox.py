"""The outbox (invariant 5): written with its cause, delivered at least once, never twice for one cause."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.db import transaction

from carnet.notifications.models import DeliveredMessage, OutboxMessage
from carnet.notifications.services import notify, outbox_deliver_pending
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _queue(person, key: str = "k1") -> OutboxMessage | None:  # type: ignore[no-untyped-def]
    return notify(
        patient_id=person.pk,
        channel="EMAIL",
        address=person.email,
        template="generic",
        params={"base_url": "https://carnet.example"},
        dedup_key=key,
    )


def test_the_same_cause_queues_one_message(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_TASK_BACKEND = "none"
    person = PersonFactory()
    assert _queue(person) is not None
    assert _queue(person) is None
    assert OutboxMessage.objects.count() == 1


def test_a_rolled_back_cause_leaves_no_message(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_TASK_BACKEND = "none"
    person = PersonFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        _queue(person)
        raise RuntimeError("the act failed")
    assert OutboxMessage.objects.count() == 0


def test_delivery_marks_sent_once_and_running_again_sends_nothing(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_TASK_BACKEND = "none"
    person = PersonFactory()
    _queue(person)
    assert outbox_deliver_pending() == 1
    assert outbox_deliver_pending() == 0
    assert len(mail.outbox) == 1 and DeliveredMessage.objects.count() == 1


def test_a_failing_channel_keeps_the_message_for_the_next_run_after_its_backoff(
    settings, monkeypatch, clock
) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_TASK_BACKEND = "none"
    person = PersonFactory()
    _queue(person)

    def broken(*args: object, **kwargs: object) -> None:
        raise ConnectionError("smtp down")

    monkeypatch.setattr("carnet.notifications.channels.deliver", broken)
    assert outbox_deliver_pending() == 0
    message = OutboxMessage.objects.get()
    assert message.sent_at is None and message.attempts == 1 and message.last_error == "ConnectionError"
    monkeypatch.undo()
    assert outbox_deliver_pending() == 0  # not before its backoff
    clock.advance(minutes=1)
    assert outbox_deliver_pending() == 1


def test_messages_carry_no_health_data_and_never_ask_for_a_password() -> None:
    from carnet.notifications.templates_catalogue import CATALOGUE

    for key, template in CATALOGUE.items():
        for text in [*template.subject.values(), *template.body.values()]:
            lowered = text.lower()
            assert "diagnos" not in lowered and "résultat" not in lowered, key
            assert "votre mot de passe" not in lowered or "jamais" in lowered, key


def test_no_notification_is_queued_for_a_deceased_person_r_lc_27(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_TASK_BACKEND = "none"
    person = PersonFactory(deceased_on=date(2026, 1, 2))
    assert _queue(person) is None
    assert OutboxMessage.objects.count() == 0


def test_withdrawing_a_cause_cancels_what_is_not_sent_and_removes_its_centre_entries(settings) -> None:  # type: ignore[no-untyped-def]
    """R-MIN-5: a conversation hidden after the fact takes back its representatives' notifications; what
    was already delivered stays delivered, other causes are untouched."""
    from carnet.notifications.models import DeliveryState, InAppNotification, NotificationKind
    from carnet.notifications.services import notifications_withdraw

    settings.CARNET_TASK_BACKEND = "none"
    person = PersonFactory()
    for key in ("message:a:p", "message:b:p", "other"):
        notify(
            patient_id=person.pk,
            channel="EMAIL",
            address=person.email,
            template="generic",
            params={"base_url": "https://carnet.example"},
            dedup_key=key,
            kind=NotificationKind.NEW_MESSAGE,
        )
    OutboxMessage.objects.filter(dedup_key="message:b:p").update(state=DeliveryState.SENT)
    assert notifications_withdraw(dedup_keys=["message:a:p", "message:b:p"], reason="Withdrawn") == (2, 1)
    states = dict(OutboxMessage.objects.values_list("dedup_key", "state"))
    assert states == {
        "message:a:p": DeliveryState.CANCELLED,
        "message:b:p": DeliveryState.SENT,
        "other": DeliveryState.PENDING,
    }
    assert list(InAppNotification.objects.values_list("dedup_key", flat=True)) == ["other"]
