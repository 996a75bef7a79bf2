"""Activation (SPEC §1.3: R-LC-10, R-LC-11, R-LC-13; R-LC-4 expired code)."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from carnet.accounts.models import User
from carnet.audit.selectors import traces_for_patient
from carnet.spaces.models import ProvisionalCode, SpaceStatus
from tests.factories import make_nir

from .conftest import PASSWORD, credentials_data, identify_data, informed, normalise, text

pytestmark = pytest.mark.django_db

GENERIC = "Les informations saisies ne permettent pas de vous identifier"


def _identify(client: Client, data: dict[str, str]):
    return client.post(reverse("accounts:activate"), data)


def _activate(client: Client, inf, **credentials: str):
    response = _identify(client, identify_data(inf))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:activate_credentials")
    return client.post(reverse("accounts:activate_credentials"), credentials_data(**credentials))


def test_activation_creates_the_account_and_activates_the_space_R_LC_10(client: Client, clock) -> None:
    inf = informed()
    response = _activate(client, inf)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    user = User.objects.get(username="claire.dupont")
    assert user.person == inf.person and user.role == "PATIENT" and user.otp_channel == "EMAIL"
    inf.space.refresh_from_db()
    assert inf.space.status == SpaceStatus.ACTIVATED
    assert inf.space.cgu_accepted_at == clock.now()  # R-LC-13: onboarding date stored


def test_activation_spends_the_provisional_code_R_LC_4(client: Client) -> None:
    inf = informed()
    _activate(client, inf)
    assert ProvisionalCode.objects.get(space=inf.space, revoked_at__isnull=True).used_at is not None


def test_activation_is_traced_on_the_patient_chain(client: Client) -> None:
    inf = informed()
    _activate(client, inf)
    actions = list(traces_for_patient(inf.person.pk).values_list("action", flat=True))
    assert "SPACE_ACTIVATED" in actions and "ACCOUNT_CREATED" in actions


def test_password_is_hashed_with_argon2(client: Client) -> None:
    inf = informed()
    _activate(client, inf)
    user = User.objects.get(username="claire.dupont")
    assert user.password.startswith("argon2$")
    assert user.check_password(PASSWORD)


def test_the_provisional_code_accepts_any_case_dashes_and_spaces_R_LC_4(client: Client) -> None:
    inf = informed()
    typed = f"{inf.code[:4].lower()}-{inf.code[4:8]} {inf.code[8:]}"
    response = _identify(client, identify_data(inf, code=typed))
    assert response.status_code == 302


def test_the_verified_space_is_kept_in_the_session_not_in_the_url(client: Client) -> None:
    inf = informed()
    response = _identify(client, identify_data(inf))
    assert str(inf.space.public_id) not in response["Location"]
    assert client.session["carnet_activation"]["code"] > 0


@pytest.mark.parametrize("wrong", ["code", "nir", "vitale", "birth_date", "unknown_person"])
def test_every_mismatch_gives_the_identical_generic_answer_R_LC_10(client: Client, wrong: str) -> None:
    """The answer never says which input is wrong, nor whether the person exists."""
    inf = informed()
    other = informed()  # another person's live code is a wrong code too
    variants = {
        "code": identify_data(inf, code=other.code),
        "nir": identify_data(inf, nir=make_nir("F", inf.person.birth_date, serial=998)),
        "vitale": identify_data(inf, vitale_serial="10987654321"),
        "birth_date": identify_data(inf, birth_date="18/05/1980"),
        "unknown_person": {
            "code": "ABCD-EFGH-JKMN",
            "nir": make_nir("M", date(1970, 1, 1), serial=997),
            "vitale_serial": "55555555555",
            "birth_date": "01/01/1970",
        },
    }
    reference = Client().post(reverse("accounts:activate"), variants["code"])
    response = _identify(client, variants[wrong])
    assert response.status_code == reference.status_code == 200
    assert GENERIC in response.content.decode()
    assert normalise(response.content.decode()) == normalise(reference.content.decode())
    assert not User.objects.exists()


def test_a_mismatch_does_not_echo_the_typed_nir(client: Client) -> None:
    inf = informed()
    response = _identify(client, identify_data(inf, vitale_serial="10987654321"))
    assert inf.person.ins_matricule not in response.content.decode()


def test_expired_code_is_a_distinct_message_when_identity_matches_R_LC_4(client: Client, clock) -> None:
    inf = informed()
    clock.advance(days=43)
    response = _identify(client, identify_data(inf))
    body = response.content.decode()
    assert "Votre code provisoire a expiré" in body
    assert GENERIC not in body
    assert f'href="{reverse("spaces:code_renew")}"' in body


def test_expired_code_with_a_wrong_identity_gives_the_generic_answer_R_LC_4(client: Client, clock) -> None:
    inf = informed()
    clock.advance(days=43)
    response = _identify(client, identify_data(inf, vitale_serial="10987654321"))
    body = response.content.decode()
    assert GENERIC in body
    assert "expiré" not in body


def test_someone_elses_expired_code_gives_the_generic_answer_R_LC_4(client: Client, clock) -> None:
    inf, other = informed(), informed()
    clock.advance(days=43)
    response = _identify(client, identify_data(inf, code=other.code))
    assert GENERIC in response.content.decode()


def test_a_spent_code_cannot_be_used_again_R_LC_4(client: Client) -> None:
    inf = informed()
    _activate(client, inf)
    response = Client().post(reverse("accounts:activate"), identify_data(inf))
    assert response.status_code == 200
    assert GENERIC in response.content.decode()


def test_identification_is_throttled_after_five_failures_per_nir(client: Client) -> None:
    """CARNET_LOCKOUT_THRESHOLD failures in CARNET_LOCKOUT_MINUTES: even the right data is refused."""
    inf = informed()
    for _ in range(5):
        _identify(client, identify_data(inf, vitale_serial="10987654321"))
    response = Client(REMOTE_ADDR="10.0.0.9").post(reverse("accounts:activate"), identify_data(inf))
    body = response.content.decode()
    assert response.status_code == 200
    assert GENERIC in body and "réessayez plus tard" in body


def test_identification_is_throttled_per_ip_address(client: Client) -> None:
    inf = informed()
    for serial in range(900, 905):
        _identify(client, identify_data(inf, nir=make_nir("F", inf.person.birth_date, serial=serial)))
    response = _identify(client, identify_data(inf))
    assert "réessayez plus tard" in response.content.decode()


def test_identification_throttle_ends_after_fifteen_minutes(client: Client, clock) -> None:
    inf = informed()
    for _ in range(5):
        _identify(client, identify_data(inf, vitale_serial="10987654321"))
    clock.advance(minutes=15, seconds=1)
    assert _identify(client, identify_data(inf)).status_code == 302


def test_format_errors_are_shown_next_to_the_field(client: Client) -> None:
    inf = informed()
    response = _identify(client, identify_data(inf, code="ABC"))
    body = response.content.decode()
    assert "fr-input-group--error" in body
    assert "Le code provisoire doit comporter 12 caractères." in body


def test_credentials_step_requires_a_verified_identification(client: Client) -> None:
    response = client.get(reverse("accounts:activate_credentials"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:activate")


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("court", "entre 8 et 100 caractères"),
        ("a" * 101, "entre 8 et 100 caractères"),
        ("Claire.Dupont", "que des chiffres, des lettres minuscules"),
        ("claire@dupont", "que des chiffres, des lettres minuscules"),
        ("claire dupont", "que des chiffres, des lettres minuscules"),
    ],
    ids=["too-short", "too-long", "uppercase", "at-sign", "space"],
)
def test_username_rules_are_enforced_R_LC_11(client: Client, username: str, message: str) -> None:
    inf = informed()
    response = _activate(client, inf, username=username)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(person=inf.person).exists()


def test_a_taken_username_is_refused_R_LC_11(client: Client) -> None:
    _activate(client, informed())
    inf = informed()
    response = _activate(Client(), inf)
    assert "Cet identifiant existe déjà" in response.content.decode()
    inf.space.refresh_from_db()
    assert inf.space.status == SpaceStatus.INFORMED  # nothing half-written


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab1!xyzw", "au moins 9 caractères"),
        ("abcdef1!gh", "une lettre majuscule"),
        ("ABCDEF1!GH", "une lettre minuscule"),
        ("Abcdefgh!i", "un chiffre"),
        ("Abcdefgh1i", "un caractère spécial"),
        ("Martin-2024!x", "information personnelle"),
        ("Xy1!moi@exemple.fr", "adresse e-mail"),
        ("Aa1!FR7630006000011234567890189", "IBAN"),
    ],
    ids=["length", "no-upper", "no-lower", "no-digit", "no-special", "personal-info", "email", "iban"],
)
def test_password_rules_are_enforced_R_LC_11(client: Client, password: str, message: str) -> None:
    inf = informed(birth_name="MARTIN", first_names="Claire")
    response = _activate(client, inf, password=password, password_confirm=password)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.exists()


def test_password_confirmation_must_match(client: Client) -> None:
    inf = informed()
    response = _activate(client, inf, password_confirm=PASSWORD + "x")
    assert "ne sont pas identiques" in response.content.decode()
    assert not User.objects.exists()


def test_cgu_acceptance_is_required_R_LC_13(client: Client) -> None:
    inf = informed()
    data = credentials_data()
    del data["cgu"]
    _identify(client, identify_data(inf))
    response = client.post(reverse("accounts:activate_credentials"), data)
    assert "Vous devez accepter les conditions générales d'utilisation." in text(response)
    inf.space.refresh_from_db()
    assert inf.space.status == SpaceStatus.INFORMED


def test_only_the_channels_the_person_has_are_offered(client: Client) -> None:
    inf = informed(phone="")
    _identify(client, identify_data(inf))
    response = client.post(reverse("accounts:activate_credentials"), credentials_data(otp_channel="SMS"))
    assert response.status_code == 200
    assert not User.objects.exists()
    assert 'value="SMS"' not in response.content.decode()


def test_the_cgu_page_is_public() -> None:
    response = Client().get(reverse("accounts:cgu"))
    assert response.status_code == 200
    assert "Conditions générales d'utilisation" in text(response)
