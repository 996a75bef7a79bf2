"""The identity registry: insured persons (INS), health professionals (RPPS) and organisations (FINESS)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    FEMALE = "F", _("Féminin")
    MALE = "M", _("Masculin")


class Person(models.Model):
    """An insured person, identified by his INS (R-ID-1, R-ID-2): matricule + OID + the five traits."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ins_matricule = models.CharField(max_length=15, unique=True)  # NIR or NIA, key included
    ins_oid = models.CharField(max_length=40)
    birth_name = models.CharField(max_length=100)
    first_names = models.CharField(max_length=200)  # birth first names, space-separated
    used_name = models.CharField(max_length=100, blank=True)
    birth_date = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    birth_place_cog = models.CharField(max_length=5)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    # R-LC-10: the carte Vitale serial, kept only as a keyed hash (see identity.services.vitale_hash).
    vitale_serial_hash = models.CharField(max_length=64, blank=True)
    # R-ID-4: the NIR under which a child is reimbursed (the parent's, "ouvrant droit").
    insured_under = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="dependants"
    )
    deceased_on = models.DateField(null=True, blank=True)  # R-LC-27
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:  # never the NIR: __str__ ends up in logs
        return f"Person {self.public_id}"

    @property
    def first_name(self) -> str:
        return self.first_names.split(" ")[0] if self.first_names else ""

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.used_name or self.birth_name}".strip()


class Organisation(models.Model):
    """A health establishment or practice, identified by FINESS."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    finess = models.CharField(max_length=9, unique=True)
    name = models.CharField(max_length=200)
    facility_type_code = models.CharField(max_length=10, blank=True)  # J02
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return self.name


class Professional(models.Model):
    """A health professional from the directory (RPPS), with profession (G15) and specialty codes."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    rpps = models.CharField(max_length=11, unique=True)
    last_name = models.CharField(max_length=100)
    first_name = models.CharField(max_length=100)
    profession_code = models.CharField(max_length=16)  # G15_10, G15_40, ...
    specialty_code = models.CharField(max_length=24, blank=True)  # G15_10/SM26, ...
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class PracticePlace(models.Model):
    professional = models.ForeignKey(Professional, on_delete=models.CASCADE, related_name="practice_places")
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.SET_NULL)
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["professional", "name", "address"], name="identity_practice_place_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.name
