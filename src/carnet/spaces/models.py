"""The health space and its lifecycle (SPEC §1.2–1.5, state machine of R-LC-28)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class SpaceStatus(models.TextChoices):
    INFORMED = "INFORMED", _("Information envoyée")
    OPEN_NOT_ACTIVATED = "OPEN_NOT_ACTIVATED", _("Ouvert, non activé")
    ACTIVATED = "ACTIVATED", _("Activé")
    OPPOSED = "OPPOSED", _("Opposition enregistrée")
    CLOSED = "CLOSED", _("Clôturé")
    SUSPENDED = "SUSPENDED", _("Suspendu")
    DELETED = "DELETED", _("Supprimé")


#: The reason of the last status change (``HealthSpace.motif``, R-LC-28) as the back-office shows it: the
#: stored value is a code (services.py, erasure.py, the suspension form), never shown as such.
MOTIF_LABELS = {
    "INFORMATION_SENT": _("Information envoyée par l'Assurance Maladie"),
    "OUVERTURE_AUTO": _("Ouverture automatique après le délai d'opposition"),
    "ACTIVATION": _("Activation par le titulaire"),
    "OPPOSITION": _("Opposition du titulaire"),
    "CLOTURE": _("Clôture demandée par le titulaire"),
    "REOUVERTURE": _("Réouverture demandée par le titulaire"),
    "FRAUD": _("Suspension pour fraude"),
    "MALFUNCTION": _("Suspension pour dysfonctionnement grave"),
    "CONTESTATION": _("Suspension contestée par le titulaire"),
    "LEVEE": _("Suspension levée"),
    "SUSPENSION_SANS_CONTESTATION": _("Clôture après une suspension non contestée"),
    "DECES": _("Décès du titulaire"),
    "MAJORITE": _("Passage à la majorité"),
    "SUPPRESSION_DEMANDEE": _("Suppression demandée par le titulaire"),
    "FIN_ARCHIVAGE": _("Fin de la durée d'archivage"),
    "FIN_ARCHIVAGE_OPPOSITION": _("Fin de la conservation après une opposition"),
}
OTHER_MOTIF = _("Autre motif")


class DeletionStatus(models.TextChoices):
    NONE = "", _("Aucune")
    REQUESTED = "REQUESTED", _("Demande de suppression des données en cours")
    CANCELLED = "CANCELLED", _("Demande de suppression annulée")
    DONE = "DONE", _("Données supprimées")


class HealthSpace(models.Model):
    """One per person. ``patient_id`` is the person's id (invariant 8: every patient-owned row has it)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.OneToOneField("identity.Person", on_delete=models.PROTECT, related_name="space")
    status = models.CharField(max_length=24, choices=SpaceStatus.choices)
    motif = models.CharField(max_length=64, blank=True)  # R-LC-28: reason of the last status change
    status_changed_at = models.DateTimeField()
    status_before_suspension = models.CharField(max_length=24, blank=True)
    created_at = models.DateTimeField()
    informed_at = models.DateTimeField(null=True, blank=True)
    opening_due_at = models.DateTimeField(null=True, blank=True)  # informed_at + 6 weeks (R-LC-3)
    opened_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    cgu_accepted_at = models.DateTimeField(null=True, blank=True)  # R-LC-13
    opposed_at = models.DateTimeField(null=True, blank=True)
    opposition_reference = models.CharField(max_length=20, blank=True)  # printed on the proof (R-LC-5)
    closed_at = models.DateTimeField(null=True, blank=True)
    archived_until = models.DateTimeField(null=True, blank=True)  # closed_at + 10 years (R-LC-21)
    deletion_status = models.CharField(max_length=16, choices=DeletionStatus.choices, blank=True, default="")
    deletion_requested_at = models.DateTimeField(null=True, blank=True)
    deletion_due_at = models.DateTimeField(null=True, blank=True)  # ≤ 3 months (R-LC-22)
    deleted_at = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_closes_at = models.DateTimeField(null=True, blank=True)  # + 6 weeks (R-LC-24)
    deceased_at = models.DateTimeField(null=True, blank=True)  # R-LC-27
    majority_handled_at = models.DateTimeField(null=True, blank=True)  # R-MIN-7
    # Emergency settings (SPEC §3.5), edited by the record issue; kept here as the space's settings.
    mask_all_by_default = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["status", "opening_due_at"], name="spaces_due_opening"),
            models.Index(fields=["status", "deletion_due_at"], name="spaces_due_deletion"),
            models.Index(fields=["status", "archived_until"], name="spaces_due_purge"),
            models.Index(fields=["status", "suspension_closes_at"], name="spaces_due_suspension"),
            models.Index(fields=["majority_handled_at"], name="spaces_due_majority"),
        ]

    def __str__(self) -> str:
        return f"HealthSpace {self.public_id} ({self.status})"

    @property
    def motif_label(self) -> str:
        """The motif in words ("" when there is none): never the stored code."""
        if not self.motif:
            return ""
        return str(MOTIF_LABELS.get(self.motif, OTHER_MOTIF))

    @property
    def patient_id(self) -> int:
        return self.person_id


