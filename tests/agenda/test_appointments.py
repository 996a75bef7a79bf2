"""Appointments and free reminders (SPEC §6: R-AG-1, R-AG-2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from carnet.agenda import selectors, services
from carnet.agenda.models import Appointment, AppointmentStatus, FreeReminder
from carnet.agenda.services import AppointmentData
from carnet.audit.models import Trace
from carnet.common.errors import DomainError, NotFoundOrForbidden
from tests.agenda.conftest import make_holder

pytestmark = pytest.mark.django_db

START = datetime(2026, 1, 20, 9, 0, tzinfo=UTC)


def data(**changes: object) -> AppointmentData:
    values: dict[str, object] = {"name": "Dr Anne Durand", "starts_at": START, "speciality": "Dermatologie"}
    values.update(changes)
    return AppointmentData(**values)  # type: ignore[arg-type]


def test_holder_adds_an_appointment_and_the_act_is_traced_r_ag_2(holder) -> None:
    a = services.appointment_create(actor=holder.actor, patient_id=holder.person.pk, data=data())
    assert a.status == AppointmentStatus.PLANNED
    assert a.author_kind == "PATIENT"
    assert a.reminder_offsets == [1440]
    assert Trace.objects.filter(patient_id=holder.person.pk, action="AGENDA_APPOINTMENT_CREATE").count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"starts_at": None}, "starts_at"),
        ({"ends_at": START - timedelta(minutes=5)}, "ends_at"),
        ({"reminder_offsets": [7]}, "reminder_offsets"),
        ({"reminder_offsets": [60, 120, 1440, 2880]}, "reminder_offsets"),
        ({"comment": "x" * 2001}, "comment"),
    ],
)
def test_invalid_appointment_is_refused_naming_the_field_and_writes_nothing_r_ag_2(
    holder, changes, field
) -> None:
    with pytest.raises(DomainError) as error:
        services.appointment_create(actor=holder.actor, patient_id=holder.person.pk, data=data(**changes))
    assert error.value.field == field
    assert not Appointment.objects.exists()
    assert not Trace.objects.filter(action="AGENDA_APPOINTMENT_CREATE").exists()


def test_a_stranger_cannot_add_to_someone_elses_diary_r_ag_1(holder) -> None:
    other = make_holder()
    with pytest.raises(NotFoundOrForbidden):
        services.appointment_create(actor=other.actor, patient_id=holder.person.pk, data=data())
    assert not Appointment.objects.exists()


def test_a_stranger_cannot_read_someone_elses_diary_r_ag_1(holder) -> None:
    services.appointment_create(actor=holder.actor, patient_id=holder.person.pk, data=data())
    other = make_holder()
    with pytest.raises(NotFoundOrForbidden):
        selectors.appointment_list_for_actor(actor=other.actor, patient_id=holder.person.pk)


def test_diary_is_closed_when_the_space_is_closed_r_lc_21(clock) -> None:
    closed = make_holder(status="CLOSED")
    with pytest.raises(NotFoundOrForbidden):
        services.appointment_create(actor=closed.actor, patient_id=closed.person.pk, data=data())


def test_legal_representative_keeps_the_childs_diary_r_min_1(parent_of_child) -> None:
    actor, child = parent_of_child
    a = services.appointment_create(actor=actor, patient_id=child.pk, data=data(name="Pédiatre"))
    assert a.patient_id == child.pk
    assert a.author_person_id == actor.person_id
    assert list(selectors.appointment_list_for_actor(actor=actor, patient_id=child.pk)) == [a]


def test_upcoming_list_and_history_are_split_at_the_clock_r_ag_2(holder, clock) -> None:
    who = {"actor": holder.actor, "patient_id": holder.person.pk}
    soon = services.appointment_create(**who, data=data(starts_at=START))
    later = services.appointment_create(**who, data=data(starts_at=START + timedelta(days=30)))
    clock.advance(days=20)
    assert list(selectors.appointment_list_for_actor(**who)) == [later]
    assert list(selectors.appointment_list_for_actor(**who, past=True)) == [soon]


def test_holder_edits_an_appointment_r_ag_2(holder) -> None:
    who = {"actor": holder.actor, "patient_id": holder.person.pk}
    a = services.appointment_create(**who, data=data())
    services.appointment_update(
        **who, public_id=str(a.public_id), data=data(name="Dr Paul Leroy", address="1 rue X")
    )
    a.refresh_from_db()
    assert (a.name, a.address) == ("Dr Paul Leroy", "1 rue X")


def test_a_cancelled_appointment_stays_in_the_history_and_cannot_be_edited_r_ag_2(holder) -> None:
    who = {"actor": holder.actor, "patient_id": holder.person.pk}
    a = services.appointment_create(**who, data=data())
    services.appointment_cancel(**who, public_id=str(a.public_id))
    a.refresh_from_db()
    assert a.status == AppointmentStatus.CANCELLED
    with pytest.raises(DomainError) as error:
        services.appointment_update(**who, public_id=str(a.public_id), data=data(name="Autre"))
    assert error.value.code == "cancelled"


def test_another_patients_appointment_answers_not_found_r_ag_1(holder) -> None:
    a = services.appointment_create(actor=holder.actor, patient_id=holder.person.pk, data=data())
    other = make_holder()
    with pytest.raises(NotFoundOrForbidden):
        services.appointment_cancel(actor=other.actor, patient_id=other.person.pk, public_id=str(a.public_id))
    a.refresh_from_db()
    assert a.status == AppointmentStatus.PLANNED


def test_free_reminder_must_be_in_the_future_r_ag_2(holder, clock) -> None:
    with pytest.raises(DomainError) as error:
        services.reminder_create(
            actor=holder.actor,
            patient_id=holder.person.pk,
            title="Renouveler l'ordonnance",
            remind_at=clock.now(),
        )
    assert error.value.field == "remind_at"
    assert not FreeReminder.objects.exists()


def test_free_reminder_needs_a_title_r_ag_2(holder, clock) -> None:
    with pytest.raises(DomainError) as error:
        services.reminder_create(
            actor=holder.actor,
            patient_id=holder.person.pk,
            title="",
            remind_at=clock.now() + timedelta(days=1),
        )
    assert error.value.field == "title"


def test_month_view_places_appointments_on_their_paris_day_r_ag_2(holder) -> None:
    # 23:30 UTC on the 19th is 00:30 on the 20th in Paris
    a = services.appointment_create(
        actor=holder.actor,
        patient_id=holder.person.pk,
        data=data(starts_at=datetime(2026, 1, 19, 23, 30, tzinfo=UTC)),
    )
    weeks = selectors.month_weeks(actor=holder.actor, patient_id=holder.person.pk, year=2026, month=1)
    days = {d.day.day: d.appointments for week in weeks for d in week if d.in_month}
    assert days[20] == [a]
    assert days[19] == []
