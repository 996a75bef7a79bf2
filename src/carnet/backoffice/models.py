"""Support requests handled by operators. They never hold medical content (the form says so and the
operator pages show only the category, the status and dates)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class SupportCategory(models.TextChoices):
    ACTIVATION = "ACTIVATION", _("Activation du profil")
    LOGIN = "LOGIN", _("Connexion")
    OPPOSITION = "OPPOSITION", _("Opposition")
    CLOSURE = "CLOSURE", _("Clôture ou suppression")
    CONTACT_DATA = "CONTACT_DATA", _("Coordonnées")
    OTHER = "OTHER", _("Autre demande")


class SupportStatus(models.TextChoices):
    OPEN = "OPEN", _("Ouverte")
    IN_PROGRESS = "IN_PROGRESS", _("En cours")
    CLOSED = "CLOSED", _("Clôturée")


class SupportRequest(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(
        "identity.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.CharField(max_length=16, choices=SupportCategory.choices)
    contact_email = models.EmailField()
    status = models.CharField(max_length=16, choices=SupportStatus.choices, default=SupportStatus.OPEN)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # The operator who last changed the status, and when the request was closed (accountability).
    handled_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"], name="backoffice_support_status")]

    def __str__(self) -> str:  # never the e-mail: __str__ ends up in logs
        return f"SupportRequest {self.public_id} ({self.status})"

    @property
    def reference(self) -> str:
        """Short reference given to the requester (first block of the public id)."""
        return str(self.public_id).split("-")[0].upper()
