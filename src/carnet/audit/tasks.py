"""Background work of the audit app (run by ``carnet worker`` each cycle, see ``common/worker.py``)."""

from __future__ import annotations

from carnet.config.tasks import task

from .services import checkpoints_sign_moved


@task("audit.checkpoints")
def checkpoints() -> int:
    """Sign the head of every chain that moved since its last checkpoint (idempotent, set-based)."""
    return checkpoints_sign_moved()
