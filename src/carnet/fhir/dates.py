"""FHIR R4 ``date`` search parameters (R4 §3.1.1.4.7 "date", §3.1.1.5.2 prefixes).

A value is a prefix and a date or dateTime at any precision: ``2026``, ``2026-12``, ``2026-12-04``,
``2026-12-04T10:00``, ``2026-12-04T10:00:00``, ``2026-12-04T10:00:00.250``, each time optionally with a zone
(``Z``, ``+01:00``). It stands for the range of every instant it covers: ``2026`` is
``[2026-01-01T00:00, 2027-01-01T00:00)``. Without a zone the server's local time (``Europe/Paris``) applies,
as the specification suggests. A ``+`` that arrived as a space (an unencoded ``+01:00`` in a URL) is read
as ``+``.

The target here is an instant (a document's deposit), so with the search range ``[lo, hi)``:

| prefix | matches when | | prefix | matches when |
|---|---|---|---|---|
| ``eq`` (default) | ``lo <= t < hi`` | | ``ne`` | not ``eq`` |
| ``lt`` | ``t < lo`` | | ``le`` | ``t < hi`` |
| ``gt`` | ``t >= hi`` | | ``ge`` | ``t >= lo`` |
| ``sa`` (starts after) | ``t >= hi`` | | ``eb`` (ends before) | ``t < lo`` |
| ``ap`` (approximately) | ``eq`` on the range widened by 10 % of the gap between now and the value | | | |

Repeating the parameter means AND; a comma inside one value means OR (R4 §3.1.1.3 "composite" rules).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from carnet.common import clock

PREFIXES = ("eq", "ne", "lt", "le", "gt", "ge", "sa", "eb", "ap")
LOCAL = ZoneInfo("Europe/Paris")
_VALUE = re.compile(
    r"(?P<prefix>eq|ne|lt|le|gt|ge|sa|eb|ap)?"
    r"(?P<year>\d{4})"
    r"(?:-(?P<month>\d{2})"
    r"(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,9}))?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?"
    r")?)?)?"
)
_SPACE_FOR_PLUS = re.compile(r" (?=\d{2}:\d{2}$)")
_APPROXIMATION = 0.1  # FHIR leaves "ap" to the server; 10 % is the value the specification suggests


class DateSearchError(ValueError):
    """A value that is not a FHIR date search value."""


@dataclass(frozen=True)
class DateFilter:
    prefix: str
    low: datetime  # first instant of the range
    high: datetime  # first instant after it

    def matches(self, instant: datetime) -> bool:
        low, high = self.low, self.high
        if self.prefix == "ap":
            margin = abs(clock.now() - low) * _APPROXIMATION
            try:
                low = low - margin
            except OverflowError:
                low = datetime.min.replace(tzinfo=UTC)
            try:
                high = high + margin
            except OverflowError:
                high = datetime.max.replace(tzinfo=UTC)
        inside = low <= instant < high
        return {
            "eq": inside,
            "ap": inside,
            "ne": not inside,
            "lt": instant < low,
            "eb": instant < low,
            "le": instant < high,
            "gt": instant >= high,
            "sa": instant >= high,
            "ge": instant >= low,
        }[self.prefix]


def _zone(text: str | None) -> tzinfo:
    if not text:
        return LOCAL
    if text == "Z":
        return UTC
    sign = 1 if text[0] == "+" else -1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 14 or minutes > 59:
        raise DateSearchError(text)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _add_months(moment: datetime, months: int) -> datetime:
    total = moment.month - 1 + months
    return moment.replace(year=moment.year + total // 12, month=total % 12 + 1)


def parse(value: str) -> DateFilter:
    """One value (``ge2026-12``) as a filter; ``DateSearchError`` when it is not a FHIR date value."""
    text = _SPACE_FOR_PLUS.sub("+", value.strip())
    match = _VALUE.fullmatch(text)
    if match is None:
        raise DateSearchError(value)
    part = match.groupdict()
    try:
        zone = _zone(part["zone"])
        low = datetime(
            int(part["year"]),
            int(part["month"] or 1),
            int(part["day"] or 1),
            int(part["hour"] or 0),
            int(part["minute"] or 0),
            int(part["second"] or 0),
            int((part["fraction"] or "0")[:6].ljust(6, "0")),
            tzinfo=zone,
        )
        if part["fraction"]:
            high = low + timedelta(microseconds=max(1, 10 ** (6 - min(len(part["fraction"]), 6))))
        elif part["second"]:
            high = low + timedelta(seconds=1)
        elif part["minute"]:
            high = low + timedelta(minutes=1)
        elif part["day"]:
            high = low + timedelta(days=1)
        elif part["month"]:
            high = _add_months(low, 1)
        else:
            high = low.replace(year=low.year + 1)
    except (ValueError, OverflowError):  # month 13, 31 February, hour 24, year 9999 + 1
        raise DateSearchError(value) from None
    # Bounds were computed on the wall clock of their zone (a Paris day may last 23 or 25 hours); each is
    # then normalised to UTC on its own.
    return DateFilter(prefix=part["prefix"] or "eq", low=low.astimezone(UTC), high=high.astimezone(UTC))


def parse_all(values: list[str]) -> list[list[DateFilter]]:
    """Every ``date`` parameter (AND), each a comma-separated list of values (OR)."""
    return [[parse(v) for v in value.split(",")] for value in values if value.strip()]


def matches_all(instant: datetime, filters: list[list[DateFilter]]) -> bool:
    return all(any(f.matches(instant) for f in alternatives) for alternatives in filters)
