"""Dates as people read them, one format everywhere (``carnet.common.dates``, the ``|day``/``|moment`` filters,
the e-mails' date parameters): "le 5 décembre 2026 à 19 h 42" in French, "5 December 2026 at 7:42 pm" in English."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import translation

from carnet.common import dates
from carnet.notifications.templates_catalogue import render

EVENING = datetime(2026, 12, 5, 18, 42, tzinfo=UTC)  # 19:42 in Paris (winter time)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fr", "5 décembre 2026 à 19 h 42"), ("en", "5 December 2026 at 7:42 pm")],
)
def test_a_moment_is_written_in_words_in_paris_time(language: str, expected: str) -> None:
    assert dates.format_moment(EVENING, language) == expected


def test_the_first_of_the_month_is_1er_in_french_only() -> None:
    assert dates.format_day(date(2027, 3, 1), "fr") == "1er mars 2027"
    assert dates.format_day(date(2027, 3, 1), "en") == "1 March 2027"


@pytest.mark.parametrize(
    ("hour", "minute", "french", "english"),
    [(0, 5, "0 h 05", "12:05 am"), (12, 0, "12 h 00", "12:00 pm"), (9, 7, "9 h 07", "9:07 am")],
)
def test_times_around_midnight_and_noon(hour: int, minute: int, french: str, english: str) -> None:
    paris = datetime(2026, 7, 1, hour, minute, tzinfo=ZoneInfo("Europe/Paris"))
    assert dates.format_time(paris, "fr") == french
    assert dates.format_time(paris, "en") == english


def test_the_weekday_is_written_when_asked() -> None:
    assert dates.format_day(date(2026, 12, 5), "fr", weekday=True) == "samedi 5 décembre 2026"
    assert dates.format_day(date(2026, 12, 5), "en", weekday=True) == "Saturday 5 December 2026"


def test_the_template_filters_follow_the_active_language() -> None:
    template = Template(
        "{{ when|moment }} / {{ when|day }} / {{ when|clock_time }} / {{ nothing|day|default:'—' }}"
    )
    context = Context({"when": EVENING, "nothing": None})
    assert template.render(context) == "5 décembre 2026 à 19 h 42 / 5 décembre 2026 / 19 h 42 / —"
    with translation.override("en"):
        assert template.render(context) == "5 December 2026 at 7:42 pm / 5 December 2026 / 7:42 pm / —"


def test_a_date_given_to_moment_is_a_day() -> None:
    assert Template("{{ d|moment }}").render(Context({"d": date(2026, 12, 5)})) == "5 décembre 2026"


def test_iso_text_is_worded_and_any_other_text_left_alone() -> None:
    assert dates.format_iso("2027-01-16", "fr") == "16 janvier 2027"
    assert dates.format_iso("2027-01-16T10:00+01:00", "en") == "16 January 2027 at 10:00 am"
    assert dates.format_iso("16/01/2027", "fr") == "16/01/2027"
    assert dates.format_iso("KF3F-54QM-2Z3W", "fr") == "KF3F-54QM-2Z3W"


def test_an_e_mail_writes_its_date_parameters_in_the_readers_language() -> None:
    params = {"expires": "2027-01-16", "code": "KF3F-54QM-2Z3W"}
    assert (
        "valable jusqu'au 16 janvier 2027, est : KF3F-54QM-2Z3W"
        in render("provisional_code", params, "fr")[1]
    )
    assert "valid until 16 January 2027, is: KF3F-54QM-2Z3W" in render("provisional_code", params, "en")[1]


def test_django_own_date_formats_are_the_same_words() -> None:
    """``FORMAT_MODULE_PATH``: an unfiltered date reads the same; English date fields are day-first."""
    from django.utils import formats

    assert formats.date_format(date(2026, 12, 5)) == "5 décembre 2026"
    with translation.override("en"):
        assert formats.date_format(date(2026, 12, 5)) == "5 December 2026"
        assert formats.get_format("DATE_INPUT_FORMATS")[0] == "%d/%m/%Y"
