"""The record: DMP documents (SPEC §2) and their deposit keys. Their contents are vault blobs
(``carnet.vault``: per-patient data keys, encrypted blobs, sealed fields)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from carnet.vault.models import Blob
from carnet.vault.sealing import SealedTextField


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


class DepositKeyNamespace(models.TextChoices):
    """Where an idempotency key of a deposit comes from (issue 13, ``records.idempotency``)."""

    API = "api", "Idempotency-Key"  # JSON API header, kept CARNET_DEPOSIT_KEY_RETENTION_HOURS
    FHIR_DOCUMENT = "fhir-document", "DocumentReference.masterIdentifier"  # for as long as the record
    FHIR_SUBMISSION = "fhir-submission", "SubmissionSet (List.identifier official)"  # same


class DepositKey(models.Model):
    """One idempotency key of one depositor, and the documents its first request created (issue 13).

    Only keyed hashes are stored (``records.idempotency``): of the key, a client's string that must not
    carry health data but might, and of the request's canonical content (to tell a retry from another
    request), never the request. The unique constraint, not a check before the insert, is what makes two
    concurrent retries give one document: the second insert waits for the first transaction and fails
    once it commits. ``patient_id`` ties the row to the record it was used on, so the space's erasure
    deletes it (``records.erasure``); lookups go by depositor and key (the table can be distributed by
    ``depositor``)."""

    patient_id = models.BigIntegerField(db_index=True)
    depositor = models.CharField(max_length=100)  # the depositing actor, "<kind>:<id>" (FINESS, RPPS, ...)
    namespace = models.CharField(max_length=16, choices=DepositKeyNamespace.choices)
    key_hash = models.CharField(max_length=64)
    request_hash = models.CharField(max_length=64)
    documents = models.JSONField(default=list)  # public ids of the documents, in the first answer's order
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)  # None: as long as the record

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["depositor", "namespace", "key_hash"], name="records_depositkey_unique"
            )
        ]

    def __str__(self) -> str:  # never the key
        return f"DepositKey {self.pk} ({self.namespace})"
