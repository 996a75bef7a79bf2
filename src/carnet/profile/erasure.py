"""The medical profile's part of an erasure (ADR 0008), registered with ``spaces.erasure`` at start-up.

Every row of the profile's sections, vaccinations and measures goes. Their free text was sealed (names,
comments, posology, contacts, vaccine names and lots...); their structured values (dates, codes, measured
values, blood group) are in clear for charts, the IPS and the prevention rules, and go with the row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from carnet.spaces.erasure import ErasureContext


def erase_profile(ctx: ErasureContext) -> None:
    from carnet.spaces.erasure import delete_patient_rows

    delete_patient_rows(ctx, "profile", "profile_vitals")
