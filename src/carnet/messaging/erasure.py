"""Messaging's part of an erasure (ADR 0008), registered with ``spaces.erasure`` at start-up.

The patient's conversations go with their messages and attachments: subjects, bodies and file names were
sealed under his key (``messaging.crypto``); the rows' clear columns (who wrote, when, read or not) go
with them. The attachments' blobs are deleted by the record's eraser (they are the patient's blobs).
Messages the erased person wrote in *other* people's conversations (as a caregiver or a parent) belong to
those people's spaces and stay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from carnet.spaces.erasure import ErasureContext


def erase_messaging(ctx: ErasureContext) -> None:
    from carnet.spaces.erasure import delete_patient_rows

    delete_patient_rows(ctx, "messaging")
