"""Per-patient data keys (ARCHITECTURE invariant 4) and the encrypted blobs they protect."""

from __future__ import annotations

import uuid

from django.db import models


class PatientKey(models.Model):
    """A patient's AES-256 data key, wrapped (AES-GCM) by the master key. Destroying it shreds his blobs."""

    patient_id = models.BigIntegerField(unique=True)
    wrapped_key = models.BinaryField(null=True)
    created_at = models.DateTimeField()
    destroyed_at = models.DateTimeField(null=True, blank=True)


class Blob(models.Model):
    """An encrypted content stored on disk (embedded) or in object storage (production)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient_id = models.BigIntegerField(db_index=True)
    size = models.PositiveBigIntegerField()  # plaintext size
    sha256 = models.CharField(max_length=64)  # of the plaintext, checked on every read
    media_type = models.CharField(max_length=100)
    created_at = models.DateTimeField()
