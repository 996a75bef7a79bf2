"""Scheduled work of the agenda (registered with the task API, run by the worker cycle)."""

from __future__ import annotations

from carnet.tasks import task

from .services import appointment_reminders_send


@task("agenda.appointment_reminders")
def appointment_reminders() -> int:
    """R-AG-2: reminders before appointments and free reminders, at the patient's chosen times (idempotent)."""
    return appointment_reminders_send()
