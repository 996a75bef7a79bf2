"""Public pages follow the visitor's language: English when asked for, French (the default) otherwise.

LocaleMiddleware picks the language from the ``django_language`` cookie set by ``/i18n/setlang/``, then from the
``Accept-Language`` header; ``LANGUAGE_CODE = "fr"`` is the fallback.
"""

from __future__ import annotations

import html

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

# URL -> (strings expected in English, strings expected in French)
PAGES = {
    "/": (
        ["Carnet, your personal health space", "Created for you, unless you object", "Activate my profile"],
        ["Carnet, votre espace santé personnel", "Créé pour vous, sauf si vous vous y opposez"],
    ),
    "/activation/": (
        [
            "Activate my profile",
            "Provisional code",
            "Social security number (NIR)",
            "carte Vitale serial number",
        ],
        ["Activer mon profil", "Code provisoire", "Numéro de sécurité sociale"],
    ),
    "/connexion/": (
        ["Log in", "Username", "Password", "Activate my profile with my provisional code"],
        ["Se connecter", "Identifiant", "Mot de passe"],
    ),
    "/opposition/": (
        [
            "Object to the creation of my profile",
            "You have the right to refuse the creation of your health space",
        ],
        [
            "S'opposer à la création de mon profil",
            "Vous avez le droit de refuser la création de votre espace santé",
        ],
    ),
    "/aide/": (
        ["Ask for help", "Do not include any medical information", "Send my request"],
        ["Demander de l'aide", "N'indiquez aucune information médicale", "Envoyer ma demande"],
    ),
}


def _text(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("url", list(PAGES))
def test_public_page_is_in_english_when_the_browser_asks_for_english(client: Client, url: str) -> None:
    page = _text(client.get(url, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9"))
    assert '<html lang="en"' in page
    for expected in PAGES[url][0]:
        assert expected in page, expected
    for french in PAGES[url][1]:
        assert french not in page, french


@pytest.mark.parametrize("url", list(PAGES))
def test_public_page_stays_in_french_by_default(client: Client, url: str) -> None:
    page = _text(client.get(url))
    assert '<html lang="fr"' in page
    for expected in PAGES[url][1]:
        assert expected in page, expected
    for english in PAGES[url][0]:
        assert english not in page, english


@pytest.mark.parametrize("url", list(PAGES))
def test_public_page_is_in_french_when_the_browser_asks_for_french(client: Client, url: str) -> None:
    page = _text(client.get(url, HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9,en;q=0.5"))
    assert '<html lang="fr"' in page
    assert PAGES[url][1][0] in page


def test_language_switch_button_sets_english_for_the_following_pages(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/opposition/"})
    assert response.status_code == 302
    assert response["Location"] == "/opposition/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = _text(client.get("/opposition/", HTTP_ACCEPT_LANGUAGE="fr"))  # the explicit choice wins
    assert '<html lang="en"' in page
    assert "Object to the creation of my profile" in page


def test_language_switch_button_brings_french_back(client: Client) -> None:
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    page = _text(client.get("/"))
    assert '<html lang="fr"' in page
    assert "Carnet, votre espace santé personnel" in page


def test_header_offers_the_other_language_with_its_own_lang_attribute(client: Client) -> None:
    french_page = _text(client.get("/"))
    english_page = _text(client.get("/", HTTP_ACCEPT_LANGUAGE="en"))
    assert 'value="en" lang="en">EN - English</button>' in french_page
    assert 'value="fr" lang="fr">FR - Français</button>' in english_page
