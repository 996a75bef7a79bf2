"""The outbox (ARCHITECTURE invariant 5): written in the cause's transaction, delivered by a worker."""

from __future__ import annotations

from django.db import models


class Channel(models.TextChoices):
    EMAIL = "EMAIL", "E-mail"
    SMS = "SMS", "SMS"


class OutboxMessage(models.Model):
    """One content-free message to deliver at least once. ``dedup_key`` makes re-enqueuing harmless."""

    patient_id = models.BigIntegerField(null=True, db_index=True)  # whose space it concerns (invariant 8)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    address = models.CharField(max_length=254)  # e-mail address or phone number
    template = models.CharField(max_length=64)
    params = models.JSONField(default=dict, blank=True)  # non-health parameters only (a code, a date)
    language = models.CharField(max_length=8, default="fr")
    dedup_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["sent_at", "created_at"], name="notif_outbox_pending")]

    def __str__(self) -> str:  # no address: __str__ ends up in logs
        return f"OutboxMessage {self.pk} ({self.template}, {self.channel})"


class DeliveredMessage(models.Model):
    """What the local channels "sent": the demo's mailbox and SMS phone (shown on /demo/outbox/)."""

    outbox = models.OneToOneField(OutboxMessage, on_delete=models.CASCADE, related_name="delivery")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    address = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    delivered_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"DeliveredMessage {self.pk}"
