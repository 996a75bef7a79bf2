"""FHIR date search (R4 §3.1.1.4.7, prefixes §3.1.1.5.2): partial dates stand for the range they cover.

The document is deposited at the frozen clock, 2026-01-05 09:00:00 UTC (10:00 in Paris)."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from carnet.fhir import dates
from tests.api.conftest import bearer
from tests.fhir.helpers import FHIR, bundle
from tests.records.helpers import World

DEPOSIT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "low", "high"),
    [
        ("2026", "2025-12-31T23:00:00+00:00", "2026-12-31T23:00:00+00:00"),  # Paris, winter time
        ("2026-07", "2026-06-30T22:00:00+00:00", "2026-07-31T22:00:00+00:00"),  # summer time
        ("2026-03-29", "2026-03-28T23:00:00+00:00", "2026-03-29T22:00:00+00:00"),  # a 23-hour day
        ("2026-12", "2026-11-30T23:00:00+00:00", "2026-12-31T23:00:00+00:00"),
        ("2026-12-04T10:00", "2026-12-04T09:00:00+00:00", "2026-12-04T09:01:00+00:00"),
        ("2026-12-04T10:00:00+01:00", "2026-12-04T09:00:00+00:00", "2026-12-04T09:00:01+00:00"),
        ("2026-12-04T10:00:00 01:00", "2026-12-04T09:00:00+00:00", "2026-12-04T09:00:01+00:00"),
        ("2026-12-04T10:00:00.25Z", "2026-12-04T10:00:00.250000+00:00", "2026-12-04T10:00:00.260000+00:00"),
    ],
)
def test_a_partial_date_stands_for_the_range_it_covers(value: str, low: str, high: str) -> None:
    parsed = dates.parse(value)
    assert (parsed.low.isoformat(), parsed.high.isoformat()) == (low, high)


@pytest.mark.parametrize(
    ("value", "matches"),
    [
        ("2026", True),
        ("eq2026-01", True),
        ("2025", False),
        ("ne2026-01-05", False),
        ("ne2026-01-04", True),
        ("lt2026-01-05", False),
        ("le2026-01-05", True),
        ("gt2026-01-04", True),
        ("gt2026-01-05", False),
        ("ge2026-01-05", True),
        ("ge2026-01-06", False),
        ("sa2026-01-04", True),
        ("sa2026-01-05", False),
        ("eb2026-01-06", True),
        ("eb2026-01-05", False),
        ("ap2026-01-05", True),
        ("ap2026-03", False),  # 2 months away, margin 10 % of ~2 months: no
        ("2026-01-05T10:00+01:00", True),
        ("2026-01-05T09:00:00Z", True),
        ("2026-01-05T09:00:01Z", False),
        ("lt2026-01-05T10:00:00+01:00", False),
        ("lt2026-01-05T10:00:01+01:00", True),
    ],
)
def test_prefixes_follow_fhir_semantics(value: str, matches: bool, clock: Any) -> None:
    assert dates.parse(value).matches(DEPOSIT) is matches


@pytest.mark.parametrize(
    "value",
    [
        "20261",
        "2026-13",
        "2026-02-30",
        "2026-01-05T25:00",
        "2026-01-05T10",
        "xx2026",
        "ge",
        "2026-01-05T10:00+15:00",
        "",
    ],
)
def test_what_is_not_a_fhir_date_is_refused(value: str) -> None:
    with pytest.raises(dates.DateSearchError):
        dates.parse(value)


@functools.cache
def _http() -> Client:
    return Client()  # one client: a new one loads the middleware again (half a second)


def _search(token: str, query: str) -> Any:
    return _http().get(f"/fhir/DocumentReference?{query}", headers=bearer(token))


@pytest.fixture
def published(world: World, lab_token: str) -> str:
    response = _http().post(
        "/fhir/", json.dumps(bundle(world.patient)), content_type=FHIR, headers=bearer(lab_token)
    )
    assert response.status_code == 200
    return f"patient={world.patient.public_id}"


SEARCHES = [
    ("date=2026", 1),
    ("date=ge2026-12", 0),
    ("date=ge2026-01", 1),
    ("date=lt2026-12-04T10:00:00" + quote("+01:00"), 1),
    ("date=lt2026-01-05T10:00:00+01:00", 0),  # the unencoded "+" arrives as a space
    ("date=2025,2026", 1),  # a comma is OR
    ("date=ge2026&date=lt2026-01-05", 0),  # repeating is AND
    ("date=ge2026&date=lt2026-01-06", 1),
]


def test_search_accepts_partial_dates_with_prefixes(world: World, lab_token: str, published: str) -> None:
    for dates_query, total in SEARCHES:
        response = _search(lab_token, f"{published}&{dates_query}")
        assert response.status_code == 200, (dates_query, response.content[:300])
        assert response.json()["total"] == total, dates_query


def test_search_with_an_invalid_date_is_a_400_naming_the_parameter(
    world: World, lab_token: str, published: str
) -> None:
    for value in ["2026-13", "yesterday", "ge2026-01-05T25:00"]:
        response = _search(lab_token, f"{published}&date={value}")
        assert response.status_code == 400, value
        issue = response.json()["issue"][0]
        assert issue["expression"] == ["date"] and "2026" in issue["diagnostics"]
