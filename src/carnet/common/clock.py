"""The one clock every deadline reads (ARCHITECTURE invariant 6).

Production reads the system time. Tests (and the demo's "time travel" command) freeze or move it:

    from carnet.common import clock
    clock.freeze(datetime(2026, 1, 1, tzinfo=UTC)); clock.advance(days=42); clock.reset()

Never call ``datetime.now()`` or ``timezone.now()`` in domain code: call ``clock.now()``.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

_lock = threading.Lock()
_frozen: datetime | None = None


def now() -> datetime:
    """The current instant, timezone-aware (UTC)."""
    frozen = _frozen
    if frozen is not None:
        return frozen
    return datetime.now(tz=UTC)


def today() -> date:
    """Today's date in the service's time zone (Europe/Paris)."""
    return timezone.localtime(now()).date()


def freeze(at: datetime) -> None:
    if at.tzinfo is None:
        raise ValueError("the clock only accepts timezone-aware datetimes")
    global _frozen
    with _lock:
        _frozen = at


def advance(**delta: float) -> datetime:
    """Move a frozen clock forward (freezing it at the current time first)."""
    global _frozen
    with _lock:
        _frozen = (_frozen or datetime.now(tz=UTC)) + timedelta(**delta)
        return _frozen


def reset() -> None:
    global _frozen
    with _lock:
        _frozen = None


def add_years(moment: datetime, years: int) -> datetime:
    """Same calendar day ``years`` later (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def age_on(birth_date: date, on: date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
