"""Form error messages come back in the visitor's language (French by default, English when chosen).

The messages are French ``gettext_lazy`` strings (our validators, our services' DomainError and Django's own
"This field is required."); they are translated when the page is rendered, in the request's language.
"""

from __future__ import annotations

import html

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

NIR_WITHOUT_KEY = "1800175123456"
WRONG_KEY = f"{NIR_WITHOUT_KEY}{(97 - int(NIR_WITHOUT_KEY) % 97 + 1) % 97:02d}"
VALID_NIR = f"{NIR_WITHOUT_KEY}{97 - int(NIR_WITHOUT_KEY) % 97:02d}"


def _post(client: Client, url: str, data: dict[str, str], language: str | None) -> str:
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    response = client.post(url, data, **headers)
    assert response.status_code == 200  # the form is shown again, with its errors
    return html.unescape(response.content.decode())


def _opposition(nir: str) -> dict[str, str]:
    return {"nir": nir, "vitale_serial": "12345678901", "birth_date": "1980-01-17", "code": ""}


def _activation(nir: str, code: str = "ABCD-EFGH-JKLM") -> dict[str, str]:
    return {"code": code, "nir": nir, "vitale_serial": "12345678901", "birth_date": "17/01/1980"}


def test_short_nir_on_the_opposition_form_is_explained_in_english(client: Client) -> None:
    page = _post(client, "/opposition/", _opposition(NIR_WITHOUT_KEY + "1"), "en")
    assert "The social security number must be 15 characters long." in page
    assert "Le numéro de sécurité sociale doit comporter 15 caractères." not in page


def test_short_nir_on_the_opposition_form_is_explained_in_french_by_default(client: Client) -> None:
    page = _post(client, "/opposition/", _opposition(NIR_WITHOUT_KEY + "1"), None)
    assert "Le numéro de sécurité sociale doit comporter 15 caractères." in page
    assert "The social security number must be 15 characters long." not in page


def test_wrong_nir_key_on_the_activation_form_is_explained_in_english(client: Client) -> None:
    page = _post(client, "/activation/", _activation(WRONG_KEY), "en")
    assert "The key of the social security number is incorrect: check the last two digits." in page


def test_wrong_nir_key_on_the_activation_form_is_explained_in_french_by_default(client: Client) -> None:
    page = _post(client, "/activation/", _activation(WRONG_KEY), "fr")
    assert (
        "La clé du numéro de sécurité sociale est incorrecte : vérifiez les deux derniers chiffres." in page
    )


def test_short_provisional_code_is_explained_in_english(client: Client) -> None:
    page = _post(client, "/activation/", _activation(VALID_NIR, code="ABC"), "en")
    assert "The provisional code must be 12 characters long." in page


def test_djangos_own_required_field_message_follows_the_language(client: Client) -> None:
    english = _post(client, "/opposition/", _opposition(""), "en")
    french = _post(client, "/opposition/", _opposition(""), None)
    assert "This field is required." in english
    assert "Ce champ est obligatoire." in french


def test_unknown_identity_on_the_opposition_form_gets_the_generic_message_in_english(client: Client) -> None:
    """Well-formed but unknown: the same generic message as for any mismatch (never says what is wrong)."""
    page = _post(client, "/opposition/", _opposition(VALID_NIR), "en")
    assert "We could not identify you from the information entered." in page
    assert "Les informations saisies ne permettent pas de vous identifier." not in page


def test_unknown_identity_on_the_opposition_form_gets_the_generic_message_in_french(client: Client) -> None:
    page = _post(client, "/opposition/", _opposition(VALID_NIR), None)
    assert "Les informations saisies ne permettent pas de vous identifier." in page
