"""Reminders before appointments and free reminders, sent by the scheduled job (R-AG-2, invariant 5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from carnet.agenda import services
from carnet.agenda.services import AppointmentData, appointment_reminders_send
from carnet.notifications.models import InAppNotification, OutboxMessage
from carnet.notifications.templates_catalogue import render
from carnet.tasks import load_tasks

pytestmark = pytest.mark.django_db

# The clock fixture starts at 2026-01-05 09:00 UTC.
START = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


def add(holder, offsets: list[int], starts_at: datetime = START):  # type: ignore[no-untyped-def]
    return services.appointment_create(
        actor=holder.actor,
        patient_id=holder.person.pk,
        data=AppointmentData(
            name="Dr Anne Durand", speciality="Cardiologie", starts_at=starts_at, reminder_offsets=offsets
        ),
    )


def reminders() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(template="agenda_appointment_reminder").order_by("id"))


def test_nothing_is_sent_before_the_chosen_time_r_ag_2(holder, clock) -> None:
    add(holder, [1440])
    clock.freeze(START - timedelta(days=1, minutes=1))
    assert appointment_reminders_send() == 0
    assert reminders() == []


def test_reminder_is_sent_at_the_chosen_offset_and_only_once_r_ag_2(holder, clock) -> None:
    add(holder, [1440])
    clock.freeze(START - timedelta(days=1))
    assert appointment_reminders_send() == 1
    assert appointment_reminders_send() == 0  # the job twice: nothing twice
    clock.advance(hours=3)
    assert appointment_reminders_send() == 0
    assert len(reminders()) == 1


def test_each_chosen_offset_sends_its_own_reminder_r_ag_2(holder, clock) -> None:
    add(holder, [1440, 120])
    clock.freeze(START - timedelta(days=1))
    appointment_reminders_send()
    clock.freeze(START - timedelta(hours=2))
    appointment_reminders_send()
    appointment_reminders_send()
    keys = [m.dedup_key for m in reminders()]
    assert len(keys) == 2
    assert keys[0].endswith(":1440") and keys[1].endswith(":120")


def test_a_late_worker_sends_only_the_closest_reminder_r_ag_2(holder, clock) -> None:
    add(holder, [10080, 1440, 120])
    clock.freeze(START - timedelta(hours=1))
    assert appointment_reminders_send() == 1
    assert reminders()[0].dedup_key.endswith(":120")


def test_reminder_is_content_free_r_not_2(holder, clock) -> None:
    add(holder, [1440])
    clock.freeze(START - timedelta(days=1))
    appointment_reminders_send()
    message = reminders()[0]
    text = " ".join(str(v) for v in message.params.values())
    assert "Durand" not in text and "Cardiologie" not in text
    assert message.params["date"] == "2026-01-10T10:00+01:00"  # Paris time, worded when the message is sent
    assert "10 janvier 2026 à 10 h 00" in render(message.template, message.params, "fr")[1]
    assert "10 January 2026 at 10:00 am" in render(message.template, message.params, "en")[1]


def test_reminder_also_appears_in_the_notification_centre_r_not_3(holder, clock) -> None:
    add(holder, [1440])
    clock.freeze(START - timedelta(days=1))
    appointment_reminders_send()
    entry = InAppNotification.objects.get(patient_id=holder.person.pk)
    assert entry.kind == "AGENDA"
    assert entry.link == "/agenda/"


def test_no_reminder_for_a_cancelled_appointment_r_ag_2(holder, clock) -> None:
    a = add(holder, [1440])
    services.appointment_cancel(actor=holder.actor, patient_id=holder.person.pk, public_id=str(a.public_id))
    clock.freeze(START - timedelta(hours=12))
    assert appointment_reminders_send() == 0


def test_no_reminder_after_the_appointment_started_r_ag_2(holder, clock) -> None:
    add(holder, [120])
    clock.freeze(START + timedelta(minutes=1))
    assert appointment_reminders_send() == 0


def test_a_moved_appointment_is_reminded_again_at_its_new_time_r_ag_2(holder, clock) -> None:
    a = add(holder, [1440])
    clock.freeze(START - timedelta(days=1))
    appointment_reminders_send()
    services.appointment_update(
        actor=holder.actor,
        patient_id=holder.person.pk,
        public_id=str(a.public_id),
        data=AppointmentData(
            name="Dr Anne Durand", starts_at=START + timedelta(days=1), reminder_offsets=[1440]
        ),
    )
    appointment_reminders_send()
    assert len(reminders()) == 1
    clock.freeze(START)
    appointment_reminders_send()
    assert len(reminders()) == 2


def test_free_reminder_is_sent_once_at_its_time_r_ag_2(holder, clock) -> None:
    services.reminder_create(
        actor=holder.actor, patient_id=holder.person.pk, title="Prendre RDV dentiste", remind_at=START
    )
    clock.freeze(START - timedelta(minutes=1))
    assert appointment_reminders_send() == 0
    clock.freeze(START)
    assert appointment_reminders_send() == 1
    assert appointment_reminders_send() == 0
    message = OutboxMessage.objects.get(template="agenda_free_reminder")
    assert "dentiste" not in str(message.params)


def test_the_job_is_registered_with_the_task_api() -> None:
    assert "agenda.appointment_reminders" in load_tasks()
