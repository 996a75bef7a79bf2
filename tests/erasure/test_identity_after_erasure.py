"""After an erasure, nothing answers differently for the erased person than for a stranger (ADR 0008):
someone who knows his NIR, carte Vitale serial, birth date or user name learns neither that he existed
nor that he was erased. The identity errors stay the neutral ones of R-LC-10."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from carnet.common import clock
from carnet.spaces.selectors import space_identify
from tests.erasure.world import PASSWORD, REQUESTED, CanaryWorld, build, erase
from tests.factories import make_nir

VITALE = "12345678901"  # the serial PersonFactory hashes
BIRTH = date(1936, 2, 17)


@pytest.fixture
def erased(clock: Any, db: Any) -> tuple[CanaryWorld, str]:
    w = build()
    nir = w.holder.ins_matricule
    erase(w, REQUESTED)
    return w, nir


def _page(response: Any, typed: str) -> str:
    """The answer without what differs between any two requests: CSRF tokens, script nonces, and what was
    typed (a form shows it back)."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    page = re.sub(r'nonce="[^"]+"', "", page)
    return page.replace(typed, "<typed>")


def _stranger() -> str:
    return make_nir("F", BIRTH, 777)  # a valid NIR nobody holds


def test_the_erased_identity_is_not_found(erased: tuple[CanaryWorld, str]) -> None:
    _w, nir = erased
    assert space_identify(nir=nir, vitale_serial=VITALE, birth_date=BIRTH) is None


@pytest.mark.parametrize("url", ["spaces:opposition", "spaces:code_renew"])
def test_the_public_forms_answer_for_the_erased_person_as_for_a_stranger(
    erased: tuple[CanaryWorld, str], url: str
) -> None:
    _w, nir = erased
    answers = []
    for candidate in (nir, _stranger()):
        clock.advance(hours=2)  # past the identification throttle window
        response = Client().post(
            reverse(url),
            {"nir": candidate, "vitale_serial": VITALE, "birth_date": "17/02/1936", "channel": "EMAIL"},
            follow=True,
        )
        answers.append((response.status_code, _page(response, candidate)))
    assert answers[0] == answers[1]


def test_logging_in_with_the_erased_user_name_is_refused_like_an_unknown_one(
    erased: tuple[CanaryWorld, str],
) -> None:
    w, _nir = erased
    username = w.canaries["username"].lower()
    answers = []
    for candidate in (username, "quelqu.un-d-inconnu"):
        response = Client().post(reverse("accounts:login"), {"username": candidate, "password": PASSWORD})
        answers.append((response.status_code, _page(response, candidate)))
    assert answers[0] == answers[1]
    assert "Identifiant ou mot de passe incorrect." in answers[0][1]
