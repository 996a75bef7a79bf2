"""Per-patient data keys (ARCHITECTURE invariant 4) and the encrypted blobs they protect."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from .sealing import SealedTextField


class PatientKey(models.Model):
    """A patient's AES-256 data key, wrapped (AES-GCM) by the master key. Destroying it shreds his blobs."""

    patient_id = models.BigIntegerField(unique=True)
    wrapped_key = models.BinaryField(null=True)
    created_at = models.DateTimeField()
    destroyed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:  # never the key
        return f"PatientKey of patient {self.patient_id}"


class Blob(models.Model):
    """An encrypted content stored on disk (embedded) or in object storage (production)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient_id = models.BigIntegerField(db_index=True)
    size = models.PositiveBigIntegerField()  # plaintext size
    sha256 = models.CharField(max_length=64)  # of the plaintext, checked on every read
    media_type = models.CharField(max_length=100)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Blob {self.public_id}"


class AuthorKind(models.TextChoices):
    """Who deposited a document (SPEC §2.6, R-DEP-3)."""

    PROFESSIONAL = "PROFESSIONAL", _("Professionnel de santé")
    ORGANISATION = "ORGANISATION", _("Établissement")
    PATIENT = "PATIENT", _("Usager")  # the holder, his legal representative or his caregiver
    INSURANCE = "INSURANCE", _("Assurance Maladie")
    SYSTEM = "SYSTEM", _("Carnet")


class DocumentStatus(models.TextChoices):
    """J52 availability status (R-VER-1)."""

    APPROVED = "Approved", _("Courant")
    DEPRECATED = "Deprecated", _("Remplacé")


class Document(models.Model):
    """One DMP entry: the metadata of SPEC §2.1 and its encrypted content (invariant 4).

    ``patient_id`` is the holder's person id (invariant 8). ``confidentiality`` is a list of 1 to 4 J08
    codes (§2.4). ``invisible_until`` is deposit + 1 month when ``INVISIBLE_PATIENT`` is set (R-MASK-6).
    A deletion keeps a tombstone (``deleted_at``, R-DOC-11) and erases the content.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient_id = models.BigIntegerField()
    class_code = models.CharField(max_length=64)  # J57
    type_code = models.CharField(max_length=32)  # J07 (minus the types the DMP refuses, R-DOC-1)
    title = SealedTextField()  # ADR 0008: sealed under the patient key; ≤ 255 characters (services)
    confidentiality = models.JSONField(default=list)  # J08 codes, 1..4
    practice_setting = models.CharField(max_length=32, blank=True)  # J04
    facility_type = models.CharField(max_length=16, blank=True)  # J02
    author_kind = models.CharField(max_length=16, choices=AuthorKind.choices)
    author_professional = models.ForeignKey(
        "identity.Professional", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author_organisation = models.ForeignKey(
        "identity.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author_person = models.ForeignKey(
        "identity.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author_specialty = models.CharField(max_length=32, blank=True)  # J01
    service_start = models.DateField(null=True, blank=True)  # date of care
    status = models.CharField(max_length=12, choices=DocumentStatus.choices, default=DocumentStatus.APPROVED)
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    blob = models.ForeignKey(Blob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    media_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(default=0)
    deposited_at = models.DateTimeField()
    deposited_by = models.CharField(max_length=64)  # the depositing actor's id (never a name)
    deposited_by_kind = models.CharField(max_length=24)  # carnet.common.actors.ActorKind
    invisible_until = models.DateTimeField(null=True, blank=True)  # R-MASK-6
    invisible_notice_sent_at = models.DateTimeField(null=True, blank=True)  # R-MASK-6, notice at D+14
    patient_category = models.CharField(max_length=16)  # SPEC §2.5 [I]
    deleted_at = models.DateTimeField(null=True, blank=True)  # tombstone, R-DOC-11
    deleted_by = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["patient_id", "deleted_at", "status"], name="records_doc_patient"),
            models.Index(
                fields=["invisible_notice_sent_at", "invisible_until"], name="records_doc_invisible"
            ),
        ]

    def __str__(self) -> str:  # never the title: it may be health data
        return f"Document {self.public_id}"

    @property
    def patient_uploaded(self) -> bool:
        return self.author_kind == AuthorKind.PATIENT

    @property
    def system_document(self) -> bool:
        return self.author_kind == AuthorKind.SYSTEM
