"""Agenda state (SPEC §6, R-AG-1/2): appointments, free reminders and the private calendar feed.

Every row carries ``patient_id`` (the holder's Person id, invariant 8) and a public UUID for URLs.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from carnet.vault.sealing import SealedTextField


class AppointmentKind(models.TextChoices):
    """R-AG-2 ``type``: with a practitioner or with a healthcare service (establishment)."""

    PRACTITIONER = "PRACTITIONER", _("Professionnel de santé")
    HEALTHCARE_SERVICE = "HEALTHCARE_SERVICE", _("Établissement ou service de santé")


class AppointmentStatus(models.TextChoices):
    PLANNED = "PLANNED", _("Prévu")
    DONE = "DONE", _("Passé")
    CANCELLED = "CANCELLED", _("Annulé")


class AppointmentAuthor(models.TextChoices):
    """R-AG-2 ``author``: the holder (or whoever acts for him) or a connected service (R-AG-1, R-AG-6)."""

    PATIENT = "PATIENT", _("Vous")
    EDITOR_SOLUTION = "EDITOR_SOLUTION", _("Service connecté")


class ReminderOffset(models.IntegerChoices):
    """How long before an appointment its reminder is sent (minutes), chosen by the patient (R-AG-2)."""

    ONE_HOUR = 60, _("1 heure avant")
    TWO_HOURS = 120, _("2 heures avant")
    ONE_DAY = 1440, _("1 jour avant")
    TWO_DAYS = 2880, _("2 jours avant")
    ONE_WEEK = 10080, _("1 semaine avant")


class Appointment(models.Model):
    """R-AG-2 ``Appointment``. ``ics_uid`` is the UID of the iCalendar event it came from, if imported."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient_id = models.BigIntegerField()
    kind = models.CharField(
        max_length=24, choices=AppointmentKind.choices, default=AppointmentKind.PRACTITIONER
    )
    name = SealedTextField()  # professionalOrEstablishmentName (ADR 0008; ≤ 200, services)
    professional = models.ForeignKey(
        "identity.Professional", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        "identity.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    speciality = SealedTextField()  # ≤ 120
    address = SealedTextField()  # ≤ 300
    comment = SealedTextField()
    status = models.CharField(
        max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.PLANNED
    )
    author_kind = models.CharField(
        max_length=16, choices=AppointmentAuthor.choices, default=AppointmentAuthor.PATIENT
    )
    author_person_id = models.BigIntegerField(
        null=True, blank=True
    )  # who entered it (holder or representative)
    author_service = models.CharField(max_length=200, blank=True)  # the connected service's name
    reminder_offsets = models.JSONField(default=list)  # ReminderOffset values, minutes before starts_at
    ics_uid = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["patient_id", "starts_at"], name="agenda_appt_patient_start"),
            models.Index(fields=["status", "starts_at"], name="agenda_appt_status_start"),
            models.Index(fields=["patient_id", "ics_uid"], name="agenda_appt_patient_uid"),
        ]

    def __str__(self) -> str:  # no health data
        return f"Appointment {self.public_id}"


class FreeReminder(models.Model):
    """R-AG-2 ``Reminder{title, date, comment}``: a note the patient wants to be reminded of at ``remind_at``."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient_id = models.BigIntegerField()
    title = SealedTextField()  # ADR 0008 (≤ 200, services)
    remind_at = models.DateTimeField()
    comment = SealedTextField()
    notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["patient_id", "remind_at"], name="agenda_rem_patient_at"),
            models.Index(fields=["notified_at", "remind_at"], name="agenda_rem_due"),
        ]

    def __str__(self) -> str:
        return f"FreeReminder {self.public_id}"


class CalendarFeed(models.Model):
    """The patient's private iCalendar subscription: only a SHA-256 of its random token is stored.

    One row per patient; regenerating replaces the hash, which revokes the old URL.
    """

    patient_id = models.BigIntegerField(unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:  # never the token
        return f"CalendarFeed of patient {self.patient_id}"


# prevention models are imported below by the prevention package
from .prevention.models import *  # noqa: E402, F403
