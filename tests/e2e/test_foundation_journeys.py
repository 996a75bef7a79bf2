"""Main journeys of the foundation in a real browser: activation, login with the one-time code,
opposition with its proof, closure (SPEC R-LC-3..5, R-LC-10..13, R-LC-20)."""

from __future__ import annotations

import re

import pytest

from carnet.spaces.models import HealthSpace, SpaceStatus

from .journeys import activate, informed_person, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Tournesol-Bleu-42!"


def test_activation_then_login_with_the_one_time_code_r_lc_10_12(page) -> None:  # type: ignore[no-untyped-def]
    person, code = informed_person()
    activate(page, person, code, "camille.usager", PASSWORD)
    page.wait_for_url(re.compile("/connexion/"))
    assert HealthSpace.objects.get(person=person).status == SpaceStatus.ACTIVATED

    login(page, person, "camille.usager", PASSWORD)
    page.wait_for_url(re.compile("/espace/$"))
    assert page.get_by_role("heading", level=1).is_visible()
    assert "Activé" in page.content()


def test_wrong_one_time_code_keeps_the_user_out_r_lc_12(page) -> None:  # type: ignore[no-untyped-def]
    person, code = informed_person()
    activate(page, person, code, "sacha.usager", PASSWORD)
    page.wait_for_url(re.compile("/connexion/"))
    page.get_by_label(re.compile(r"^Identifiant")).fill("sacha.usager")
    page.get_by_label(re.compile(r"^Mot de passe")).fill(PASSWORD)
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label(re.compile(r"^Code à 6 chiffres")).fill("000000")
    page.get_by_role("button", name="Valider").click()
    assert page.locator(".fr-error-text, .fr-alert--error").first.is_visible()
    page.goto("/espace/")
    assert "/connexion/" in page.url


def test_opposition_within_the_window_yields_a_pdf_proof_r_lc_3_5(page) -> None:  # type: ignore[no-untyped-def]
    person, _code = informed_person()
    page.goto("/opposition/")
    assert "6 semaines" in page.content()
    page.get_by_label(re.compile(r"^Numéro de sécurité sociale")).fill(person.ins_matricule)
    page.get_by_label(re.compile(r"^Numéro de série de la carte Vitale")).fill("12345678901")
    page.get_by_label(re.compile(r"^Date de naissance")).fill("17/05/1980")
    page.get_by_role("button", name="Continuer").click()
    page.get_by_role("button", name="Je confirme mon opposition").click()
    page.wait_for_url(re.compile("/opposition/enregistree/"))
    assert HealthSpace.objects.get(person=person).status == SpaceStatus.OPPOSED
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("attestation", re.IGNORECASE)).first.click()
    path = download_info.value.path()
    with open(path, "rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_closure_with_password_confirmation_logs_out_r_lc_20(page) -> None:  # type: ignore[no-untyped-def]
    person, code = informed_person()
    activate(page, person, code, "dominique.usager", PASSWORD)
    page.wait_for_url(re.compile("/connexion/"))
    login(page, person, "dominique.usager", PASSWORD)
    page.wait_for_url(re.compile("/espace/$"))
    page.goto("/espace/parametres/")
    closure = page.locator("form[action$='/espace/parametres/cloture/']")
    closure.get_by_label(re.compile(r"^Mot de passe")).fill("pas-le-bon-1A!")
    closure.get_by_role("button", name="Clôturer le profil").click()
    assert HealthSpace.objects.get(person=person).status == SpaceStatus.ACTIVATED
    closure = page.locator("form[action$='/espace/parametres/cloture/']")
    closure.get_by_label(re.compile(r"^Mot de passe")).fill(PASSWORD)
    closure.get_by_role("button", name="Clôturer le profil").click()
    page.wait_for_load_state()
    space = HealthSpace.objects.get(person=person)
    assert space.status == SpaceStatus.CLOSED and space.archived_until is not None
    page.goto("/espace/")
    assert "/connexion/" in page.url


def test_the_home_page_fits_a_phone_screen(mobile_page) -> None:  # type: ignore[no-untyped-def]
    mobile_page.goto("/")
    overflow = mobile_page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0


def test_login_form_works_with_the_keyboard_alone(page) -> None:  # type: ignore[no-untyped-def]
    person, code = informed_person()
    activate(page, person, code, "alex.clavier", PASSWORD)
    page.wait_for_url(re.compile("/connexion/"))
    page.goto("/connexion/")
    page.get_by_label(re.compile(r"^Identifiant")).focus()
    page.keyboard.type("alex.clavier")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile("/connexion/code/"))
    assert page.get_by_label(re.compile(r"^Code à 6 chiffres")).is_visible()
