"""iCalendar in and out (R-AG-2, R-AG-6), with the ``icalendar`` library.

* ``build_feed``: the patient's private subscription feed. It carries only what the patient's side
  entered (name, time, address, comment) and one VALARM per chosen reminder offset.
* ``parse_events``: the VEVENTs of an uploaded file (a booking platform's confirmation), each mapped to
  the fields of an appointment or rejected with a reason. A file that is not iCalendar is refused whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from django.utils.translation import gettext_lazy as _

from carnet.common.errors import DomainError

from .models import Appointment, AppointmentStatus, FreeReminder

PARIS = ZoneInfo("Europe/Paris")
MAX_IMPORT_BYTES = 1_000_000
MAX_IMPORT_EVENTS = 500
PRODID = "-//Carnet//Agenda//FR"


def build_feed(appointments: Iterable[Appointment], reminders: Iterable[FreeReminder]) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Carnet")
    for appointment in appointments:
        event = icalendar.Event()
        event.add("uid", f"{appointment.public_id}@carnet")
        event.add("dtstamp", appointment.updated_at)
        event.add("dtstart", appointment.starts_at)
        event.add("dtend", appointment.ends_at or appointment.starts_at + timedelta(minutes=30))
        event.add("summary", appointment.name)
        if appointment.address:
            event.add("location", appointment.address)
        description = "\n".join(x for x in (appointment.speciality, appointment.comment) if x)
        if description:
            event.add("description", description)
        event.add("status", "CANCELLED" if appointment.status == AppointmentStatus.CANCELLED else "CONFIRMED")
        for offset in appointment.reminder_offsets:
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", "Rendez-vous")
            alarm.add("trigger", timedelta(minutes=-int(offset)))
            event.add_component(alarm)
        cal.add_component(event)
    for reminder in reminders:
        event = icalendar.Event()
        event.add("uid", f"{reminder.public_id}@carnet")
        event.add("dtstamp", reminder.created_at)
        event.add("dtstart", reminder.remind_at)
        event.add("dtend", reminder.remind_at)
        event.add("summary", reminder.title)
        if reminder.comment:
            event.add("description", reminder.comment)
        cal.add_component(event)
    return bytes(cal.to_ical())


@dataclass
class ParsedEvent:
    """One VEVENT of an imported file: the appointment fields, or the reason it is rejected."""

    index: int
    uid: str = ""
    name: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    address: str = ""
    comment: str = ""
    cancelled: bool = False
    error: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _as_datetime(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=PARIS)  # floating time: Paris
    return None


def _text(component: icalendar.Component, name: str, limit: int) -> str:
    value = component.get(name)
    return str(value).strip()[:limit] if value is not None else ""


def parse_events(content: bytes) -> list[ParsedEvent]:
    """Parse an uploaded .ics file. Raises ``DomainError(field="file")`` when the file itself is unusable."""
    if not content:
        raise DomainError(_("Fichier : le fichier est vide."), code="empty_file", field="file")
    if len(content) > MAX_IMPORT_BYTES:
        raise DomainError(_("Fichier : le fichier dépasse 1 Mo."), code="file_too_large", field="file")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(
            _("Fichier : ce n'est pas un fichier iCalendar (.ics) lisible."), code="invalid_ics", field="file"
        ) from None
    if "BEGIN:VCALENDAR" not in text.upper():
        raise DomainError(
            _("Fichier : ce n'est pas un fichier iCalendar (.ics) lisible."), code="invalid_ics", field="file"
        )
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except (ValueError, IndexError, KeyError):
        raise DomainError(
            _("Fichier : ce n'est pas un fichier iCalendar (.ics) lisible."), code="invalid_ics", field="file"
        ) from None
    vevents = list(calendar.walk("VEVENT"))
    if not vevents:
        raise DomainError(_("Fichier : il ne contient aucun rendez-vous."), code="no_event", field="file")
    if len(vevents) > MAX_IMPORT_EVENTS:
        raise DomainError(
            _("Fichier : il contient plus de 500 rendez-vous."), code="too_many_events", field="file"
        )
    parsed: list[ParsedEvent] = []
    for index, vevent in enumerate(vevents, start=1):
        item = ParsedEvent(index=index)
        item.uid = _text(vevent, "UID", 255)
        item.name = _text(vevent, "SUMMARY", 200)
        item.address = _text(vevent, "LOCATION", 300)
        item.comment = _text(vevent, "DESCRIPTION", 2000)
        item.cancelled = _text(vevent, "STATUS", 20).upper() == "CANCELLED"
        try:
            start = vevent.decoded("DTSTART") if vevent.get("DTSTART") is not None else None
            end = vevent.decoded("DTEND") if vevent.get("DTEND") is not None else None
        except (ValueError, TypeError, KeyError):
            start = end = None
            item.error = str(_("date de début illisible"))
        if not item.error:
            if start is None:
                item.error = str(_("date de début manquante"))
            elif isinstance(start, date) and not isinstance(start, datetime):
                item.error = str(_("événement sur la journée entière, sans heure de rendez-vous"))
            else:
                item.starts_at = _as_datetime(start)
                item.ends_at = _as_datetime(end)
                if item.ends_at is not None and item.starts_at is not None and item.ends_at <= item.starts_at:
                    item.ends_at = None
        if not item.error and not item.name:
            item.error = str(_("titre (SUMMARY) manquant"))
        parsed.append(item)
    return parsed
