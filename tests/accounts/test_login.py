"""Patient login with a one-time code, lockout, throttling (SPEC R-LC-12)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from carnet.accounts.models import Device, LoginChallenge
from carnet.audit.selectors import traces_for_patient
from carnet.common.actors import Actor
from carnet.notifications.models import DeliveredMessage
from carnet.spaces.models import SpaceStatus
from carnet.spaces.services import space_transition

from .conftest import (
    CHROME_LINUX,
    PASSWORD,
    last_code,
    login_fully,
    login_mails,
    login_password,
    make_patient,
    normalise,
    text,
)

pytestmark = pytest.mark.django_db

REFUSED = "Identifiant ou mot de passe incorrect."
TRY_LATER = "réessayez plus tard"


def test_patient_receives_a_six_digit_code_by_email_R_LC_12(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    user = make_patient()
    response = login_password(client, django_capture_on_commit_callbacks, user.username)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login_code")
    assert user.person is not None
    message = DeliveredMessage.objects.get(address=user.person.email, outbox__template="login_code")
    assert "3 minutes" in message.body
    assert len(last_code(user.person.email)) == 6


def test_the_code_is_stored_hashed_not_in_clear(client: Client, django_capture_on_commit_callbacks) -> None:
    user = make_patient()
    login_password(client, django_capture_on_commit_callbacks, user.username)
    challenge = LoginChallenge.objects.get(user=user)
    assert last_code() not in challenge.code_hash
    assert len(challenge.code_hash) == 64


def test_the_right_code_logs_the_patient_in_and_goes_to_his_space_R_LC_12(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    user = make_patient()
    response = login_fully(client, django_capture_on_commit_callbacks, user)
    assert response.status_code == 302
    assert response["Location"] == reverse("spaces:home")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_password_alone_does_not_log_in_R_LC_12(client: Client, django_capture_on_commit_callbacks) -> None:
    user = make_patient()
    login_password(client, django_capture_on_commit_callbacks, user.username)
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("spaces:home")).status_code == 302


def test_login_is_traced_on_the_patient_chain(client: Client, django_capture_on_commit_callbacks) -> None:
    user = make_patient()
    login_fully(client, django_capture_on_commit_callbacks, user)
    assert traces_for_patient(user.person_id).filter(action="LOGIN").count() == 1  # type: ignore[arg-type]


def test_the_session_key_is_rotated_at_login(client: Client, django_capture_on_commit_callbacks) -> None:
    user = make_patient()
    login_password(client, django_capture_on_commit_callbacks, user.username)
    before = client.session.session_key
    assert before
    client.post(reverse("accounts:login_code"), {"code": last_code()})
    assert client.session.session_key != before


def test_login_enrols_the_browser_as_a_device_R_LC_12(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    user = make_patient()
    login_fully(client, django_capture_on_commit_callbacks, user, HTTP_USER_AGENT=CHROME_LINUX)
    device = Device.objects.get(user=user)
    assert device.label == "Chrome sur Linux"
    assert device.session_key == client.session.session_key


def test_a_wrong_code_is_refused(client: Client, django_capture_on_commit_callbacks) -> None:
    user = make_patient()
    login_password(client, django_capture_on_commit_callbacks, user.username)
    wrong = "000000" if last_code() != "000000" else "111111"
    response = client.post(reverse("accounts:login_code"), {"code": wrong})
    assert response.status_code == 200
    assert "Le code saisi est incorrect." in text(response)
    assert "_auth_user_id" not in client.session


def test_the_code_expires_after_three_minutes_R_LC_12(
    client: Client, clock, django_capture_on_commit_callbacks
) -> None:
    user = make_patient()
    login_password(client, django_capture_on_commit_callbacks, user.username)
    clock.advance(seconds=181)
    response = client.post(reverse("accounts:login_code"), {"code": last_code()})
    assert "Ce code a expiré" in text(response)
    assert "_auth_user_id" not in client.session


def test_a_code_is_refused_after_the_maximum_number_of_attempts(
    client: Client, settings, django_capture_on_commit_callbacks
) -> None:
    settings.CARNET_LOCKOUT_THRESHOLD = 100  # isolate the per-challenge limit from the account lockout
    user = make_patient()
    login_password(client, django_capture_on_commit_callbacks, user.username)
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(settings.CARNET_OTP_MAX_ATTEMPTS):
        client.post(reverse("accounts:login_code"), {"code": wrong})
    response = client.post(reverse("accounts:login_code"), {"code": code})
    assert "Trop d'essais pour ce code" in text(response)
    assert "_auth_user_id" not in client.session


def test_resending_replaces_the_previous_code(
    client: Client, clock, django_capture_on_commit_callbacks
) -> None:
    user = make_patient()
    login_password(client, django_capture_on_commit_callbacks, user.username)
    first = last_code()
    clock.advance(seconds=31)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:login_code_resend"))
    assert len(login_mails()) == 2
    second = last_code()
    if first != second:
        response = client.post(reverse("accounts:login_code"), {"code": first})
        assert "_auth_user_id" not in client.session
        assert response.status_code == 200
    client.post(reverse("accounts:login_code"), {"code": second})
    assert client.session["_auth_user_id"] == str(user.pk)


def test_resending_is_rate_limited(client: Client, django_capture_on_commit_callbacks) -> None:
    user = make_patient()
    login_password(client, django_capture_on_commit_callbacks, user.username)
    response = client.post(reverse("accounts:login_code_resend"), follow=True)
    assert "Patientez quelques secondes" in text(response)
    assert LoginChallenge.objects.filter(user=user).count() == 1


def test_five_wrong_passwords_lock_the_account_R_LC_12(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    user = make_patient()
    for _ in range(4):
        response = login_password(client, django_capture_on_commit_callbacks, user.username, "Mauvais-1!x")
        assert REFUSED in text(response) and TRY_LATER not in text(response)
    response = login_password(client, django_capture_on_commit_callbacks, user.username, "Mauvais-1!x")
    assert TRY_LATER in text(response)
    user.refresh_from_db()
    assert user.locked_until is not None


def test_a_locked_account_refuses_even_the_right_password_R_LC_12(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    user = make_patient()
    for _ in range(5):
        login_password(client, django_capture_on_commit_callbacks, user.username, "Mauvais-1!x")
    response = login_password(client, django_capture_on_commit_callbacks, user.username)
    assert response.status_code == 200
    assert REFUSED in text(response) and TRY_LATER in text(response)
    assert not LoginChallenge.objects.filter(user=user).exists()
    assert login_mails() == []


def test_the_lock_ends_after_fifteen_minutes_R_LC_12(
    client: Client, clock, django_capture_on_commit_callbacks
) -> None:
    user = make_patient()
    for _ in range(5):
        login_password(client, django_capture_on_commit_callbacks, user.username, "Mauvais-1!x")
    clock.advance(minutes=15, seconds=1)
    response = login_fully(client, django_capture_on_commit_callbacks, user)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.failed_logins == 0 and user.locked_until is None


def test_wrong_second_factors_count_towards_the_lockout_R_LC_12(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    user = make_patient()
    for _ in range(4):
        login_password(client, django_capture_on_commit_callbacks, user.username, "Mauvais-1!x")
    login_password(client, django_capture_on_commit_callbacks, user.username)
    wrong = "000000" if last_code() != "000000" else "111111"
    response = client.post(reverse("accounts:login_code"), {"code": wrong}, follow=True)
    assert TRY_LATER in text(response)
    user.refresh_from_db()
    assert user.locked_until is not None


def test_an_unknown_username_gets_the_same_answer_as_a_wrong_password(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    user = make_patient()
    wrong_password = login_password(client, django_capture_on_commit_callbacks, user.username, "Mauvais-1!x")
    unknown = login_password(Client(), django_capture_on_commit_callbacks, "personne.inconnue", "Mauvais-1!x")
    assert unknown.status_code == wrong_password.status_code == 200
    assert normalise(unknown.content.decode()) == normalise(wrong_password.content.decode())


def test_an_unknown_username_is_locked_like_a_real_account(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    """The fifth failure says "réessayez plus tard" whether or not the account exists."""
    for _ in range(4):
        login_password(client, django_capture_on_commit_callbacks, "personne.inconnue", "Mauvais-1!x")
    response = login_password(client, django_capture_on_commit_callbacks, "personne.inconnue", "Mauvais-1!x")
    assert REFUSED in text(response) and TRY_LATER in text(response)


def test_failed_logins_are_traced_on_the_patient_chain(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    user = make_patient()
    login_password(client, django_capture_on_commit_callbacks, user.username, "Mauvais-1!x")
    failed = traces_for_patient(user.person_id).get(action="LOGIN_FAILED")  # type: ignore[arg-type]
    assert failed.outcome == "DENY"
    assert failed.details["reason"] == "password"


def test_too_many_attempts_from_one_ip_address_are_throttled(
    client: Client, settings, django_capture_on_commit_callbacks
) -> None:
    settings.CARNET_IP_THROTTLE_PER_MINUTE = 3
    user = make_patient()
    for n in range(3):
        login_password(client, django_capture_on_commit_callbacks, f"inconnu.{n:04d}", "Mauvais-1!x")
    response = login_password(client, django_capture_on_commit_callbacks, user.username)
    assert TRY_LATER in text(response)
    assert not LoginChallenge.objects.filter(user=user).exists()


@pytest.mark.parametrize("status", [SpaceStatus.SUSPENDED, SpaceStatus.OPEN_NOT_ACTIVATED])
def test_a_patient_whose_space_is_not_activated_cannot_log_in(
    client: Client, status: str, django_capture_on_commit_callbacks
) -> None:
    user = make_patient()
    space = user.person.space  # type: ignore[union-attr]
    space.status = status
    space.save()
    response = login_password(client, django_capture_on_commit_callbacks, user.username)
    assert REFUSED in text(response)
    assert not LoginChallenge.objects.filter(user=user).exists()


def test_a_patient_whose_space_is_closed_logs_in_to_reopen_it_R_LC_23(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    from django.db import transaction

    user = make_patient()
    space = user.person.space  # type: ignore[union-attr]
    with transaction.atomic():
        space_transition(
            space=space, to=SpaceStatus.CLOSED, actor=Actor.system("test"), motif="TEST", action="X"
        )
        space.save()
    response = login_fully(client, django_capture_on_commit_callbacks, user)
    assert client.session["_auth_user_id"] == str(user.pk)
    assert response["Location"] == reverse("spaces:reopen")


def test_logout_is_post_only_and_ends_the_device_session(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    user = make_patient()
    login_fully(client, django_capture_on_commit_callbacks, user)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert Device.objects.get(user=user).ended_at is not None


def test_the_login_form_uses_the_right_autocomplete_attributes() -> None:
    body = Client().get(reverse("accounts:login")).content.decode()
    assert 'autocomplete="username"' in body and 'autocomplete="current-password"' in body


def test_the_code_form_is_numeric_one_time_code(client: Client, django_capture_on_commit_callbacks) -> None:
    user = make_patient()
    login_password(client, django_capture_on_commit_callbacks, user.username)
    body = client.get(reverse("accounts:login_code")).content.decode()
    assert 'autocomplete="one-time-code"' in body and 'inputmode="numeric"' in body
    assert "Il est valable 3 minutes." in text(client.get(reverse("accounts:login_code")))
    assert PASSWORD not in body
