"""The legal pages a French public service links from its footer: "Mentions légales", "Données personnelles",
"Accessibilité" and "Plan du site" — public, French and English, saying what this deployment really does."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client

from carnet.accounts.models import Role, User

pytestmark = pytest.mark.django_db

LEGAL = {
    "/mentions-legales/": ("Mentions légales", "Legal notice"),
    "/donnees-personnelles/": ("Données personnelles", "Personal data"),
    "/accessibilite/": ("Déclaration d'accessibilité", "Accessibility statement"),
    "/plan-du-site/": ("Plan du site", "Site map"),
}


def _get(path: str, language: str = "fr", client: Client | None = None) -> str:
    response = (client or Client()).get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, path
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("path", sorted(LEGAL))
def test_each_legal_page_is_public_in_french_and_in_english(path: str) -> None:
    french, english = LEGAL[path]
    assert f"<h1>{french}</h1>" in _get(path)
    page = _get(path, "en")
    assert f"<h1>{english}</h1>" in page and '<html lang="en"' in page


@pytest.mark.parametrize("page", ["/", "/connexion/", "/aide/"])
def test_the_footer_links_every_legal_page(page: str) -> None:
    body = _get(page)
    footer = body[body.index('<footer class="fr-footer"') :]
    for path in LEGAL:
        assert f'href="{path}"' in footer
    assert "Accessibilité : non conforme" in footer


def test_the_legal_notice_names_the_operator_when_one_is_configured(settings: Any) -> None:
    assert "aucun opérateur réel" in _get("/mentions-legales/")
    settings.CARNET_OPERATOR_NAME = "Caisse primaire de démonstration"
    settings.CARNET_OPERATOR_ADDRESS = "1 rue de la Santé, 75014 Paris"
    settings.CARNET_PUBLICATION_DIRECTOR = "Camille Dupont"
    settings.CARNET_HOSTING = "Hébergeur HDS, 2 avenue des Serveurs, 59000 Lille"
    page = _get("/mentions-legales/")
    for configured in (
        "Caisse primaire de démonstration",
        "1 rue de la Santé",
        "Camille Dupont",
        "Hébergeur HDS",
    ):
        assert configured in page
    assert "aucun opérateur réel" not in page


def test_the_personal_data_page_gives_the_retention_the_service_applies(settings: Any) -> None:
    """The durations come from the settings the lifecycle uses: page and behaviour cannot drift apart."""
    page = _get("/donnees-personnelles/")
    assert "archivées pendant 10 ans, puis supprimées" in page
    assert "au plus tard 90 jours après votre demande" in page
    assert "vous avez 42 jours pour vous y opposer" in page
    settings.CARNET_ARCHIVE_YEARS = 1
    settings.CARNET_DELETION_DELAY_DAYS = 30
    page = _get("/donnees-personnelles/")
    assert "archivées pendant 1 an, puis supprimées" in page and "au plus tard 30 jours" in page
    english = _get("/donnees-personnelles/", "en")
    assert "archived for 1 year, then deleted" in english


def test_the_personal_data_page_says_what_why_on_which_basis_and_the_rights(settings: Any) -> None:
    page = _get("/donnees-personnelles/")
    for heading in (
        "Responsable du traitement",
        "À quoi servent vos données",
        "Base légale",
        "Les données traitées",
        "Qui peut voir vos données",
        "Combien de temps vos données sont gardées",
        "Vos droits",
        "Délégué à la protection des données",
        "Cookies",
    ):
        assert f"<h2>{heading}</h2>" in page
    assert "article 6.1.e" in page and "CNIL" in page
    settings.CARNET_DPO_CONTACT = "dpo@exemple.fr"
    assert "Vous pouvez écrire au délégué à la protection des données : dpo@exemple.fr." in _get(
        "/donnees-personnelles/"
    )


def test_the_accessibility_statement_is_an_rgaa_declaration() -> None:
    page = _get("/accessibilite/")
    for heading in (
        "État de conformité",
        "Résultats des tests",
        "Contenus non accessibles",
        "Établissement de cette déclaration",
        "Retour d'information et contact",
        "Voies de recours",
    ):
        assert f"<h2>{heading}</h2>" in page
    assert "n'est pas en conformité avec le référentiel général d'amélioration de l'accessibilité" in page
    assert "axe-core" in page and "Défenseur des droits" in page


def test_the_site_map_links_pages_that_exist_for_each_role(settings: Any) -> None:
    """Every link of the plan answers: 200 for its role, or the login page for an anonymous visitor."""
    settings.CARNET_DEMO = False
    page = _get("/plan-du-site/")
    for section in ("Pages publiques", "Mon espace santé", "Espace professionnel", "Back-office"):
        assert f"<h2>{section}</h2>" in page
    assert "Démonstration" not in page
    links = re.findall(r'<li><a href="(/[^"]*)">', page[page.index("<h1>") :])
    assert len(links) > 40
    anonymous = Client()
    for link in links:
        response = anonymous.get(link)
        assert response.status_code in (200, 302), link
        if response.status_code == 302:
            assert response["Location"].startswith("/connexion/"), link


def test_the_site_map_shows_the_demo_pages_on_a_demo(settings: Any) -> None:
    settings.CARNET_DEMO = True
    page = _get("/plan-du-site/")
    assert 'href="/demo/outbox/"' in page and 'href="/demo/horloge/"' in page


def test_the_legal_pages_are_reachable_when_logged_in() -> None:
    client = Client()
    client.force_login(User.objects.create_user(username="operateur-test", password="x", role=Role.OPERATOR))
    assert "Mentions légales" in _get("/mentions-legales/", client=client)
