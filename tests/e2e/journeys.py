"""Steps shared by the browser tests: arranging people through the real services, reading the outbox."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pyotp

from carnet.accounts.models import User
from carnet.accounts.services import staff_create, totp_enrolment_secret
from carnet.common.actors import Actor
from carnet.identity.models import Person, Professional
from carnet.notifications.models import DeliveredMessage
from carnet.spaces.services import space_inform
from tests.factories import PersonFactory

VITALE = "12345678901"  # the serial every factory person carries
BIRTH = date(1980, 5, 17)


def informed_person(**traits: object) -> tuple[Person, str]:
    person = PersonFactory(birth_date=BIRTH, **traits)
    _space, code = space_inform(person=person, actor=Actor.insurance())
    return person, code


def last_login_code(address: str) -> str:
    message = DeliveredMessage.objects.filter(address=address, body__contains="code de connexion").latest(
        "id"
    )
    found = re.search(r"\b(\d{6})\b", message.body)
    assert found, "the login e-mail carries a 6-digit code"
    return found.group(1)


def activate(page, person: Person, code: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/activation/")
    page.get_by_label("Code provisoire", exact=False).first.fill(code)
    page.get_by_label(re.compile(r"^Numéro de sécurité sociale")).fill(person.ins_matricule)
    page.get_by_label(re.compile(r"^Numéro de série de la carte Vitale")).fill(VITALE)
    page.get_by_label(re.compile(r"^Date de naissance")).fill(BIRTH.strftime("%d/%m/%Y"))
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label(re.compile(r"^Identifiant")).fill(username)
    page.get_by_label(re.compile(r"^Mot de passe")).fill(password)
    page.get_by_label(re.compile(r"^Confirmation du mot de passe")).fill(password)
    page.locator("label", has_text="Par e-mail").click()
    page.locator("label", has_text="conditions générales").click(position={"x": 6, "y": 10})
    page.get_by_role("button", name="Activer mon profil", exact=True).click()


def login(page, person: Person, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/connexion/")
    page.get_by_label(re.compile(r"^Identifiant")).fill(username)
    page.get_by_label(re.compile(r"^Mot de passe")).fill(password)
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label(re.compile(r"^Code à 6 chiffres")).fill(last_login_code(person.email))
    page.get_by_role("button", name="Valider").click()


PATIENT_PASSWORD = "x-Motdepasse-1234"  # the password of tests.records.helpers.give_account
PRO_PASSWORD = "Stethoscope-Vert-73!"


def other_page(browser: Any, live_server: Any) -> Any:
    """A second browser context (another person at another computer)."""
    context = browser.new_context(
        base_url=live_server.url, locale="fr-FR", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def professional_login(page: Any, professional: Professional, username: str) -> None:
    """A professional with a confirmed TOTP logs in through the pages (password, then his app's code)."""
    user = staff_create(role="PROFESSIONAL", username=username, password=PRO_PASSWORD, rpps=professional.rpps)
    secret = totp_enrolment_secret(user=user)
    User.objects.filter(pk=user.pk).update(totp_confirmed=True)
    page.goto("/connexion/")
    page.get_by_label(re.compile(r"^Identifiant")).fill(username)
    page.get_by_label(re.compile(r"^Mot de passe")).fill(PRO_PASSWORD)
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label(re.compile(r"^Code à 6 chiffres")).fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Valider").click()
    page.wait_for_url(re.compile("/pro/$"))


def world_patient_login(page: Any, world: Any) -> None:
    """The patient of a ``tests.records.helpers.World`` logs in with his one-time code."""
    user = User.objects.get(person=world.patient)
    login(page, world.patient, user.username, PATIENT_PASSWORD)
    page.wait_for_url(re.compile("/espace/$"))
