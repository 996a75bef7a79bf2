"""What the pages say, crawled as each kind of user of the demo population, in French and in English.

No internal reference reaches a page: no SPEC rule id (``R-AG-3``), no "SPEC §6", no data file name
(``data/vaccines.json``), no raw code (``SPACE_ACTIVATED``, ``INFORMATION_SENT``); dates are written in words
("5 décembre 2026"), never "05/12/2026"; and in English no label that comes from a data file (a profession,
a document type, a prevention item, its source) is left in French.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from carnet.accounts.models import User
from carnet.demo import population as demo
from carnet.identity.models import Person
from carnet.spaces.acting import SESSION_KEY
from tests.security.test_csp_crawl import crawl

from .visible import visible_text

pytestmark = pytest.mark.django_db

INTERNAL = re.compile(
    r"\bR-[A-Z]{2,5}(?:-\d+)?\b|\bSPEC\b|§|\bdata/[\w/.-]+|\b\w+\.(?:json|csv)\b|\[I\]|\bJDV_J\d+|"
    r"\b[A-Z]{2,}(?:_[A-Z0-9]+)+\b"
)
NUMERIC_DATE = re.compile(r"\b\d{2}/\d{2}/\d{4}\b")


def _data_labels() -> set[str]:
    """The French labels of the data files (professions, document types, prevention texts)."""
    from carnet.data import data_strings

    return set(data_strings.STRINGS)


@pytest.fixture
def population(settings: Any) -> None:
    settings.CARNET_DEMO = True
    demo.load()


def _client(username: str, language: str, acting_for: Person | None = None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(User.objects.get(username=username))
    if acting_for is not None:
        session = client.session
        session[SESSION_KEY] = str(acting_for.public_id)
        session.save()
    return client


def _pages(language: str) -> dict[str, list[str]]:
    claire = Person.objects.get(first_names__startswith="Claire")
    lucas = Person.objects.get(first_names__startswith="Lucas")
    jean = Person.objects.get(first_names__startswith="Jean")
    visits = [
        (
            Client(HTTP_ACCEPT_LANGUAGE=language),
            ["/", "/mentions-legales/", "/plan-du-site/", "/demo/horloge/"],
        ),
        (_client("claire.martin", language), ["/espace/"]),
        (_client("claire.martin", language, acting_for=lucas), ["/espace/", "/espace/prevention/"]),
        (
            _client("lea.petit", language, acting_for=jean),
            ["/espace/prevention/", "/espace/profil/entourage/"],
        ),
        (_client("dr.durand", language), ["/pro/", f"/pro/patients/{claire.public_id}/"]),
        (_client("pharma.moreau", language), [f"/pro/patients/{claire.public_id}/vaccinations/"]),
        (_client("operateur.demo", language), ["/backoffice/", "/demo/outbox/"]),
    ]
    pages: dict[str, list[str]] = {}
    for number, (client, starts) in enumerate(visits):
        for path, response in crawl(client, starts).items():
            pages[f"{path} (visit {number}, {language})"] = visible_text(response.content.decode())
    return pages


@pytest.mark.parametrize("language", ["fr", "en"])
def test_no_page_shows_a_rule_id_a_file_name_a_raw_code_or_a_numeric_date(
    population: None, language: str
) -> None:
    pages = _pages(language)
    assert len(pages) > 150
    found = [
        f"{page}: {text!r}"
        for page, texts in pages.items()
        for text in texts
        if INTERNAL.search(text) or NUMERIC_DATE.search(text)
    ]
    assert found == []


def test_no_data_label_is_left_in_french_on_english_pages(population: None) -> None:
    labels = {label for label in _data_labels() if len(label) > 8}
    assert len(labels) > 150
    with translation.override("en"):
        pages = _pages("en")
    found = sorted(
        {
            f"{page}: {label!r}"
            for page, texts in pages.items()
            for text in texts
            for label in labels
            if label in text
        }
    )
    assert found == []
