"""The periodic work loop behind ``carnet worker`` (and the demo's background thread).

One cycle: deliver the outbox, build pending exports, apply lifecycle deadlines, sequence the
transparency log and sign its head, push it to the witnesses, check the log (once a day), remove orphan
blob files and expired idempotency keys of deposits.
Every step is idempotent and reads its work from the database, so a cycle may be interrupted at any
point and simply run again (at-least-once, deduplicated by the steps themselves).

Each job is isolated: it runs in its own key scope, an exception in it is logged and reported as
``"error"``, and the next job runs. None can hang the cycle: every outgoing connection has a timeout
(SMTP ``EMAIL_TIMEOUT``, SMS ``CARNET_SMS_TIMEOUT``, the witness 5 s), a delivery run stops using a
channel it could not reach, and starts no new message after ``CARNET_OUTBOX_RUN_SECONDS``
(docs/subsystems/notifications.md "Under faults").
To add a job, register a task (``carnet.tasks.task``) and append its name to ``CYCLE_TASKS``.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.db import close_old_connections

from carnet.tasks import load_tasks, run

log = logging.getLogger("carnet.worker")

SLOW_STEP_SECONDS = 10.0

CYCLE_TASKS = (
    "notifications.deliver_pending",
    "spaces.build_pending_exports",
    "spaces.apply_deadlines",
    "audit.sequence",
    "audit.witness_push",
    "audit.verify_log",
    "records.invisible_notices",
    "records.blobs_sweep",
    "records.deposit_keys_purge",
    "messaging.smtp_relay_pending",
    "agenda.appointment_reminders",
    "prevention.daily_reminders",
)


def run_cycle() -> dict[str, Any]:
    """Run every job of ``CYCLE_TASKS`` once, each isolated from the others; returns their results."""
    registry = load_tasks()
    results: dict[str, Any] = {}
    for name in CYCLE_TASKS:
        if name not in registry:
            continue
        started = time.monotonic()
        try:
            results[name] = run(name)  # its own key scope (ADR 0008)
        except Exception:  # one failing step must not stop the others
            log.exception("worker step %s failed", name)
            results[name] = "error"
        elapsed = time.monotonic() - started
        if elapsed > SLOW_STEP_SECONDS:
            log.warning("worker step %s took %.1f s", name, elapsed)
    return results


def loop(interval: float, stop: threading.Event) -> None:
    while not stop.is_set():
        close_old_connections()  # between cycles only: a step may run inside a caller's transaction
        run_cycle()
        close_old_connections()
        stop.wait(interval)


def start_background(interval: float = 5.0) -> threading.Event:
    """Embedded mode: run the loop in a daemon thread next to the web server."""
    stop = threading.Event()
    threading.Thread(target=loop, args=(interval, stop), name="carnet-worker", daemon=True).start()
    return stop


def sleep(seconds: float) -> None:
    time.sleep(seconds)
