"""Dates and times as people read them, in the active language: one format for every page, e-mail and PDF.

French, as French public services write them: ``5 décembre 2026``, ``1er mars 2027``, ``19 h 42``,
``5 décembre 2026 à 19 h 42`` (a sentence adds its own "le": "Ajouté le 5 décembre 2026 à 19 h 42").
English (British order, 12-hour clock): ``5 December 2026``, ``7:42 pm``, ``5 December 2026 at 7:42 pm``.

Aware datetimes are shown in the current time zone (``Europe/Paris`` unless a template's ``{% timezone %}``
says otherwise). The template filters of ``carnet.common.templatetags.carnet_dates`` call these functions,
and so do the e-mails (``carnet.notifications.templates_catalogue.render`` formats ISO date parameters in
the message's language) and the PDFs. Input fields keep their DD/MM/YYYY format: this is for reading only.
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils import dates as django_dates
from django.utils import timezone, translation


def _language(language: str | None) -> str:
    return (language or translation.get_language() or "fr").split("-")[0]


def _local(value: date | datetime) -> date | datetime:
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def _month(number: int, language: str) -> str:
    with translation.override(language):
        return str(django_dates.MONTHS[number])  # Django's own catalogue: "décembre", "December"


def format_day(value: date | datetime, language: str | None = None, *, weekday: bool = False) -> str:
    """``5 décembre 2026`` / ``1er mars 2027``; ``5 December 2026`` in English. With ``weekday``:
    ``samedi 5 décembre 2026`` / ``Saturday 5 December 2026``."""
    lang = _language(language)
    local = _local(value)
    month = _month(local.month, lang)
    if lang == "fr":
        day = "1er" if local.day == 1 else str(local.day)
        text = f"{day} {month.lower()} {local.year}"
    else:
        text = f"{local.day} {month} {local.year}"
    if weekday:
        with translation.override(lang):
            name = str(django_dates.WEEKDAYS[local.weekday()])
        text = f"{name.lower() if lang == 'fr' else name} {text}"
    return text


def format_time(value: datetime, language: str | None = None) -> str:
    """``19 h 42`` / ``9 h 05``; ``7:42 pm`` / ``12:05 am`` in English."""
    lang = _language(language)
    local = _local(value)
    assert isinstance(local, datetime)
    if lang == "fr":
        return f"{local.hour} h {local.minute:02d}"
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'am' if local.hour < 12 else 'pm'}"


def format_moment(value: datetime, language: str | None = None, *, weekday: bool = False) -> str:
    """``5 décembre 2026 à 19 h 42``; ``5 December 2026 at 7:42 pm`` in English."""
    lang = _language(language)
    joiner = "à" if lang == "fr" else "at"
    return f"{format_day(value, lang, weekday=weekday)} {joiner} {format_time(value, lang)}"


def format_month(value: date | datetime, language: str | None = None) -> str:
    """``décembre 2026``; ``December 2026`` in English."""
    lang = _language(language)
    local = _local(value)
    month = _month(local.month, lang)
    return f"{month.lower() if lang == 'fr' else month} {local.year}"


def format_short_day(value: date | datetime, language: str | None = None) -> str:
    """``10 déc. 2025`` / ``10 Dec. 2025``: where room is short (a chart's axis)."""
    lang = _language(language)
    local = _local(value)
    with translation.override(lang):
        month = str(django_dates.MONTHS_AP[local.month])
    day = "1er" if lang == "fr" and local.day == 1 else str(local.day)
    return f"{day} {month} {local.year}"


def format_short_moment(value: datetime, language: str | None = None) -> str:
    """``10 déc. 19 h 42`` / ``10 Dec. 7:42 pm``: a time on a short axis (no year)."""
    lang = _language(language)
    local = _local(value)
    with translation.override(lang):
        month = str(django_dates.MONTHS_AP[local.month])
    day = "1er" if lang == "fr" and local.day == 1 else str(local.day)
    return f"{day} {month} {format_time(value, lang)}"


def format_iso(text: str, language: str | None = None) -> str:
    """An ISO 8601 date (``2026-12-05``) or datetime (``2026-12-05T19:42:00+01:00``) in words; any other text
    unchanged. Notifications keep their date parameters in ISO form and are worded in the reader's language."""
    try:
        if len(text) == 10:
            return format_day(date.fromisoformat(text), language)
        if len(text) > 10 and text[10] == "T":
            return format_moment(datetime.fromisoformat(text), language)
    except ValueError:
        pass
    return text
