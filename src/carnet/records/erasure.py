"""The record's part of an erasure (ADR 0008), registered with ``spaces.erasure`` at start-up.

Every document row of the patient goes (their titles were sealed; their codes, dates and authors are in
clear for the access policy and FHIR search, and go with the row), tombstones of documents deleted
earlier included (R-DOC-11 kept them while the space lived); then every encrypted blob of the patient:
documents, message attachments, export archives, delegation attestations. The files are unlinked after
the commit. The data key itself is destroyed by ``spaces.erasure`` once every eraser has run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from carnet.vault.blobstore import blobs_delete_for_patient

from .models import DepositKey, Document

if TYPE_CHECKING:
    from carnet.spaces.erasure import ErasureContext


def erase_records(ctx: ErasureContext) -> None:
    documents = Document.objects.filter(patient_id=ctx.patient_id)
    documents.exclude(replaces=None).update(replaces=None)  # versions protect each other
    documents.delete()
    DepositKey.objects.filter(patient_id=ctx.patient_id).delete()  # idempotency keys used on this record
    blobs_delete_for_patient(ctx.patient_id)
