"""State of the medical profile's sections (SPEC §4, R-PML-1..4).

Every row is owned by one patient (``patient_id`` = the holder's ``identity.Person`` pk, invariant 8), is
reached in URLs by its ``public_id`` only, and records who created and last changed it (actor id, kind and
the label shown in the history: ``created_by_*`` / ``updated_by_*``).

Shapes follow the MES GraphQL models (``TreatmentModel``, ``AllergyModel``, ``DiseaseModel``,
``HospitalizationModel``, ``FamilyHistoryModel``, ``EmergencyContactModel``...), so the FHIR mapping
(AllergyIntolerance, MedicationStatement, Condition, Procedure/Encounter, FamilyMemberHistory,
RelatedPerson) is direct:

* dates the patient may only partly remember are *partial dates*: ``<prefix>_year`` (mandatory where the
  SPEC says so), ``<prefix>_month`` and ``<prefix>_day`` (optional; a day needs a month). Use
  ``PartialDate`` to read them;
* links to record documents are stored as the documents' public ids (``linked_documents``, a JSON list of
  UUID strings). Records emits nothing when a patient deletes an upload: dead links are filtered at read time
  by the selectors, through the records selector (so only documents the reader may see are shown);
* links to treatments are ordinary many-to-many relations within the same patient (checked by services).

Validation (lengths of R-PML-3, dates not in the future, end ≥ start...) lives in ``services.py``; the
model constraints here are the last line of defence only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from django.db import models
from django.utils.translation import gettext_lazy as _

from carnet.vault.sealing import SealedTextField

NAME_MAX = 100  # R-PML-3: names 50–100 characters
COMMENT_MAX = 3000  # R-PML-3
POSOLOGY_MAX = 1000  # SPEC §4 TreatmentModel
HELP_MAX = 1000  # [I] disability technical/human help descriptions


@dataclass(frozen=True)
class PartialDate:
    """A date of which only the year may be known (MES start/end day/month/year)."""

    year: int | None
    month: int | None = None
    day: int | None = None

    @property
    def is_empty(self) -> bool:
        return self.year is None

    def earliest(self) -> date | None:
        """The first day it may designate (for comparisons)."""
        if self.year is None:
            return None
        return date(self.year, self.month or 1, self.day or 1)

    def latest(self) -> date | None:
        """The last day it may designate (for "not in the future" and end ≥ start)."""
        import calendar

        if self.year is None:
            return None
        month = self.month or 12
        day = self.day or calendar.monthrange(self.year, month)[1]
        return date(self.year, month, day)

    def __str__(self) -> str:
        if self.year is None:
            return ""
        if self.month is None:
            return f"{self.year}"
        if self.day is None:
            return f"{self.month:02d}/{self.year}"
        return f"{self.day:02d}/{self.month:02d}/{self.year}"


class ProfileRow(models.Model):
    """Common columns of every profile row."""

    patient_id = models.BigIntegerField(db_index=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    created_by_id = models.CharField(max_length=64)
    created_by_kind = models.CharField(max_length=24)
    created_by_label = models.CharField(max_length=150, blank=True)
    updated_by_id = models.CharField(max_length=64)
    updated_by_kind = models.CharField(max_length=24)
    updated_by_label = models.CharField(max_length=150, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:  # never the content: __str__ ends up in logs
        return f"{type(self).__name__} {self.public_id}"


# --------------------------------------------------------------------------------------------------
# Health questionnaire (not shared directly with professionals, R-PML-1)


class Treatment(ProfileRow):
    """Traitement (SPEC §4 ``TreatmentModel``): start year mandatory; FHIR MedicationStatement."""

    name = SealedTextField()  # ADR 0008 (≤ NAME_MAX characters, checked by the services)
    comment = SealedTextField()  # ≤ COMMENT_MAX
    posology = SealedTextField()  # ≤ POSOLOGY_MAX
    start_year = models.PositiveSmallIntegerField()
    start_month = models.PositiveSmallIntegerField(null=True, blank=True)
    start_day = models.PositiveSmallIntegerField(null=True, blank=True)
    end_year = models.PositiveSmallIntegerField(null=True, blank=True)
    end_month = models.PositiveSmallIntegerField(null=True, blank=True)
    end_day = models.PositiveSmallIntegerField(null=True, blank=True)
    linked_documents = models.JSONField(default=list, blank=True)  # e.g. the prescription

    class Meta:
        indexes = [models.Index(fields=["patient_id", "start_year"])]

    @property
    def start(self) -> PartialDate:
        return PartialDate(self.start_year, self.start_month, self.start_day)

    @property
    def end(self) -> PartialDate:
        return PartialDate(self.end_year, self.end_month, self.end_day)


class Allergy(ProfileRow):
    """Allergie (``AllergyModel``); FHIR AllergyIntolerance."""

    name = SealedTextField()  # ADR 0008 (≤ NAME_MAX characters, checked by the services)
    comment = SealedTextField()  # ≤ COMMENT_MAX
    linked_treatments = models.ManyToManyField(Treatment, blank=True, related_name="allergies")


class Disease(ProfileRow):
    """Maladie ou sujet de santé (``DiseaseModel``); FHIR Condition."""

    name = SealedTextField()  # ADR 0008 (≤ NAME_MAX characters, checked by the services)
    comment = SealedTextField()  # ≤ COMMENT_MAX
    start_year = models.PositiveSmallIntegerField(null=True, blank=True)
    start_month = models.PositiveSmallIntegerField(null=True, blank=True)
    start_day = models.PositiveSmallIntegerField(null=True, blank=True)
    end_year = models.PositiveSmallIntegerField(null=True, blank=True)
    end_month = models.PositiveSmallIntegerField(null=True, blank=True)
    end_day = models.PositiveSmallIntegerField(null=True, blank=True)
    linked_documents = models.JSONField(default=list, blank=True)  # e.g. its reports
    linked_treatments = models.ManyToManyField(Treatment, blank=True, related_name="diseases")

    @property
    def start(self) -> PartialDate:
        return PartialDate(self.start_year, self.start_month, self.start_day)

    @property
    def end(self) -> PartialDate:
        return PartialDate(self.end_year, self.end_month, self.end_day)


class DurationUnit(models.TextChoices):
    DAY = "DAY", _("jour(s)")
    WEEK = "WEEK", _("semaine(s)")
    MONTH = "MONTH", _("mois")
    YEAR = "YEAR", _("année(s)")


class Hospitalisation(ProfileRow):
    """Hospitalisation ou acte chirurgical (``HospitalizationModel``); FHIR Encounter / Procedure."""

    name = SealedTextField()  # ADR 0008 (≤ NAME_MAX characters, checked by the services)
    start_year = models.PositiveSmallIntegerField()
    start_month = models.PositiveSmallIntegerField(null=True, blank=True)
    start_day = models.PositiveSmallIntegerField(null=True, blank=True)
    duration = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_unit = models.CharField(max_length=8, choices=DurationUnit.choices, blank=True)
    linked_documents = models.JSONField(default=list, blank=True)

    @property
    def start(self) -> PartialDate:
        return PartialDate(self.start_year, self.start_month, self.start_day)


class FamilyRelationship(models.TextChoices):
    """SPEC §4 ``familyRelationship``."""

    MOTHER = "MOTHER", _("Mère")
    FATHER = "FATHER", _("Père")
    GRANDMOTHER = "GRANDMOTHER", _("Grand-mère")
    GRANDFATHER = "GRANDFATHER", _("Grand-père")
    SISTER = "SISTER", _("Sœur")
    BROTHER = "BROTHER", _("Frère")
    GREAT_GRANDMOTHER = "GREAT_GRANDMOTHER", _("Arrière-grand-mère")
    GREAT_GRANDFATHER = "GREAT_GRANDFATHER", _("Arrière-grand-père")
    AUNT = "AUNT", _("Tante")
    UNCLE = "UNCLE", _("Oncle")
    OTHER = "OTHER", _("Autre")


class FamilyHistory(ProfileRow):
    """Antécédent familial (``FamilyHistoryModel``); FHIR FamilyMemberHistory."""

    name = SealedTextField()  # ADR 0008 (≤ NAME_MAX characters, checked by the services)
    comment = SealedTextField()  # ≤ COMMENT_MAX
    relationship = models.CharField(max_length=24, choices=FamilyRelationship.choices)


class DisabilityKind(models.TextChoices):
    SENSORY = "SENSORY", _("Sensoriel")
    NEURO_DEVELOPMENTAL_DISORDER = "NEURO_DEVELOPMENTAL_DISORDER", _("Trouble du neuro-développement")
    PSYCHIC = "PSYCHIC", _("Psychique")
    ENGINE = "ENGINE", _("Moteur")
    POLY_DISABILITY = "POLY_DISABILITY", _("Polyhandicap")
    DISABLING_DISEASES = "DISABLING_DISEASES", _("Maladie invalidante")
    OTHERS = "OTHERS", _("Autre")


class DisabilityRate(models.TextChoices):
    BELOW_50 = "BELOW_50", _("Moins de 50 %")
    FROM_50_TO_79 = "FROM_50_TO_79", _("De 50 à 79 %")
    FROM_80 = "FROM_80", _("Au moins 80 %")
    UNKNOWN = "UNKNOWN", _("Je ne sais pas")


class Disability(ProfileRow):
    """Handicap (SPEC §4): one row per kind of disability, with its rate band and the help received."""

    kind = models.CharField(max_length=32, choices=DisabilityKind.choices)
    rate = models.CharField(max_length=16, choices=DisabilityRate.choices, default=DisabilityRate.UNKNOWN)
    technical_help = SealedTextField()  # ≤ HELP_MAX
    human_help = SealedTextField()  # ≤ HELP_MAX
    comment = SealedTextField()  # ≤ COMMENT_MAX


class BloodGroupValue(models.TextChoices):
    A_POS = "A+", "A+"
    A_NEG = "A-", "A−"
    B_POS = "B+", "B+"
    B_NEG = "B-", "B−"
    AB_POS = "AB+", "AB+"
    AB_NEG = "AB-", "AB−"
    O_POS = "O+", "O+"
    O_NEG = "O-", "O−"


class BloodGroup(ProfileRow):
    """Groupe sanguin: at most one per patient."""

    group = models.CharField(max_length=3, choices=BloodGroupValue.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["patient_id"], name="profile_one_blood_group")]


class LifestyleSection(models.TextChoices):
    FOOD = "FOOD", _("Alimentation")
    PHYSICAL_ACTIVITY = "PHYSICAL_ACTIVITY", _("Activité physique")
    SLEEP = "SLEEP", _("Sommeil")
    SCREEN = "SCREEN", _("Écrans")
    ALCOHOL = "ALCOHOL", _("Alcool")
    TOBACCO = "TOBACCO", _("Tabac")


class Lifestyle(ProfileRow):
    """Habitude de vie: one row per (patient, section), a structured ``choice`` (see
    ``services.LIFESTYLE_CHOICES``) and a comment. Age limits per section: ``services.LIFESTYLE_MIN_AGE``."""

    section = models.CharField(max_length=20, choices=LifestyleSection.choices)
    choice = models.CharField(max_length=32)
    comment = SealedTextField()  # ≤ COMMENT_MAX

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient_id", "section"], name="profile_one_lifestyle_per_section"
            )
        ]


class NotConcernedSection(models.TextChoices):
    """R-PML-2: sections with a "je ne suis pas concerné" flag."""

    ALLERGIES = "ALLERGIES", _("Allergies")
    TREATMENTS = "TREATMENTS", _("Traitements")
    FAMILY_HISTORIES = "FAMILY_HISTORIES", _("Antécédents familiaux")
    HOSPITALIZATIONS = "HOSPITALIZATIONS", _("Hospitalisations et actes chirurgicaux")
    DISEASES = "DISEASES", _("Maladies et sujets de santé")
    DISABILITIES = "DISABILITIES", _("Handicaps")


class NotConcerned(ProfileRow):
    """R-PML-2: the holder's side said "je ne suis pas concerné" for a section. Refused while the section
    has items; adding an item removes the flag (``services``)."""

    section = models.CharField(max_length=20, choices=NotConcernedSection.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient_id", "section"], name="profile_one_not_concerned_flag")
        ]


# --------------------------------------------------------------------------------------------------
# Entourage et volontés (shared with authorised professionals, R-PML-1, R-PML-4)


class ContactRelationship(models.TextChoices):
    """SPEC §4 ``EmergencyContactModel`` relation."""

    MOTHER = "MOTHER", _("Mère")
    FATHER = "FATHER", _("Père")
    CHILD = "CHILD", _("Enfant")
    SPOUSE = "SPOUSE", _("Conjoint(e)")
    TUTEUR = "TUTEUR", _("Tuteur ou tutrice")
    OTHER = "OTHER", _("Autre")


class ContactFields(ProfileRow):
    name = SealedTextField()  # ADR 0008 (≤ NAME_MAX characters, checked by the services)
    relationship = models.CharField(max_length=12, choices=ContactRelationship.choices)
    phone = SealedTextField()  # a third person's contact data: sealed too (≤ 20)
    email = SealedTextField()  # ≤ 254
    comment = SealedTextField()  # ≤ COMMENT_MAX

    class Meta:
        abstract = True


class EmergencyContact(ContactFields):
    """Personne à prévenir en cas d'urgence (``EMERGENCY_CONTACT``), several per patient."""


