"""Background work of the audit app (run by ``carnet worker`` each cycle, see ``config/worker.py``)."""

from __future__ import annotations

import logging

from carnet.tasks import task

from .checks import log_check_if_due
from .log import LogIntegrityError, log_sequence
from .witnessing import witness_push

log = logging.getLogger("carnet.audit.tasks")


@task("audit.sequence")
def sequence() -> int | str:
    """Give the queued traces their leaf indexes and sign the new tree head; return the log's size.

    A refusal (the stored log no longer matches its last signed head) is already logged without content
    by the sequencer; the step reports ``"refused"`` and the next cycle tries again (and refuses again)."""
    try:
        head = log_sequence()
    except LogIntegrityError:
        return "refused"
    return head.size if head is not None else 0


@task("audit.witness_push")
def push_to_witnesses() -> int:
    """Send the latest signed head to the configured witnesses (enqueued after each new head)."""
    return witness_push()


@task("audit.verify_log")
def verify_log() -> str:
    """The server's own check of the whole log, at most once per ``CARNET_AUDIT_CHECK_INTERVAL_HOURS``."""
    check = log_check_if_due()
    if check is None:
        return "not due"
    return "ok" if check.ok else "FAILED"
