"""The date filters of every template (a builtin library, see ``TEMPLATES`` in the settings): ``{{ value|day }}``,
``{{ value|moment }}``, ``{{ value|clock_time }}``, ``{{ value|month }}``, ``{{ value|weekday_day }}`` and
``{{ value|weekday_moment }}`` — the dates of every page in the one format of ``carnet.common.dates``
("5 décembre 2026 à 19 h 42" / "5 December 2026 at 7:42 pm"). ``None`` and "" give "" (chain ``|default``)."""

from __future__ import annotations

from datetime import date, datetime

from django import template

from carnet.common import dates

register = template.Library()


@register.filter
def day(value: date | datetime | None) -> str:
    return dates.format_day(value) if value else ""


@register.filter
def moment(value: datetime | date | None) -> str:
    if not value:
        return ""
    if not isinstance(value, datetime):
        return dates.format_day(value)
    return dates.format_moment(value)


@register.filter
def clock_time(value: datetime | None) -> str:
    return dates.format_time(value) if value else ""


@register.filter
def month(value: date | datetime | None) -> str:
    return dates.format_month(value) if value else ""


@register.filter
def weekday_day(value: date | datetime | None) -> str:
    return dates.format_day(value, weekday=True) if value else ""


@register.filter
def weekday_moment(value: datetime | None) -> str:
    return dates.format_moment(value, weekday=True) if value else ""
