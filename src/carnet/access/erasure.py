"""The access settings' part of an erasure (ADR 0008), registered with ``spaces.erasure`` at start-up.

Consents and care relations, professionals' standings (médecin traitant, administrator, blocked), the
emergency settings, emergency-access sessions (their written reason was sealed) and temporary access codes
(stored as hashes) all go. The history keeps that those accesses happened (actors, dates, modes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from carnet.spaces.erasure import ErasureContext


def erase_access(ctx: ErasureContext) -> None:
    from carnet.spaces.erasure import delete_patient_rows

    delete_patient_rows(ctx, "access")
