"""The agenda's part of an erasure (ADR 0008), registered with ``spaces.erasure`` at start-up.

Appointments and free reminders (their names, places and comments were sealed; dates and reminder
offsets are in clear for the reminder job), the calendar feed's token hash, and the prevention statuses,
opt-outs and sent-reminder bookkeeping all go.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from carnet.spaces.erasure import ErasureContext


def erase_agenda(ctx: ErasureContext) -> None:
    from carnet.spaces.erasure import delete_patient_rows

    delete_patient_rows(ctx, "agenda")
