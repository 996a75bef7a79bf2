"""Login accounts. A patient account belongs to a Person; a professional account to a Professional."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from carnet.common.roles import Role


class OtpChannel(models.TextChoices):
    EMAIL = "EMAIL", _("E-mail")
    SMS = "SMS", _("SMS")


class User(AbstractUser):
    """``username`` is the "identifiant" of R-LC-11. Names and e-mail live on Person/Professional."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    role = models.CharField(max_length=16, choices=Role.choices)
    person = models.OneToOneField(
        "identity.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="account"
    )
    professional = models.OneToOneField(
        "identity.Professional", null=True, blank=True, on_delete=models.PROTECT, related_name="account"
    )
    otp_channel = models.CharField(max_length=8, choices=OtpChannel.choices, default=OtpChannel.EMAIL)
    # TOTP secret for professionals and operators, encrypted with the master key (accounts.crypto).
    totp_secret_encrypted = models.CharField(max_length=200, blank=True)
    totp_confirmed = models.BooleanField(default=False)
    # Time step of the last accepted TOTP code: the same code is never accepted twice (replay).
    totp_last_step = models.BigIntegerField(null=True, blank=True)
    failed_logins = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    preferred_language = models.CharField(max_length=8, default="fr")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="PATIENT") | models.Q(person__isnull=False),
                name="accounts_patient_has_person",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="PROFESSIONAL") | models.Q(professional__isnull=False),
                name="accounts_professional_has_professional",
            ),
        ]


class LoginChallenge(models.Model):
    """The second factor of one login attempt: a one-time code (patients) or a TOTP step (others)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_challenges")
    channel = models.CharField(max_length=8)  # EMAIL, SMS or TOTP
    code_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="accounts_challenge_user_at")]

    def __str__(self) -> str:  # never the code (only its hash is stored anyway)
        return f"LoginChallenge {self.public_id} ({self.channel})"


class Device(models.Model):
    """A browser enrolled by a completed login (R-LC-12): listed and revocable by its owner."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="devices")
    label = models.CharField(max_length=120)  # "Firefox sur Linux", from the user agent
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)  # revoked by its owner (R-LC-12)
    ended_at = models.DateTimeField(null=True, blank=True)  # its session ended by a logout

    def __str__(self) -> str:  # never the session key
        return f"Device {self.public_id} ({self.label})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.ended_at is None
