"""The state the access policy decides over (SPEC §3): consents, roles and blocks, emergency settings,
break-the-glass sessions, temporary access codes, and professionals' emergency qualifications.

Design (documented in ``docs/subsystems/records.md``):

* ``CareRelation`` — one row per authorisation of a professional (or an establishment) by the patient:
  care team (R-AC-11), explicit (R-AC-12/14), temporary through a one-time code (R-AC-16), or declared by
  the patient himself (R-AC-15). Ending a relation sets ``ended_at``; rows are never deleted (history).
* ``ProfessionalStanding`` — per (patient, professional or establishment): the roles the patient gave
  (médecin traitant, administrateur: R-AC-15, R-MASK-2), the block (R-BLK-1..3) and the first access
  (R-AC-14, the "premier accès" e-mail is sent once).
* ``EmergencySettings`` — the three emergency consents (R-EM-4); no row means the defaults (R-EM-5).
* ``BreakGlassSession`` — an emergency access with its written reason (R-EM-6) and expiry.
* ``TemporaryAccessCode`` — the patient's one-time code for a professional (R-AC-16), hashed.
* ``ProfessionalQualification`` — not patient-owned: whether a professional is a SAMU regulator
  (R-EM-2) or an occupational doctor (R-AC-2); set by operators from the directory.

Every patient-owned row carries ``patient_id`` (the holder's person id, invariant 8).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carnet.vault.sealing import SealedTextField


class RelationKind(models.TextChoices):
    CARE_TEAM = "CARE_TEAM", _("Équipe de soins")
    EXPLICIT = "EXPLICIT", _("Consentement explicite")
    TEMPORARY = "TEMPORARY", _("Accès temporaire")
    DECLARED_BY_PATIENT = "DECLARED_BY_PATIENT", _("Déclaré par l'usager")


_ONE_SUBJECT = Q(professional__isnull=False, organisation__isnull=True) | Q(
    professional__isnull=True, organisation__isnull=False
)


class CareRelation(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient_id = models.BigIntegerField()
    professional = models.ForeignKey(
        "identity.Professional", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "identity.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=24, choices=RelationKind.choices)
    started_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)  # TEMPORARY only (R-AC-16)
    ended_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.CharField(max_length=64)  # actor id

    class Meta:
        indexes = [models.Index(fields=["patient_id", "ended_at"], name="access_relation_patient")]
        constraints = [
            models.CheckConstraint(condition=_ONE_SUBJECT, name="access_relation_one_subject"),
            models.CheckConstraint(
                condition=~Q(kind="TEMPORARY") | Q(expires_at__isnull=False),
                name="access_relation_temporary_expires",
            ),
        ]

    def __str__(self) -> str:
        return f"CareRelation {self.public_id} ({self.kind})"


class ProfessionalStanding(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient_id = models.BigIntegerField()
    professional = models.ForeignKey(
        "identity.Professional", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "identity.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_medecin_traitant = models.BooleanField(default=False)  # R-AC-15
    is_administrator = models.BooleanField(default=False)  # R-MASK-2, R-BLK-3
    blocked_at = models.DateTimeField(null=True, blank=True)  # R-BLK-1
    blocked_by = models.CharField(max_length=64, blank=True)  # actor id
    first_access_at = models.DateTimeField(null=True, blank=True)  # R-AC-14
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["patient_id"], name="access_standing_patient")]
        constraints = [
            models.CheckConstraint(condition=_ONE_SUBJECT, name="access_standing_one_subject"),
            models.UniqueConstraint(
                fields=["patient_id", "professional"],
                condition=Q(professional__isnull=False),
                name="access_standing_pro_uniq",
            ),
            models.UniqueConstraint(
                fields=["patient_id", "organisation"],
                condition=Q(organisation__isnull=False),
                name="access_standing_org_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"ProfessionalStanding {self.public_id}"


class EmergencyChoice(models.TextChoices):
    PERMIT = "permit", _("Autorisé")
    DENY = "deny", _("Refusé")


class EmergencySettings(models.Model):
    """R-EM-4; defaults R-EM-5 (SAMU and BTG permit by law, MASKED deny [I])."""

    patient_id = models.BigIntegerField(unique=True)
    etreat = models.CharField(max_length=8, choices=EmergencyChoice.choices, default=EmergencyChoice.PERMIT)
    btg = models.CharField(max_length=8, choices=EmergencyChoice.choices, default=EmergencyChoice.PERMIT)
    masked = models.CharField(max_length=8, choices=EmergencyChoice.choices, default=EmergencyChoice.DENY)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"EmergencySettings of patient {self.patient_id}"


class EmergencyMode(models.TextChoices):
    BTG = "BTG", _("Bris de glace")
    SAMU = "SAMU", _("Régulation SAMU")


class BreakGlassSession(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient_id = models.BigIntegerField()
    professional = models.ForeignKey("identity.Professional", on_delete=models.PROTECT, related_name="+")
    mode = models.CharField(max_length=8, choices=EmergencyMode.choices)
    reason = SealedTextField()  # the written justification (R-EM-6), sealed (ADR 0008); never in e-mails
    started_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient_id", "professional", "ended_at"], name="access_btg_patient")]
        constraints = [
            models.CheckConstraint(condition=~Q(mode="BTG") | ~Q(reason=""), name="access_btg_reason")
        ]

    def __str__(self) -> str:
        return f"BreakGlassSession {self.public_id} ({self.mode})"


class TemporaryAccessCode(models.Model):
    """R-AC-16: a one-time code the patient gives a professional; only its keyed hash is stored."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient_id = models.BigIntegerField(db_index=True)
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        "identity.Professional", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:  # never the code or its hash
        return f"TemporaryAccessCode {self.public_id}"


class ProfessionalQualification(models.Model):
    """Professional-side facts the directory does not carry (not patient data)."""

    professional = models.OneToOneField(
        "identity.Professional", on_delete=models.CASCADE, related_name="access_qualification"
    )
    is_samu_regulator = models.BooleanField(default=False)  # médecin régulateur of a centre 15 (R-EM-2)
    is_occupational_doctor = models.BooleanField(
        default=False
    )  # médecin du travail / sapeurs-pompiers (R-AC-2)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"ProfessionalQualification of {self.professional_id}"
