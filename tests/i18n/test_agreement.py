"""French that agrees with the person it is about, on the demo population's pages: "née le" for Claire,
"représentante légale" for her and "représentant légal" for Hugo, "aux femmes", "1 non lue", "d'Anne"…"""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.test import Client

from carnet.accounts.models import User
from carnet.demo import population as demo
from carnet.identity.models import Person
from carnet.notifications.models import InAppNotification
from carnet.spaces.acting import SESSION_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def population(settings: Any) -> None:
    settings.CARNET_DEMO = True
    demo.load()


def _person(first_name: str) -> Person:
    return Person.objects.get(first_names__startswith=first_name)


def _page(username: str, path: str, *, acting_for: str = "", language: str = "fr") -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(User.objects.get(username=username))
    if acting_for:
        session = client.session
        session[SESSION_KEY] = str(_person(acting_for).public_id)
        session.save()
    response = client.get(path)
    assert response.status_code == 200, path
    return html.unescape(response.content.decode())


def test_a_professional_reads_nee_for_a_woman_and_ne_for_a_man(population: None) -> None:
    claire, jean = _person("Claire"), _person("Jean")
    assert "Claire MARTIN — née le 17 mai 1980" in _page("dr.durand", f"/pro/patients/{claire.public_id}/")
    assert "Jean DUBOIS — né le 23 novembre 1947" in _page("dr.durand", f"/pro/patients/{jean.public_id}/")
    assert "born on 17 May 1980" in _page("dr.durand", f"/pro/patients/{claire.public_id}/", language="en")


def test_a_mother_acts_as_representante_legale_and_a_father_as_representant_legal(population: None) -> None:
    assert "Vous agissez pour Lucas MARTIN (représentante légale)" in _page(
        "claire.martin", "/espace/", acting_for="Lucas"
    )
    entourage = _page("claire.martin", "/espace/profil/entourage/", acting_for="Lucas")
    assert "Claire MARTIN — représentante légale" in entourage
    assert "Hugo MARTIN — représentant légal" in entourage
    settings_page = _page("claire.martin", "/espace/parametres/")
    assert "Lucas MARTIN — représentante légale" in settings_page  # the "act for" switch
    assert "Lucas MARTIN — représentante légale principale" in settings_page


def test_a_woman_helping_a_relative_is_his_proche_aidante(population: None) -> None:
    assert "Vous agissez pour Jean DUBOIS (proche aidante)" in _page(
        "lea.petit", "/espace/", acting_for="Jean"
    )
    assert "Léa PETIT — proche aidante" in _page("lea.petit", "/espace/profil/entourage/", acting_for="Jean")


def test_prevention_is_offered_aux_femmes(population: None) -> None:
    page = _page("lea.petit", "/espace/prevention/")
    assert "Proposé aux femmes de 35 à 39 ans." in page
    assert "à les femmes" not in page


def test_one_unread_notification_is_1_non_lue(population: None) -> None:
    claire = _person("Claire")
    unread = InAppNotification.objects.filter(patient_id=claire.pk, read_at__isnull=True)
    unread.exclude(pk=unread.order_by("pk").first().pk).update(read_at=unread.first().created_at)
    page = _page("claire.martin", "/espace/notifications/")
    assert "1 non lue<" in page and "1 non lues" not in page


def test_the_history_links_each_object_with_its_own_words(population: None) -> None:
    page = _page("claire.martin", "/espace/historique/", acting_for="Lucas")
    assert "historique de cette délégation" in page
    assert "historique de ce Délégation" not in page


def test_a_professional_is_given_access_since_a_date_without_il_or_elle(population: None) -> None:
    page = _page("claire.martin", "/espace/acces/")
    assert (
        page.count("Accès à mes informations de santé depuis le ") == 3
    )  # Dr Durand, Dr Leroy, Sophie Moreau
    assert "Il peut consulter" not in page
