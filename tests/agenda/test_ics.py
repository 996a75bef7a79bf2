"""iCalendar: the private subscription feed and the import of a booking platform's file (R-AG-2, R-AG-6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from carnet.agenda import services
from carnet.agenda.models import Appointment, CalendarFeed
from carnet.agenda.services import AppointmentData
from carnet.audit.models import Trace
from carnet.common.errors import DomainError
from tests.agenda.conftest import make_holder

pytestmark = pytest.mark.django_db

START = datetime(2026, 2, 3, 14, 30, tzinfo=UTC)


def add(holder, **changes):  # type: ignore[no-untyped-def]
    values = {
        "name": "Dr Anne Durand",
        "starts_at": START,
        "address": "3 rue de la Paix, Paris",
        "reminder_offsets": [1440],
    }
    values.update(changes)
    return services.appointment_create(
        actor=holder.actor, patient_id=holder.person.pk, data=AppointmentData(**values)
    )


def fetch(client, token: str):  # type: ignore[no-untyped-def]
    return client.get(f"/agenda/{token}.ics")


def test_feed_lists_the_appointments_as_entered_r_ag_2(holder, client) -> None:
    a = add(holder)
    token = services.feed_regenerate(actor=holder.actor, patient_id=holder.person.pk)
    response = fetch(client, token)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Cache-Control"] == "no-store"
    cal = icalendar.Calendar.from_ical(response.content)
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == f"{a.public_id}@carnet"
    assert str(event["SUMMARY"]) == "Dr Anne Durand"
    assert str(event["LOCATION"]) == "3 rue de la Paix, Paris"
    assert event.decoded("DTSTART") == START
    [alarm] = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -timedelta(days=1)


def test_feed_shows_cancelled_appointments_as_cancelled_r_ag_2(holder, client) -> None:
    a = add(holder)
    services.appointment_cancel(actor=holder.actor, patient_id=holder.person.pk, public_id=str(a.public_id))
    token = services.feed_regenerate(actor=holder.actor, patient_id=holder.person.pk)
    [event] = icalendar.Calendar.from_ical(fetch(client, token).content).walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"


def test_feed_token_is_stored_hashed_only(holder) -> None:
    token = services.feed_regenerate(actor=holder.actor, patient_id=holder.person.pk)
    feed = CalendarFeed.objects.get(patient_id=holder.person.pk)
    assert feed.token_hash != token and token not in feed.token_hash
    assert not Trace.objects.filter(details__icontains=token).exists()


def test_regenerating_revokes_the_old_feed_url(holder, client) -> None:
    old = services.feed_regenerate(actor=holder.actor, patient_id=holder.person.pk)
    new = services.feed_regenerate(actor=holder.actor, patient_id=holder.person.pk)
    assert fetch(client, old).status_code == 404
    assert fetch(client, new).status_code == 200


def test_revoked_feed_answers_404(holder, client) -> None:
    token = services.feed_regenerate(actor=holder.actor, patient_id=holder.person.pk)
    services.feed_revoke(actor=holder.actor, patient_id=holder.person.pk)
    assert fetch(client, token).status_code == 404


def test_unknown_token_answers_404(client, clock) -> None:
    assert fetch(client, "nimporte-quoi").status_code == 404


def test_feed_stops_when_the_space_is_closed_r_lc_21(holder, client) -> None:
    token = services.feed_regenerate(actor=holder.actor, patient_id=holder.person.pk)
    holder.person.space.status = "CLOSED"
    holder.person.space.save()
    assert fetch(client, token).status_code == 404


def test_feed_carries_only_its_patients_appointments(holder, client) -> None:
    add(holder)
    other = make_holder()
    token = services.feed_regenerate(actor=other.actor, patient_id=other.person.pk)
    assert icalendar.Calendar.from_ical(fetch(client, token).content).walk("VEVENT") == []


BOOKING = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Plateforme//RDV//FR\r
BEGIN:VEVENT\r
UID:rdv-123@plateforme.example\r
DTSTAMP:20260105T080000Z\r
DTSTART;TZID=Europe/Paris:20260212T103000\r
DTEND;TZID=Europe/Paris:20260212T110000\r
SUMMARY:Consultation Dr Martin\r
LOCATION:12 avenue Foch, Lyon\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:rdv-124@plateforme.example\r
DTSTAMP:20260105T080000Z\r
DTSTART;VALUE=DATE:20260301\r
SUMMARY:Journee entiere\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:rdv-125@plateforme.example\r
DTSTAMP:20260105T080000Z\r
DTSTART:20260315T080000Z\r
END:VEVENT\r
END:VCALENDAR\r
"""


def importing(holder, content: bytes = BOOKING):  # type: ignore[no-untyped-def]
    return services.ics_import(actor=holder.actor, patient_id=holder.person.pk, content=content)


def test_import_creates_appointments_and_reports_rejections_with_reasons_r_ag_6(holder) -> None:
    report = importing(holder)
    [a] = report.created
    assert (a.name, a.address, a.ics_uid) == (
        "Consultation Dr Martin",
        "12 avenue Foch, Lyon",
        "rdv-123@plateforme.example",
    )
    assert a.starts_at == datetime(2026, 2, 12, 9, 30, tzinfo=UTC)
    assert a.ends_at == datetime(2026, 2, 12, 10, 0, tzinfo=UTC)
    reasons = {index: reason for index, _title, reason in report.rejected}
    assert "journée entière" in reasons[2]
    assert "titre" in reasons[3]


def test_importing_the_same_file_twice_creates_nothing_twice_r_ag_6(holder) -> None:
    importing(holder)
    report = importing(holder)
    assert report.created == []
    assert report.duplicates == ["Consultation Dr Martin"]
    assert Appointment.objects.count() == 1


def test_import_recognises_an_appointment_entered_by_hand_r_ag_6(holder) -> None:
    add(holder, name="Consultation Dr Martin", starts_at=datetime(2026, 2, 12, 9, 30, tzinfo=UTC))
    report = importing(holder)
    assert report.duplicates == ["Consultation Dr Martin"]
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_file"),
        (b"%PDF-1.4 not a calendar", "invalid_ics"),
        (b"\xff\xfe\x00garbage", "invalid_ics"),
        (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "no_event"),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:2026", "invalid_ics"),
    ],
)
def test_a_bad_file_is_refused_whole_and_writes_nothing_invariant_9(holder, content, code) -> None:
    with pytest.raises(DomainError) as error:
        importing(holder, content)
    assert error.value.field == "file"
    assert error.value.code == code
    assert not Appointment.objects.exists()
    assert not Trace.objects.filter(action="AGENDA_IMPORT").exists()
