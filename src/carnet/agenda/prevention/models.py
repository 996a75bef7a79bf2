"""State of the prevention calendar (SPEC §6, R-AG-3, R-AG-4). Imported by ``carnet.agenda.models``.

Every row carries ``patient_id`` (ARCHITECTURE invariant 8). Items themselves are not stored: the
engine computes them from the rules; only what the patient chose and what was already sent is kept.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PreventionStatusChoice(models.TextChoices):
    """R-AG-4 ``statut``."""

    TO_PLAN = "TO_PLAN", _("À planifier")
    DONE = "DONE", _("Fait")
    NOT_DONE = "NOT_DONE", _("Non fait")
    NOT_SPECIFIED = "NOT_SPECIFIED", _("Non renseigné")


class PreventionKind(models.TextChoices):
    """Kinds a person can opt out of without justification (R-AG-3)."""

    VACCINATION = "VACCINATION", _("Vaccinations")
    CHILD_EXAM = "CHILD_EXAM", _("Examens obligatoires de l'enfant")
    DENTAL = "DENTAL", _("Examens dentaires M'T dents")
    SCREENING = "SCREENING", _("Dépistages organisés")
    CHECKUP = "CHECKUP", _("Bilans prévention")


class PreventionStatus(models.Model):
    """R-AG-4 ``updatePreventionStatus``: the status the patient (or his representative) set for one item."""

    patient_id = models.BigIntegerField()
    item_code = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=PreventionStatusChoice.choices)
    updated_at = models.DateTimeField()
    updated_by_kind = models.CharField(max_length=24)  # carnet.common.actors.ActorKind

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient_id", "item_code"], name="prevention_status_unique_item")
        ]

    def __str__(self) -> str:
        return f"PreventionStatus {self.pk} ({self.item_code}, {self.status})"


class PreventionOptOut(models.Model):
    """R-AG-3: the person does not want items (nor reminders) of this kind. No justification asked."""

    patient_id = models.BigIntegerField()
    kind = models.CharField(max_length=16, choices=PreventionKind.choices)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient_id", "kind"], name="prevention_optout_unique_kind")
        ]

    def __str__(self) -> str:
        return f"PreventionOptOut {self.pk} ({self.kind})"


class ReminderSent(models.Model):
    """One reminder per person, item and window, ever: the unique key makes the daily job idempotent."""

    patient_id = models.BigIntegerField()
    item_code = models.CharField(max_length=64)
    window_start = models.DateField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient_id", "item_code", "window_start"], name="prevention_reminder_unique"
            )
        ]

    def __str__(self) -> str:
        return f"ReminderSent {self.pk} ({self.item_code})"


class PreventionJobRun(models.Model):
    """Progress of the daily job for one day: committed after every batch, so a crashed run resumes
    after the last person it finished (``last_person_id``)."""

    run_date = models.DateField(unique=True)
    last_person_id = models.BigIntegerField(default=0)
    persons_processed = models.PositiveIntegerField(default=0)
    reminders_sent = models.PositiveIntegerField(default=0)
    batches = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"PreventionJobRun {self.run_date} (up to {self.last_person_id})"


__all__ = [
    "PreventionJobRun",
    "PreventionKind",
    "PreventionOptOut",
    "PreventionStatus",
    "PreventionStatusChoice",
    "ReminderSent",
]
