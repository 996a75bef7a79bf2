"""The back-office's part of a full erasure (ADR 0008), registered with ``spaces.erasure`` at start-up.

Support requests carry no free text by design, but a contact address and the link to the person: the
requests of the erased person go, whether they were linked to him or only bear one of his addresses.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import TYPE_CHECKING

from django.db.models import Q

from .models import SupportRequest

if TYPE_CHECKING:
    from carnet.spaces.erasure import ErasureContext


def erase_support_requests(ctx: ErasureContext) -> None:
    if not ctx.full:
        return
    mine = reduce(
        or_, (Q(contact_email__iexact=a) for a in ctx.addresses if "@" in a), Q(person_id=ctx.patient_id)
    )
    SupportRequest.objects.filter(mine).delete()
