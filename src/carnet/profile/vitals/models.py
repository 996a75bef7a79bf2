"""Vaccinations and measurements of the medical profile (SPEC §4, R-PML-1).

Both are patient-owned rows (``patient_id`` = the holder's ``identity.Person`` pk, invariant 8), reached in
URLs by their ``public_id`` only. Who wrote a row is kept as the actor's kind, id and label (shown to the
patient, never health data) plus, for professionals, a foreign key used to check authorship:

* ``Vaccination`` follows the MES ``VaccineItemModel`` (effective time, vaccine name, lot ≤ 100, type of
  administration INITIMMUNIZ/BOOSTER/IMMUNIZ, route, site, performer, author, CIS code, ATC, pathologies,
  authoredByPatient) and maps to FHIR ``Immunization`` (vaccineCode = CIS/ATC/referential code,
  occurrenceDateTime = ``effective_date``, lotNumber, route/site = HL7 v3 RouteOfAdministration/ActSite
  codes stored here, protocolApplied.targetDisease = ``targets``, performer = ``performer_*``,
  recorder = ``author_*``, primarySource = ``not authored_by_patient``).
* ``Measurement`` follows the MES ``MeasureCode`` list and maps to FHIR ``Observation`` (vital-signs):
  the code's LOINC / UCUM come from ``data/measures.json`` (``referential.measure(code)``); a
  blood-pressure pair keeps the diastolic value in ``second_value``.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from carnet.vault.sealing import SealedTextField

NAME_MAX = 100  # R-PML-3 / VaccineItemModel.name
LOT_MAX = 100  # VaccineItemModel.lotNumber ≤ 100
COMMENT_MAX = 3000  # R-PML-3
MEASURE_COMMENT_MAX = 500  # [I]


class DoseType(models.TextChoices):
    """``typeOfAdministration`` of MES (SPEC §4)."""

    INITIMMUNIZ = "INITIMMUNIZ", _("Primo-vaccination")
    BOOSTER = "BOOSTER", _("Rappel")
    IMMUNIZ = "IMMUNIZ", _("Vaccination")


class Route(models.TextChoices):
    """HL7 v3 RouteOfAdministration codes (FHIR ``Immunization.route``)."""

    IM = "IM", _("Intramusculaire")
    SQ = "SQ", _("Sous-cutanée")
    IDINJ = "IDINJ", _("Intradermique")
    PO = "PO", _("Orale")
    NASINHLC = "NASINHLC", _("Nasale")


class Site(models.TextChoices):
    """HL7 v3 ActSite codes (FHIR ``Immunization.site``)."""

    LA = "LA", _("Bras gauche")
    RA = "RA", _("Bras droit")
    LD = "LD", _("Deltoïde gauche")
    RD = "RD", _("Deltoïde droit")
    LT = "LT", _("Cuisse gauche")
    RT = "RT", _("Cuisse droite")


class AuthoredRow(models.Model):
    """Who created and last changed the row (shown to the patient, R-PML-1 "shown with their author")."""

    patient_id = models.BigIntegerField(db_index=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    author_kind = models.CharField(max_length=24)  # carnet.common.actors.ActorKind
    author_id = models.CharField(max_length=64)  # the actor's public id (user, RPPS...)
    author_label = models.CharField(max_length=200, blank=True)
    # the patient-side person who wrote it (holder, legal representative, caregiver)
    author_person = models.ForeignKey(
        "identity.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_professional = models.ForeignKey(
        "identity.Professional", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author_organisation = models.ForeignKey(
        "identity.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    updated_by_kind = models.CharField(max_length=24, blank=True)
    updated_by_label = models.CharField(max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:  # never the content: __str__ ends up in logs
        return f"{type(self).__name__} {self.public_id}"


class Vaccination(AuthoredRow):
    """One vaccine dose given (SPEC §4 ``VaccineItemModel``); FHIR ``Immunization``."""

    effective_date = models.DateField()
    vaccine_code = models.CharField(max_length=32, blank=True)  # data/vaccines.json code, "" = free text
    vaccine_name = SealedTextField()  # ADR 0008 (≤ NAME_MAX, checked by the services)
    cis_code = models.CharField(max_length=8, blank=True)  # Code Identifiant de Spécialité (8 digits)
    atc_code = models.CharField(max_length=7, blank=True)
    lot_number = SealedTextField()  # ≤ LOT_MAX
    dose_type = models.CharField(max_length=12, choices=DoseType.choices, blank=True)
    route = models.CharField(max_length=10, choices=Route.choices, blank=True)
    site = models.CharField(max_length=4, choices=Site.choices, blank=True)
    performer_label = SealedTextField()  # free text when not a professional (≤ 200)
    performer_professional = models.ForeignKey(
        "identity.Professional", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    targets = models.JSONField(default=list, blank=True)  # disease codes of data/vaccines.json
    comment = SealedTextField()  # ≤ COMMENT_MAX
    authored_by_patient = models.BooleanField(default=True)

    class Meta:
        indexes = [models.Index(fields=["patient_id", "effective_date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(authored_by_patient=True)
                | models.Q(author_professional__isnull=False)
                | models.Q(author_organisation__isnull=False),
                name="vitals_vaccination_professional_author",
            )
        ]


class Measurement(AuthoredRow):
    """One measure (SPEC §4 ``MeasureCode``); FHIR ``Observation`` (vital signs)."""

    code = models.CharField(max_length=32)  # data/measures.json code
    value = models.DecimalField(max_digits=12, decimal_places=3)
    second_value = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)  # diastolic
    unit = models.CharField(max_length=16)  # UCUM, copied from the referential at entry
    measured_at = models.DateTimeField()
    computed = models.BooleanField(default=False)  # BMI computed from weight and height
    comment = SealedTextField()  # ≤ MEASURE_COMMENT_MAX

    class Meta:
        indexes = [models.Index(fields=["patient_id", "code", "measured_at"])]
