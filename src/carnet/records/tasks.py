"""Scheduled work of the record (registered with the task API, run by the worker cycle)."""

from __future__ import annotations

from carnet.config.tasks import task

from .services import invisible_notices_send


@task("records.invisible_notices")
def invisible_notices() -> int:
    """R-MASK-6: the content-free notice two weeks after an INVISIBLE_PATIENT deposit (idempotent)."""
    return invisible_notices_send()
