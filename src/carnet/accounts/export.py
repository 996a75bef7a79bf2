"""The account's part of the space export (R-LC-25), plugged in by ``spaces.export.register_section``
(``AccountsConfig.ready``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import Device

if TYPE_CHECKING:
    from carnet.spaces.export import ExportContext


def section_devices(ctx: ExportContext) -> None:
    """R-LC-12: enrolled devices (how many still active)."""
    devices = Device.objects.filter(user__person=ctx.person, revoked_at__isnull=True)
    ctx.data["appareils"] = {"nombre": devices.count()}
