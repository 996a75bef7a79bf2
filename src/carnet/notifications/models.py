"""The outbox (ARCHITECTURE invariant 5), preferences (R-NOT-1) and the in-app centre (R-NOT-3).

An ``OutboxMessage`` is written in the cause's transaction and delivered by a worker, at least once,
with an idempotency key handed to the channel so a redelivery after a crash is recognised downstream.
The attempt is recorded (``SENDING``, ``attempt_started_at``) before the channel is called, so a restarted
worker knows which messages may already have gone out.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "EMAIL", "E-mail"
    SMS = "SMS", "SMS"
    PUSH = "PUSH", "Web Push"  # ``address``: the public id of a PushSubscription (push.py)


class DeliveryState(models.TextChoices):
    """Life of an outbox row (docs/subsystems/notifications.md has the diagram)."""

    PENDING = "PENDING", _("En attente")
    SENDING = "SENDING", _("Envoi en cours")
    SENT = "SENT", _("Envoyé")
    RETRYING = "RETRYING", _("Nouvel essai prévu")
    FAILED = "FAILED", _("Échec définitif")
    CANCELLED = "CANCELLED", _("Annulé")


# States of a message not handed to its channel yet: the worker still has to deliver it, and it may still
# be cancelled or withdrawn.
DELIVERABLE_STATES = (DeliveryState.PENDING, DeliveryState.RETRYING)
# States a worker may claim: SENDING is an attempt in flight, or in doubt once its lease has expired (the
# worker died while the channel had the message).
CLAIMABLE_STATES = (*DELIVERABLE_STATES, DeliveryState.SENDING)


class OutboxMessage(models.Model):
    """One content-free message to deliver at least once. ``dedup_key`` makes re-enqueuing harmless.

    ``idempotency_key`` is passed to the channel (SMS gateway key); ``message_id`` is the e-mail's
    ``Message-ID`` header, generated once and stored, so every attempt carries the same one whatever the
    configuration says later. ``claim_token`` and ``claimed_until`` form the lease of the worker delivering
    it, so a second worker does not resend it while the first is mid-delivery. ``attempt_started_at`` is
    committed with the state ``SENDING`` just before the channel is called: a row still ``SENDING`` after
    its lease is an attempt whose outcome nobody knows.
    """

    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient_id = models.BigIntegerField(null=True, db_index=True)  # whose space it concerns (invariant 8)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    address = models.CharField(max_length=254)  # e-mail address or phone number
    template = models.CharField(max_length=64)
    params = models.JSONField(default=dict, blank=True)  # non-health parameters only (a code, a date)
    language = models.CharField(max_length=8, default="fr")
    dedup_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    message_id = models.CharField(max_length=255, blank=True, default="", db_default="")
    attempt_started_at = models.DateTimeField(null=True, blank=True)  # the last attempt handed to the channel
    next_attempt_at = models.DateTimeField(null=True, blank=True)  # None: as soon as possible
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)  # FAILED or CANCELLED
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)  # an exception class name: never content

    class Meta:
        indexes = [
            models.Index(fields=["sent_at", "created_at"], name="notif_outbox_pending"),
            models.Index(fields=["state", "next_attempt_at"], name="notif_outbox_due"),
        ]

    def __str__(self) -> str:  # no address: __str__ ends up in logs
        return f"OutboxMessage {self.pk} ({self.template}, {self.channel}, {self.state})"


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


class NotificationKind(models.TextChoices):
    """R-NOT-1 ``PreferenceNotificationEnum``: the e-mail notifications a person may switch off."""

    NEW_MESSAGE = "NEW_MESSAGE", _("Nouveau message")
    NEW_DOCUMENT = "NEW_DOCUMENT", _("Nouveau document")
    APPOINTMENT = "APPOINTMENT", _("Rendez-vous")
    SERVICE_ACTIVITY = "SERVICE_ACTIVITY", _("Activité des services connectés")
    SCREENING = "SCREENING", _("Dépistage")  # NOTIF_DEPISTAGE


class NotificationPreference(models.Model):
    """R-NOT-1: one row per person and kind that differs from the default (every kind on)."""

    person_id = models.BigIntegerField()  # the recipient (a Person); his own space's rows (invariant 8)
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    email_enabled = models.BooleanField(default=True)
    push_enabled = models.BooleanField(default=True, db_default=True)  # Web Push on the person's devices
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person_id", "kind"], name="notif_pref_unique_kind")]

    def __str__(self) -> str:
        return f"NotificationPreference {self.pk} ({self.kind}, {self.email_enabled}, {self.push_enabled})"


class PushSubscription(models.Model):
    """One device's Web Push subscription (docs/subsystems/push.md): where the browser's push service
    accepts messages for it, and the keys to encrypt them (RFC 8291).

    At most one per device (``accounts.Device``, a browser's login): deleted with its device, when the
    device is revoked or logged out (``accounts.services`` calls ``push.push_forget_device``), when the
    person unsubscribes, and when the push service answers 404/410 (the browser dropped it). ``endpoint``
    is a capability URL: it is never shown, logged or given to operators.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person_id = models.BigIntegerField(db_index=True)  # the recipient (a Person), like preferences
    device = models.OneToOneField(
        "accounts.Device", on_delete=models.CASCADE, related_name="push_subscription"
    )
    endpoint = models.URLField(max_length=1000)
    p256dh = models.CharField(max_length=120)  # the browser's P-256 public key, urlsafe base64
    auth = models.CharField(max_length=40)  # the 16-byte authentication secret, urlsafe base64
    created_at = models.DateTimeField()

    def __str__(self) -> str:  # never the endpoint
        return f"PushSubscription {self.public_id}"


class ResourceType(models.TextChoices):
    """R-NOT-3 ``ResourceType`` of the in-app notification centre (SERVICE and ACCOUNT are ours, [I])."""

    DOCUMENT = "DOCUMENT", _("Document")
    MESSAGERIE = "MESSAGERIE", _("Messagerie")
    PML_CVA = "PML_CVA", _("Vaccination")
    PML_DA = "PML_DA", _("Directives anticipées")
    PML_VDP = "PML_VDP", _("Volontés et droits du patient")
    AGENDA = "AGENDA", _("Agenda")
    RAPPEL_RDV_PREV = "RAPPEL_RDV_PREV", _("Rappel de prévention")
    PML_MESURE = "PML_MESURE", _("Mesure")
    COPIE_DOC_AJOUT_GLYCEMIE = "COPIE_DOC_AJOUT_GLYCEMIE", _("Glycémie")
    SERVICE = "SERVICE", _("Service connecté")
    ACCOUNT = "ACCOUNT", _("Mon profil")


class InAppNotification(models.Model):
    """One entry of a person's notification centre (R-NOT-3).

    ``titles`` holds the template's subject in every language (content-free by construction: subjects
    take no parameters); ``link`` is a path of this site. ``patient_id`` is the person who reads it.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient_id = models.BigIntegerField(db_index=True)
    kind = models.CharField(max_length=32, choices=ResourceType.choices)
    template = models.CharField(max_length=64)
    titles = models.JSONField(default=dict)
    link = models.CharField(max_length=200)
    dedup_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient_id", "read_at"], name="notif_inapp_unread")]

    def __str__(self) -> str:
        return f"InAppNotification {self.pk} ({self.kind})"

    def title(self, language: str) -> str:
        return str(self.titles.get(language) or self.titles.get("fr") or "")