class ProvisionalCode(models.Model):
    """R-LC-4: a 12-character code valid 6 weeks; only its keyed hash is stored."""

    space = models.ForeignKey(HealthSpace, on_delete=models.CASCADE, related_name="provisional_codes")
    patient_id = models.BigIntegerField(db_index=True)
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:  # never the code or its hash
        return f"ProvisionalCode {self.pk} of patient {self.patient_id}"


class ExportStatus(models.TextChoices):
    PENDING = "PENDING", _("En préparation")
    READY = "READY", _("Disponible")
    FAILED = "FAILED", _("Échec")
    EXPIRED = "EXPIRED", _("Expiré")


class ExportRequest(models.Model):
    """R-LC-25: an asynchronous export of all the space's data; the archive is an encrypted blob."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    space = models.ForeignKey(HealthSpace, on_delete=models.CASCADE, related_name="exports")
    patient_id = models.BigIntegerField(db_index=True)
    requested_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=12, choices=ExportStatus.choices, default=ExportStatus.PENDING)
    created_at = models.DateTimeField()
    available_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    blob = models.ForeignKey(
        "records.Blob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    size = models.PositiveBigIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)  # an exception class name, never content

    class Meta:
        indexes = [models.Index(fields=["status", "expires_at"], name="spaces_export_due")]

    def __str__(self) -> str:
        return f"ExportRequest {self.public_id} ({self.status})"


class DelegationKind(models.TextChoices):
    LEGAL_REPRESENTATION = "LEGAL_REPRESENTATION", _("Représentant légal")
    CAREGIVING = "CAREGIVING", _("Proche aidant")


class DelegationStatus(models.TextChoices):
    PENDING = "PENDING", _("Invitation en attente")
    ACCEPTED = "ACCEPTED", _("Active")
    REFUSED = "REFUSED", _("Refusée")
    EXPIRED = "EXPIRED", _("Expirée")
    REVOKED = "REVOKED", _("Révoquée")
    ENDED = "ENDED", _("Terminée")


class Delegation(models.Model):
    """R-DEL-1/2, R-MIN-1: someone acting for the holder (a minor's legal representative, a caregiver).

    ``subject`` is the person whose space is acted on (the minor, the helped person): his id is the
    ``patient_id``. ``delegate`` is the person who acts.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=24, choices=DelegationKind.choices)
    subject = models.ForeignKey(
        "identity.Person", on_delete=models.CASCADE, related_name="delegations_received"
    )
    patient_id = models.BigIntegerField(db_index=True)
    delegate = models.ForeignKey(
        "identity.Person", on_delete=models.CASCADE, related_name="delegations_given"
    )
    status = models.CharField(max_length=12, choices=DelegationStatus.choices)
    is_primary = models.BooleanField(default=False)  # the representative the child is attached to (R-MIN-1)
    invited_by = models.ForeignKey(
        "identity.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)  # of a pending invitation
    start_date = models.DateTimeField(null=True, blank=True)
    end_date = models.DateTimeField(null=True, blank=True)
    attestation_blob = models.ForeignKey(
        "records.Blob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["delegate", "kind", "status"], name="spaces_deleg_delegate"),
            models.Index(fields=["subject", "kind", "status"], name="spaces_deleg_subject"),
            models.Index(fields=["status", "expires_at"], name="spaces_deleg_due"),
        ]

    def __str__(self) -> str:
        return f"Delegation {self.public_id} ({self.kind}, {self.status})"


class ErasureNotice(models.TextChoices):
    """Where the certificate's message to the holder stands (its address is kept only until then)."""

    PENDING = "PENDING", _("Envoi en cours")
    SENT = "SENT", _("Envoyé")
    FAILED = "FAILED", _("Échec de l'envoi")
    NONE = "NONE", _("Aucune adresse")


class SpaceErasure(models.Model):
    """What remains of an erasure (ADR 0008): a random tombstone id, the date, the motif, the destroyed
    key's fingerprint and the signed certificate (categories and dates only, no personal data).

    ``patient_id`` is the (anonymised) person row's id, which the append-only history is keyed by. A person
    may have two erasures: the archive of an opposition, then, having changed his mind, his space.
    """

    tombstone_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient_id = models.BigIntegerField(db_index=True)
    erased_at = models.DateTimeField()
    motif = models.CharField(max_length=32)
    key_fingerprint = models.CharField(max_length=80, blank=True)  # "" when no key had ever been made
    certificate = models.TextField()  # the signed JSON document (spaces.certificate)
    notice = models.CharField(max_length=8, choices=ErasureNotice.choices)
    notice_settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["notice", "erased_at"], name="spaces_erasure_notice")]

    def __str__(self) -> str:
        return f"SpaceErasure {self.tombstone_id}"
