"""Agenda reads (SPEC §6): scoped to one patient, decided by ``access`` (AGENDA_READ)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from carnet.access.facts import Action
from carnet.common import clock
from carnet.common.actors import Actor, ActorKind
from carnet.common.errors import NotFoundOrForbidden

from .models import Appointment, AppointmentStatus, CalendarFeed, FreeReminder
from .services import NOT_FOUND, authorise, feed_token_hash

PARIS = ZoneInfo("Europe/Paris")


def appointment_list_for_actor(*, actor: Actor, patient_id: int, past: bool = False) -> QuerySet[Appointment]:
    """Upcoming appointments (soonest first) or the history of past ones (latest first)."""
    authorise(actor=actor, patient_id=patient_id, action=Action.AGENDA_READ)
    now = clock.now()
    qs = Appointment.objects.filter(patient_id=patient_id)
    if past:
        return qs.filter(starts_at__lt=now).order_by("-starts_at")
    return qs.filter(starts_at__gte=now).order_by("starts_at")


def appointment_get_for_actor(*, actor: Actor, patient_id: int, public_id: str) -> Appointment:
    authorise(actor=actor, patient_id=patient_id, action=Action.AGENDA_READ)
    appointment = Appointment.objects.filter(patient_id=patient_id, public_id=public_id).first()
    if appointment is None:
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    return appointment


def reminder_list_for_actor(*, actor: Actor, patient_id: int) -> QuerySet[FreeReminder]:
    authorise(actor=actor, patient_id=patient_id, action=Action.AGENDA_READ)
    return FreeReminder.objects.filter(patient_id=patient_id, remind_at__gte=clock.now()).order_by(
        "remind_at"
    )


def feed_exists(*, patient_id: int) -> bool:
    return CalendarFeed.objects.filter(patient_id=patient_id).exists()


def feed_items_for_token(token: str) -> tuple[list[Appointment], list[FreeReminder]] | None:
    """The content of a private feed, or None for an unknown or revoked token, or a space not open."""
    feed = CalendarFeed.objects.filter(token_hash=feed_token_hash(token)).first()
    if feed is None:
        return None
    owner = Actor(ActorKind.PATIENT, "agenda-feed", person_id=feed.patient_id)
    try:
        authorise(actor=owner, patient_id=feed.patient_id, action=Action.AGENDA_READ)
    except NotFoundOrForbidden:
        return None
    appointments = list(Appointment.objects.filter(patient_id=feed.patient_id).order_by("starts_at"))
    reminders = list(FreeReminder.objects.filter(patient_id=feed.patient_id).order_by("remind_at"))
    return appointments, reminders


@dataclass(frozen=True)
class Day:
    day: date
    in_month: bool
    is_today: bool
    appointments: list[Appointment]


def month_weeks(*, actor: Actor, patient_id: int, year: int, month: int) -> list[list[Day]]:
    """The month view: weeks (Monday first) of days with their appointments (Paris time)."""
    authorise(actor=actor, patient_id=patient_id, action=Action.AGENDA_READ)
    cal = calendar.Calendar(firstweekday=0)
    days = list(cal.itermonthdates(year, month))
    start = datetime.combine(days[0], time.min, tzinfo=PARIS)
    end = datetime.combine(days[-1] + timedelta(days=1), time.min, tzinfo=PARIS)
    by_day: dict[date, list[Appointment]] = {}
    for appointment in Appointment.objects.filter(
        patient_id=patient_id, starts_at__gte=start, starts_at__lt=end
    ).order_by("starts_at"):
        by_day.setdefault(appointment.starts_at.astimezone(PARIS).date(), []).append(appointment)
    today = clock.today()
    weeks = [
        [Day(d, d.month == month, d == today, by_day.get(d, [])) for d in days[i : i + 7]]
        for i in range(0, len(days), 7)
    ]
    return weeks


def is_planned(appointment: Appointment) -> bool:
    return appointment.status == AppointmentStatus.PLANNED
