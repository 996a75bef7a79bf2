"""Professionals and operators: TOTP second factor, enrolment at first login, ``create_staff`` (R-LC-12)."""

from __future__ import annotations

import re

import pyotp
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from carnet.accounts.crypto import secret_decrypt
from carnet.accounts.models import Role, User
from tests.factories import ProfessionalFactory

from .conftest import PASSWORD, make_staff, text

pytestmark = pytest.mark.django_db


def _totp_now(secret: str, clock) -> str:
    return pyotp.TOTP(secret).at(clock.now())


def _password_step(client: Client, username: str) -> str:
    response = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return str(response["Location"])


def _enrol(client: Client, user: User, clock) -> str:
    """First login up to the enrolment page; returns the secret shown in text."""
    assert _password_step(client, user.username) == reverse("accounts:totp_enrol")
    body = client.get(reverse("accounts:totp_enrol")).content.decode()
    found = re.search(r'<code id="totp-secret" translate="no">([A-Z2-7 ]+)</code>', body)
    assert found is not None
    return found.group(1).replace(" ", "")


def test_first_login_of_a_professional_shows_the_enrolment_page_with_an_inline_svg_qr_code(
    client: Client, clock
) -> None:
    user = make_staff(Role.PROFESSIONAL, "dr.durand.anne")
    _enrol(client, user, clock)
    body = client.get(reverse("accounts:totp_enrol")).content.decode()
    assert "<svg" in body
    assert "<script src=" not in body.split("<main")[1].split("</main>")[0]


def test_the_totp_secret_is_encrypted_at_rest(client: Client, clock) -> None:
    user = make_staff(Role.PROFESSIONAL, "dr.durand.anne")
    secret = _enrol(client, user, clock)
    user.refresh_from_db()
    assert secret not in user.totp_secret_encrypted
    assert secret_decrypt(user.totp_secret_encrypted, context=str(user.public_id)) == secret


def test_enrolment_is_confirmed_by_a_first_code_and_logs_in(client: Client, clock) -> None:
    user = make_staff(Role.PROFESSIONAL, "dr.durand.anne")
    secret = _enrol(client, user, clock)
    response = client.post(reverse("accounts:totp_enrol"), {"code": _totp_now(secret, clock)})
    assert response.status_code == 302
    assert response["Location"] == reverse("spaces:pro_home")
    user.refresh_from_db()
    assert user.totp_confirmed
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_wrong_enrolment_code_is_refused(client: Client, clock) -> None:
    user = make_staff(Role.PROFESSIONAL, "dr.durand.anne")
    secret = _enrol(client, user, clock)
    right = _totp_now(secret, clock)
    wrong = "000000" if right != "000000" else "111111"
    response = client.post(reverse("accounts:totp_enrol"), {"code": wrong})
    assert "Le code saisi est incorrect." in text(response)
    user.refresh_from_db()
    assert not user.totp_confirmed


def test_an_enrolled_professional_logs_in_with_his_app_code(client: Client, clock) -> None:
    user = make_staff(Role.PROFESSIONAL, "dr.durand.anne")
    secret = _enrol(client, user, clock)
    client.post(reverse("accounts:totp_enrol"), {"code": _totp_now(secret, clock)})
    client.post(reverse("accounts:logout"))
    clock.advance(seconds=60)
    browser = Client()
    assert _password_step(browser, user.username) == reverse("accounts:login_code")
    response = browser.post(reverse("accounts:login_code"), {"code": _totp_now(secret, clock)})
    assert response["Location"] == reverse("spaces:pro_home")


def test_a_totp_code_is_never_accepted_twice(client: Client, clock) -> None:
    user = make_staff(Role.PROFESSIONAL, "dr.durand.anne")
    secret = _enrol(client, user, clock)
    code = _totp_now(secret, clock)
    client.post(reverse("accounts:totp_enrol"), {"code": code})
    browser = Client()
    _password_step(browser, user.username)
    response = browser.post(reverse("accounts:login_code"), {"code": code})
    assert response.status_code == 200
    assert "_auth_user_id" not in browser.session


def test_an_operator_lands_on_the_back_office(client: Client, clock) -> None:
    user = make_staff(Role.OPERATOR, "operateur.paris")
    secret = _enrol(client, user, clock)
    response = client.post(reverse("accounts:totp_enrol"), {"code": _totp_now(secret, clock)})
    assert response["Location"] == reverse("backoffice:home")


def test_patients_never_see_the_enrolment_page(
    client: Client, clock, django_capture_on_commit_callbacks
) -> None:
    from .conftest import login_password, make_patient

    user = make_patient()
    login_password(client, django_capture_on_commit_callbacks, user.username)
    response = client.get(reverse("accounts:totp_enrol"))
    assert response["Location"] == reverse("accounts:login_code")


def test_create_staff_creates_a_professional_with_the_password_from_the_environment(monkeypatch) -> None:
    professional = ProfessionalFactory()
    monkeypatch.setenv("CARNET_NEW_PASSWORD", PASSWORD)
    call_command("create_staff", role="professional", username="dr.leroy.paul", rpps=professional.rpps)
    user = User.objects.get(username="dr.leroy.paul")
    assert user.role == Role.PROFESSIONAL and user.professional == professional
    assert user.check_password(PASSWORD) and user.password.startswith("argon2$")
    assert not user.totp_confirmed


def test_create_staff_creates_an_operator(monkeypatch) -> None:
    monkeypatch.setenv("CARNET_NEW_PASSWORD", PASSWORD)
    call_command("create_staff", role="operator", username="operateur.lyon")
    assert User.objects.get(username="operateur.lyon").role == Role.OPERATOR


def test_create_staff_refuses_a_weak_password(monkeypatch) -> None:
    monkeypatch.setenv("CARNET_NEW_PASSWORD", "faible")
    with pytest.raises(CommandError, match="9 caractères"):
        call_command("create_staff", role="operator", username="operateur.lyon")
    assert not User.objects.exists()


def test_create_staff_refuses_an_unknown_rpps(monkeypatch) -> None:
    monkeypatch.setenv("CARNET_NEW_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="RPPS"):
        call_command("create_staff", role="professional", username="dr.inconnu", rpps="10000000000")
    assert not User.objects.exists()


def test_create_staff_prompts_for_the_password_when_the_environment_has_none(monkeypatch) -> None:
    monkeypatch.delenv("CARNET_NEW_PASSWORD", raising=False)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": PASSWORD)
    call_command("create_staff", role="operator", username="operateur.lille")
    assert User.objects.get(username="operateur.lille").check_password(PASSWORD)


def test_the_enrolment_page_is_never_cached(client: Client, clock) -> None:
    """The page shows the TOTP secret: browsers and proxies must not keep it."""
    user = make_staff(Role.OPERATOR, "operateur.paris")
    _enrol(client, user, clock)
    response = client.get(reverse("accounts:totp_enrol"))
    assert "no-store" in response["Cache-Control"]
