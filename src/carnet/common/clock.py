"""The one clock every deadline reads (ARCHITECTURE invariant 6).

Production reads the system time. Tests (and the demo's "time travel" command) freeze or move it:

    from carnet.common import clock
    clock.freeze(datetime(2026, 1, 1, tzinfo=UTC)); clock.advance(days=42); clock.reset()

Never call ``datetime.now()`` or ``timezone.now()`` in domain code: call ``clock.now()``.

**Demo time travel** (``carnet demo-clock``, ``/demo/horloge/``; ``carnet.demo.time_travel``): in demo
mode only (``CARNET_DEMO``), the system time is shifted by an offset kept in ``DATA_DIR/demo-clock.json``,
so the web server, ``carnet worker`` and every command of that data directory see the same demo time.
Each process re-reads the file at most once a second (``DEMO_CLOCK_RECHECK_SECONDS``); outside demo mode
the file is never read and ``now()`` costs one global read more than the system time. Whether demo mode is
on is read from the settings once, and again after ``setting_changed`` (``override_settings``, pytest's
``settings`` fixture). A frozen clock (tests) ignores the offset.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.signals import setting_changed
from django.utils import timezone

log = logging.getLogger("carnet.clock")

_lock = threading.Lock()
_frozen: datetime | None = None

DEMO_CLOCK_FILE = "demo-clock.json"
DEMO_CLOCK_RECHECK_SECONDS = 1.0
DEMO_CLOCK_MAX_OFFSET = timedelta(days=100 * 366)
_ZERO = timedelta(0)
# The offset file when demo mode is on, "" when it is off, None until the settings are read.
_demo_file: str | None = None
# (file read, monotonic time of the read, offset found): replaced whole, so readers need no lock.
_demo: tuple[str, float, timedelta] = ("", float("-inf"), _ZERO)


def now() -> datetime:
    """The current instant, timezone-aware (UTC)."""
    frozen = _frozen
    if frozen is not None:
        return frozen
    moment = datetime.now(tz=UTC)
    if _demo_file == "":  # demo mode off: the hot path
        return moment
    return moment + demo_offset()


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


# --- demo time travel: the offset shared through the data directory ------------------------------


def demo_clock_file() -> str:
    """The offset file of this data directory in demo mode, ``""`` outside demo mode."""
    global _demo_file
    found = _demo_file
    if found is None:
        if not settings.configured:
            return ""  # not decided yet: asked again once the settings are there
        demo = bool(getattr(settings, "CARNET_DEMO", False))
        found = _demo_file = str(Path(settings.DATA_DIR) / DEMO_CLOCK_FILE) if demo else ""
    return found


def _forget_demo_file(*, setting: str, **kwargs: object) -> None:
    global _demo_file
    if setting in {"CARNET_DEMO", "DATA_DIR"}:
        _demo_file = None


setting_changed.connect(_forget_demo_file, dispatch_uid="carnet.clock.demo_file")


def demo_offset() -> timedelta:
    """How far demo time travel moved the clock (zero outside demo mode, or when it was not moved)."""
    global _demo
    path = demo_clock_file()
    if not path:
        return _ZERO
    cached_path, read_at, offset = _demo
    moment = time.monotonic()
    if cached_path == path and moment - read_at < DEMO_CLOCK_RECHECK_SECONDS:
        return offset
    offset = _read_demo_offset(Path(path))
    _demo = (path, moment, offset)
    return offset


def _read_demo_offset(path: Path) -> timedelta:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return _ZERO
    except (OSError, ValueError):
        log.warning("demo clock: %s is unreadable; the clock shows the real time", path)
        return _ZERO
    seconds = data.get("offset_seconds") if isinstance(data, dict) else None
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        log.warning("demo clock: %s holds no offset; the clock shows the real time", path)
        return _ZERO
    try:
        offset = timedelta(seconds=seconds)
    except (OverflowError, ValueError):  # infinite, NaN or beyond timedelta's range
        offset = None
    if offset is None or not _ZERO <= offset <= DEMO_CLOCK_MAX_OFFSET:
        log.warning("demo clock: the offset in %s is out of range; the clock shows the real time", path)
        return _ZERO
    return offset


def demo_offset_store(offset: timedelta | None) -> None:
    """Write (or, with ``None``, remove) the demo offset for every process of this data directory.

    Demo mode only: raises ``PermissionError`` otherwise. The file is replaced atomically (written
    aside, then renamed), so a reader sees the old offset or the new one, never half of it."""
    global _demo
    name = demo_clock_file()
    if not name:
        raise PermissionError("the clock can only be moved in demo mode (CARNET_DEMO=1)")
    path = Path(name)
    if offset is None or offset == _ZERO:
        path.unlink(missing_ok=True)
        stored = _ZERO
    else:
        if not _ZERO < offset <= DEMO_CLOCK_MAX_OFFSET:
            raise ValueError("the demo clock moves forward, by at most 100 years")
        content = json.dumps({"offset_seconds": offset.total_seconds(), "written_at": time.time()})
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".demo-clock-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        stored = offset
    _demo = (name, time.monotonic(), stored)
