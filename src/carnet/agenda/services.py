"""Agenda writes (SPEC §6, R-AG-1/2/6): one transaction each, decided by ``access``, traced by ``audit``.

Reminders (R-AG-2 "push reminders before events") go through the notification outbox with
``kind=APPOINTMENT``: content-free (no practitioner, no speciality), deduplicated per appointment, start
time and offset, so the scheduled job can run any number of times (invariant 5).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from carnet.access import gateway
from carnet.access.facts import Action
from carnet.audit.services import trace
from carnet.common import clock
from carnet.common.actors import Actor
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.common.text import strip_bidi_controls
from carnet.identity.models import Organisation, Professional
from carnet.notifications.models import Channel, InAppNotification, NotificationKind
from carnet.notifications.services import notify
from carnet.notifications.templates_catalogue import SIGN_EN as _SIGN_EN
from carnet.notifications.templates_catalogue import SIGN_FR as _SIGN_FR
from carnet.notifications.templates_catalogue import MessageTemplate, register

from . import ics
from .models import (
    Appointment,
    AppointmentAuthor,
    AppointmentKind,
    AppointmentStatus,
    CalendarFeed,
    FreeReminder,
    ReminderOffset,
)

PARIS = ZoneInfo("Europe/Paris")
NOT_FOUND = _("Ce rendez-vous n'existe pas ou vous n'y avez pas accès.")
MAX_OFFSETS = 3
REMINDER_HORIZON = timedelta(minutes=max(ReminderOffset.values))


# Content-free (R-NOT-2, invariant 5): "a" appointment and its time, never who or what for.
register(
    "agenda_appointment_reminder",
    MessageTemplate(
        subject={"fr": "Rappel de rendez-vous", "en": "Appointment reminder"},
        body={
            "fr": "Vous avez un rendez-vous le {date}. Retrouvez-le dans l'agenda de votre espace : {base_url}/agenda/"
            + _SIGN_FR,
            "en": "You have an appointment on {date}. See it in your space's diary: {base_url}/agenda/"
            + _SIGN_EN,
        },
        params=("date", "base_url"),
    ),
)
register(
    "agenda_free_reminder",
    MessageTemplate(
        subject={"fr": "Rappel de votre agenda", "en": "A reminder from your diary"},
        body={
            "fr": "Vous avez programmé un rappel pour le {date}. Retrouvez-le dans votre agenda : {base_url}/agenda/"
            + _SIGN_FR,
            "en": "You set a reminder for {date}. See it in your diary: {base_url}/agenda/" + _SIGN_EN,
        },
        params=("date", "base_url"),
    ),
)


# --------------------------------------------------------------------------------------------------
# Access


def authorise(*, actor: Actor, patient_id: int, action: Action) -> None:
    """Ask ``access`` (invariant 1); a refusal and a missing patient answer the same (fail closed)."""
    scope = gateway.access_scope(actor=actor, patient_id=patient_id)
    if scope.holder is None or not gateway.decide(scope, None, action):
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")


def _trace(
    actor: Actor, action: str, patient_id: int, object_type: str, object_id: str, **details: Any
) -> None:
    trace(
        actor=actor,
        action=action,
        patient_id=patient_id,
        group="services",
        object_type=object_type,
        object_id=object_id,
        details=details or None,
    )


# --------------------------------------------------------------------------------------------------
# Validation


@dataclass
class AppointmentData:
    """The fields of an appointment as entered (forms, import, API)."""

    name: str
    starts_at: datetime | None
    ends_at: datetime | None = None
    kind: str = AppointmentKind.PRACTITIONER
    speciality: str = ""
    address: str = ""
    comment: str = ""
    reminder_offsets: list[int] = field(default_factory=lambda: [ReminderOffset.ONE_DAY.value])
    professional: Professional | None = None
    organisation: Organisation | None = None


def _validate(data: AppointmentData) -> AppointmentData:
    """R-AG-2: a name, a start with its time zone, an end after the start, known reminder offsets."""
    name = strip_bidi_controls(data.name).strip()  # shown to others: no spoofed names
    if not name:
        raise DomainError(
            _("Professionnel ou établissement : ce champ est obligatoire."), code="required", field="name"
        )
    if len(name) > 200:
        raise DomainError(
            _("Professionnel ou établissement : 200 caractères au plus."), code="too_long", field="name"
        )
    if data.starts_at is None or data.starts_at.tzinfo is None:
        raise DomainError(_("Date et heure : ce champ est obligatoire."), code="required", field="starts_at")
    if data.ends_at is not None and data.ends_at <= data.starts_at:
        raise DomainError(
            _("Heure de fin : elle doit être après le début du rendez-vous."),
            code="end_before_start",
            field="ends_at",
        )
    if data.kind not in AppointmentKind.values:
        raise DomainError(_("Type de rendez-vous : valeur inconnue."), code="invalid", field="kind")
    for label, value, limit, name_ in (
        (_("Spécialité"), data.speciality, 120, "speciality"),
        (_("Adresse"), data.address, 300, "address"),
        (_("Commentaire"), data.comment, 2000, "comment"),
    ):
        if len(value) > limit:
            raise DomainError(
                _("%(label)s : %(limit)s caractères au plus.") % {"label": label, "limit": limit},
                code="too_long",
                field=name_,
            )
    offsets = sorted({int(o) for o in data.reminder_offsets}, reverse=True)
    if any(o not in ReminderOffset.values for o in offsets):
        raise DomainError(_("Rappels : délai de rappel inconnu."), code="invalid", field="reminder_offsets")
    if len(offsets) > MAX_OFFSETS:
        raise DomainError(
            _("Rappels : trois rappels au plus par rendez-vous."), code="too_many", field="reminder_offsets"
        )
    data.name = name
    data.speciality = data.speciality.strip()
    data.address = data.address.strip()
    data.comment = data.comment.strip()
    data.reminder_offsets = offsets
    return data


# --------------------------------------------------------------------------------------------------
# Appointments


def appointment_create(
    *,
    actor: Actor,
    patient_id: int,
    data: AppointmentData,
    author_kind: str = AppointmentAuthor.PATIENT,
    author_service: str = "",
    ics_uid: str = "",
) -> Appointment:
    """R-AG-1/R-AG-2: add an appointment to ``patient_id``'s diary (the holder's side, or a service)."""
    data = _validate(data)
    if author_kind not in AppointmentAuthor.values:
        raise DomainError(_("Auteur : valeur inconnue."), code="invalid", field="author_kind")
    with transaction.atomic():
        authorise(actor=actor, patient_id=patient_id, action=Action.AGENDA_WRITE)
        appointment = _create(actor, patient_id, data, author_kind, author_service, ics_uid)
        _trace(actor, "AGENDA_APPOINTMENT_CREATE", patient_id, "appointment", str(appointment.public_id))
    return appointment


def _create(
    actor: Actor, patient_id: int, data: AppointmentData, author_kind: str, author_service: str, ics_uid: str
) -> Appointment:
    now = clock.now()
    assert data.starts_at is not None  # checked by _validate
    return Appointment.objects.create(
        patient_id=patient_id,
        kind=data.kind,
        name=data.name,
        professional=data.professional,
        organisation=data.organisation,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        speciality=data.speciality,
        address=data.address,
        comment=data.comment,
        status=AppointmentStatus.PLANNED,
        author_kind=author_kind,
        author_person_id=actor.person_id,
        author_service=author_service[:200],
        reminder_offsets=data.reminder_offsets,
        ics_uid=ics_uid[:255],
        created_at=now,
        updated_at=now,
    )


def _locked(patient_id: int, public_id: str) -> Appointment:
    appointment = (
        Appointment.objects.select_for_update().filter(patient_id=patient_id, public_id=public_id).first()
    )
    if appointment is None:
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    return appointment


def appointment_update(
    *, actor: Actor, patient_id: int, public_id: str, data: AppointmentData
) -> Appointment:
    """R-AG-2: change an appointment of the diary; a cancelled one is not edited any more."""
    data = _validate(data)
    with transaction.atomic():
        authorise(actor=actor, patient_id=patient_id, action=Action.AGENDA_WRITE)
        appointment = _locked(patient_id, public_id)
        if appointment.status == AppointmentStatus.CANCELLED:
            raise DomainError(
                _("Rendez-vous : un rendez-vous annulé ne peut plus être modifié."),
                code="cancelled",
                field=None,
            )
        for name in (
            "kind",
            "name",
            "starts_at",
            "ends_at",
            "speciality",
            "address",
            "comment",
            "reminder_offsets",
        ):
            setattr(appointment, name, getattr(data, name))
        appointment.updated_at = clock.now()
        appointment.save()
        _trace(actor, "AGENDA_APPOINTMENT_UPDATE", patient_id, "appointment", str(appointment.public_id))
    return appointment


def appointment_cancel(*, actor: Actor, patient_id: int, public_id: str) -> Appointment:
    """R-AG-2 status CANCELLED: kept in the history, no more reminders, shown cancelled in the feed."""
    with transaction.atomic():
        authorise(actor=actor, patient_id=patient_id, action=Action.AGENDA_WRITE)
        appointment = _locked(patient_id, public_id)
        if appointment.status == AppointmentStatus.CANCELLED:
            return appointment
        appointment.status = AppointmentStatus.CANCELLED
        appointment.updated_at = clock.now()
        appointment.save(update_fields=["status", "updated_at"])
        _trace(actor, "AGENDA_APPOINTMENT_CANCEL", patient_id, "appointment", str(appointment.public_id))
    return appointment


# --------------------------------------------------------------------------------------------------
# Free reminders


def reminder_create(
    *, actor: Actor, patient_id: int, title: str, remind_at: datetime | None, comment: str = ""
) -> FreeReminder:
    """R-AG-2 ``Reminder{title, date, comment}``: notified once at ``remind_at`` (must be in the future)."""
    title = strip_bidi_controls(title).strip()
    if not title:
        raise DomainError(_("Titre : ce champ est obligatoire."), code="required", field="title")
    if len(title) > 200:
        raise DomainError(_("Titre : 200 caractères au plus."), code="too_long", field="title")
    if remind_at is None or remind_at.tzinfo is None:
        raise DomainError(_("Date et heure : ce champ est obligatoire."), code="required", field="remind_at")
    if remind_at <= clock.now():
        raise DomainError(
            _("Date et heure : le rappel doit être dans le futur."), code="in_the_past", field="remind_at"
        )
    if len(comment) > 2000:
        raise DomainError(_("Commentaire : 2000 caractères au plus."), code="too_long", field="comment")
    with transaction.atomic():
        authorise(actor=actor, patient_id=patient_id, action=Action.AGENDA_WRITE)
        reminder = FreeReminder.objects.create(
            patient_id=patient_id,
            title=title,
            remind_at=remind_at,
            comment=comment.strip(),
            created_at=clock.now(),
        )
        _trace(actor, "AGENDA_REMINDER_CREATE", patient_id, "reminder", str(reminder.public_id))
    return reminder


def reminder_delete(*, actor: Actor, patient_id: int, public_id: str) -> None:
    with transaction.atomic():
        authorise(actor=actor, patient_id=patient_id, action=Action.AGENDA_WRITE)
        deleted, _count = FreeReminder.objects.filter(patient_id=patient_id, public_id=public_id).delete()
        if not deleted:
            raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
        _trace(actor, "AGENDA_REMINDER_DELETE", patient_id, "reminder", str(public_id))


# --------------------------------------------------------------------------------------------------
# Calendar feed (private subscription URL)


def feed_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_regenerate(*, actor: Actor, patient_id: int) -> str:
    """Create or replace the private feed URL's token; the previous URL stops working at once.

    Only the token's SHA-256 is stored: the token is shown once, to the patient, and never logged.
    """
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        authorise(actor=actor, patient_id=patient_id, action=Action.AGENDA_WRITE)
        CalendarFeed.objects.update_or_create(
            patient_id=patient_id, defaults={"token_hash": feed_token_hash(token), "created_at": clock.now()}
        )
        _trace(actor, "AGENDA_FEED_REGENERATE", patient_id, "calendar_feed", "")
    return token


def feed_revoke(*, actor: Actor, patient_id: int) -> None:
    with transaction.atomic():
        authorise(actor=actor, patient_id=patient_id, action=Action.AGENDA_WRITE)
        deleted, _count = CalendarFeed.objects.filter(patient_id=patient_id).delete()
        if deleted:
            _trace(actor, "AGENDA_FEED_REVOKE", patient_id, "calendar_feed", "")


# --------------------------------------------------------------------------------------------------
# Import of an .ics file


@dataclass
class ImportReport:
    created: list[Appointment] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # event titles already in the diary
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (event number, title, reason)


def ics_import(*, actor: Actor, patient_id: int, content: bytes) -> ImportReport:
    """R-AG-6: import the VEVENTs of a booking platform's .ics file.

    Duplicates (same UID, or same start and title, already in the diary or earlier in the file) are
    skipped; events without a time or a title are rejected with their reason. A file that is not
    iCalendar is refused whole and nothing is written (invariant 9).
    """
    events = ics.parse_events(content)
    report = ImportReport()
    with transaction.atomic():
        authorise(actor=actor, patient_id=patient_id, action=Action.AGENDA_WRITE)
        existing = Appointment.objects.filter(patient_id=patient_id)
        uids = set(existing.exclude(ics_uid="").values_list("ics_uid", flat=True))
        # Names are sealed (ADR 0008): compared after opening, within this patient's rows.
        keys = {
            (a.starts_at, a.name.casefold())
            for a in existing.only("patient_id", "public_id", "starts_at", "name")
        }
        for event in events:
            if event.error:
                report.rejected.append((event.index, event.name, event.error))
                continue
            assert event.starts_at is not None
            key = (event.starts_at, event.name.casefold())
            if (event.uid and event.uid in uids) or key in keys:
                report.duplicates.append(event.name)
                continue
            data = AppointmentData(
                name=event.name,
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                address=event.address,
                comment=event.comment,
            )
            try:
                data = _validate(data)
            except DomainError as error:
                report.rejected.append((event.index, event.name, str(error)))
                continue
            appointment = _create(actor, patient_id, data, AppointmentAuthor.PATIENT, "", event.uid)
            if event.cancelled:
                appointment.status = AppointmentStatus.CANCELLED
                appointment.save(update_fields=["status"])
            report.created.append(appointment)
            if event.uid:
                uids.add(event.uid)
            keys.add(key)
        _trace(
            actor,
            "AGENDA_IMPORT",
            patient_id,
            "calendar_import",
            "",
            created=len(report.created),
            duplicates=len(report.duplicates),
            rejected=len(report.rejected),
        )
    return report


# --------------------------------------------------------------------------------------------------
# Reminders (scheduled job)


def _when(at: datetime) -> str:
    """An e-mail's date parameter: ISO, worded in the reader's language when sent (templates_catalogue)."""
    return at.astimezone(PARIS).isoformat(timespec="minutes")


def _address(patient_id: int) -> tuple[str, str, str]:
    from carnet.identity.models import Person

    person = Person.objects.filter(pk=patient_id).select_related("account").first()
    if person is None:
        return Channel.EMAIL, "", "fr"
    account = getattr(person, "account", None)
    language = account.preferred_language if account is not None else "fr"
    if person.email:
        return Channel.EMAIL, person.email, language
    return Channel.SMS, person.phone, language


def _remind(
    system: Actor, patient_id: int, public_id: Any, starts_at: datetime, offset: int, base_url: str
) -> bool:
    """One appointment reminder, once: the in-app entry's dedup key says whether it already went out."""
    key = f"agenda:appointment:{public_id}:{starts_at.isoformat()}:{offset}"
    if InAppNotification.objects.filter(dedup_key=key).exists():
        return False
    channel, address, language = _address(patient_id)
    with transaction.atomic():
        notify(
            patient_id=patient_id,
            channel=channel,
            address=address,
            template="agenda_appointment_reminder",
            params={"date": _when(starts_at), "base_url": base_url},
            dedup_key=key,
            language=language,
            kind=NotificationKind.APPOINTMENT,
            link="/agenda/",
        )
        _trace(system, "AGENDA_REMINDER_SENT", patient_id, "appointment", str(public_id), offset=offset)
    return True


