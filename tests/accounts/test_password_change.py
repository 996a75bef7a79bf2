"""Password change of the logged-in patient (R-LC-11); never for someone else (R-DEL-2)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from carnet.audit.selectors import traces_for_patient

from .conftest import PASSWORD, login_fully, make_patient, text

pytestmark = pytest.mark.django_db

NEW = "Autre-Solide!42"


def _change(client: Client, current: str = PASSWORD, new: str = NEW, confirm: str | None = None):
    return client.post(
        reverse("accounts:password_change"),
        {"current_password": current, "new_password": new, "new_password_confirm": confirm or new},
    )


def test_a_patient_changes_his_own_password(client: Client, django_capture_on_commit_callbacks) -> None:
    user = make_patient()
    login_fully(client, django_capture_on_commit_callbacks, user)
    response = _change(client)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert client.get(reverse("spaces:home")).status_code == 200  # this session stays logged in
    assert traces_for_patient(user.person_id).filter(action="PASSWORD_CHANGED").exists()  # type: ignore[arg-type]


def test_the_current_password_is_required(client: Client, django_capture_on_commit_callbacks) -> None:
    user = make_patient()
    login_fully(client, django_capture_on_commit_callbacks, user)
    response = _change(client, current="Mauvais-1!x")
    assert "Le mot de passe actuel est incorrect." in text(response)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_the_new_password_follows_the_rules_R_LC_11(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    user = make_patient()
    login_fully(client, django_capture_on_commit_callbacks, user)
    response = _change(client, new="faible")
    assert "au moins 9 caractères" in text(response)
    assert "fr-input-group--error" in text(response)


def test_other_devices_are_logged_out_after_a_password_change(django_capture_on_commit_callbacks) -> None:
    user = make_patient()
    first, second = Client(), Client()
    login_fully(first, django_capture_on_commit_callbacks, user)
    login_fully(second, django_capture_on_commit_callbacks, user)
    _change(first)
    assert second.get(reverse("spaces:home")).status_code == 302


def test_a_caregiver_acting_for_someone_cannot_change_credentials_R_DEL_2(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    user = make_patient()
    helped = make_patient(username="personne.aidee")
    login_fully(client, django_capture_on_commit_callbacks, user)
    session = client.session
    session["acting_for"] = str(helped.person.public_id)  # type: ignore[union-attr]
    session.save()
    response = _change(client)
    assert response.status_code == 403
    user.refresh_from_db()
    helped.refresh_from_db()
    assert user.check_password(PASSWORD) and helped.check_password(PASSWORD)


def test_the_page_requires_login() -> None:
    response = Client().get(reverse("accounts:password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
