"""``{% simulated_clock as simulated %}``: the demo's moved clock, for the "Date simulée" banner.

``None`` unless demo mode is on and the demo clock is moved (``carnet.common.clock.demo_offset``)."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.conf import settings

from carnet.common import clock

register = template.Library()


@register.simple_tag
def simulated_clock() -> dict[str, datetime] | None:
    if not settings.CARNET_DEMO:
        return None
    offset = clock.demo_offset()
    if not offset:
        return None
    now = clock.now()
    return {"now": now, "real": now - offset}