class TrustedPerson(ContactFields):
    """Personne de confiance (``TRUSTED_CONTACT``, CSP L1111-6, R-PML-4): at most one per patient.
    ``designated_on`` is the date of the written designation."""

    designated_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["patient_id"], name="profile_one_trusted_person")]


class OrganDonationStatement(ProfileRow):
    """R-PML-4: "J'ai pris connaissance des dispositions relatives au don d'organes" and its date. MES
    records only this acknowledgement, never a refusal (which goes to the Registre national des refus of
    the Agence de la biomédecine). No row = not acknowledged."""

    acknowledged_on = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["patient_id"], name="profile_one_organ_statement")]


class DirectivesSource(models.TextChoices):
    FORM_HEALTHY = "FORM_HEALTHY", _("Formulaire « en bonne santé »")
    FORM_END_OF_LIFE = "FORM_END_OF_LIFE", _("Formulaire « fin de vie »")
    UPLOAD = "UPLOAD", _("Document ajouté")


class AdvanceDirectives(ProfileRow):
    """Directives anticipées (CSP L1111-11, R-PML-4): the current EXPPAT_3 document of the record, either
    generated from a guided form or uploaded. At most one per patient; replacing deletes the previous
    document (SPEC §4). The form's answers are not kept here: they live only in the encrypted PDF."""

    source = models.CharField(max_length=20, choices=DirectivesSource.choices)
    document_public_id = models.UUIDField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["patient_id"], name="profile_one_advance_directives")]