def appointment_reminders_send(*, batch: int = 1000) -> int:
    """R-AG-2: send the reminders due now; returns how many were queued.

    For a planned appointment still ahead, the offsets whose time has come are "due"; only the closest to
    the appointment is sent (a late worker does not send "in a week" and "in 2 hours" together). The
    dedup key (appointment, start time, offset) makes a second run send nothing, and a moved
    appointment gets its reminders again. Free reminders are sent once (``notified_at``).
    """
    now = clock.now()
    base_url = str(settings.CARNET_BASE_URL or "")
    system = Actor.system("agenda.appointment_reminders")
    sent = 0
    window = Appointment.objects.filter(
        status=AppointmentStatus.PLANNED, starts_at__gt=now, starts_at__lte=now + REMINDER_HORIZON
    ).exclude(reminder_offsets=[])
    last_pk = 0
    while True:  # keyset pages by primary key: every candidate is seen, whatever the volume
        page = list(
            window.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", "patient_id", "public_id", "starts_at", "reminder_offsets")[:batch]
        )
        if not page:
            break
        last_pk = page[-1][0]
        for _pk, patient_id, public_id, starts_at, offsets in page:
            due = [int(o) for o in offsets if starts_at - timedelta(minutes=int(o)) <= now]
            if due and _remind(system, patient_id, public_id, starts_at, min(due), base_url):
                sent += 1
    due_reminders = FreeReminder.objects.filter(notified_at__isnull=True, remind_at__lte=now).order_by(
        "remind_at"
    )[:batch]
    for reminder_pk in list(due_reminders.values_list("pk", flat=True)):
        with transaction.atomic():
            reminder = (
                FreeReminder.objects.select_for_update()
                .filter(pk=reminder_pk, notified_at__isnull=True)
                .first()
            )
            if reminder is None:
                continue
            reminder.notified_at = now
            reminder.save(update_fields=["notified_at"])
            channel, address, language = _address(reminder.patient_id)
            notify(
                patient_id=reminder.patient_id,
                channel=channel,
                address=address,
                template="agenda_free_reminder",
                params={"date": _when(reminder.remind_at), "base_url": base_url},
                dedup_key=f"agenda:reminder:{reminder.public_id}",
                language=language,
                kind=NotificationKind.APPOINTMENT,
                link="/agenda/",
            )
            sent += 1
            _trace(system, "AGENDA_REMINDER_SENT", reminder.patient_id, "reminder", str(reminder.public_id))
    return sent
