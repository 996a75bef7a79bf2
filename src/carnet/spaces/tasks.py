"""Background tasks of the lifecycle (registered with ``carnet.tasks.task``)."""

from __future__ import annotations

from carnet.tasks import task

from .export import export_build, exports_build_pending
from .services import spaces_apply_deadlines


@task("spaces.apply_deadlines")
def apply_deadlines() -> dict[str, int]:
    """R-LC-3, R-LC-21/22/24, R-MIN-7: the one scheduled lifecycle job (idempotent)."""
    return spaces_apply_deadlines()


@task("spaces.build_export")
def build_export(export_id: int) -> bool:
    """R-LC-25: build one requested export (idempotent: a READY export is not rebuilt)."""
    return export_build(export_id=export_id)


@task("spaces.build_pending_exports")
def build_pending_exports(limit: int = 20) -> int:
    """Worker cycle step: retry exports still PENDING (a failed inline run, a crash)."""
    return exports_build_pending(limit=limit)
