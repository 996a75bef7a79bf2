"""The agenda (SPEC §6, R-AG-1/2/6): appointments, free reminders, their notifications and iCalendar.

The prevention calendar (R-AG-3/4) lives in the ``prevention`` sub-package of the same Django app."""
