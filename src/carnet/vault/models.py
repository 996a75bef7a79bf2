"""Per-patient data keys (ARCHITECTURE invariant 4) and the encrypted blobs they protect.

Their Django app label stays ``records`` (tables ``records_patientkey`` and ``records_blob``, their
migrations in ``records/migrations``, the labels ``records.patientkey`` / ``records.blob`` that foreign keys
and the erasure's completeness check name): the code moved down into the vault (ADR 0009), the schema did
not move. Change these models with ``carnet makemigrations records``.
"""

from __future__ import annotations

import uuid

from django.db import models


class PatientKey(models.Model):
    """A patient's AES-256 data key, wrapped (AES-GCM) by the master key. Destroying it shreds his blobs."""

    patient_id = models.BigIntegerField(unique=True)
    wrapped_key = models.BinaryField(null=True)
    created_at = models.DateTimeField()
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "records"

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

    class Meta:
        app_label = "records"

    def __str__(self) -> str:
        return f"Blob {self.public_id}"
