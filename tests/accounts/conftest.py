"""Helpers for account tests: informed spaces with a known code, activated patients, staff, login steps."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from carnet.accounts.models import Role, User
from carnet.common.actors import Actor
from carnet.identity.models import Person
from carnet.spaces.models import HealthSpace
from carnet.spaces.services import space_activate, space_inform
from tests.factories import PersonFactory, ProfessionalFactory

VITALE = "12345678901"  # serial of factory persons
PASSWORD = "Tr3s-Solide!x"
CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Throttle counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@dataclass
class Informed:
    person: Person
    space: HealthSpace
    code: str


def informed(**person_fields: Any) -> Informed:
    person = PersonFactory(**person_fields)
    space, code = space_inform(person=person, actor=Actor.insurance())
    return Informed(person, space, code)


def identify_data(inf: Informed, **override: str) -> dict[str, str]:
    data = {
        "code": inf.code,
        "nir": inf.person.ins_matricule,
        "vitale_serial": VITALE,
        "birth_date": inf.person.birth_date.strftime("%d/%m/%Y"),
    }
    data.update(override)
    return data


def credentials_data(**override: str) -> dict[str, str]:
    data = {
        "username": "claire.dupont",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "otp_channel": "EMAIL",
        "cgu": "on",
    }
    data.update(override)
    return data


def normalise(html: str) -> str:
    """Drop what differs between any two renders of one page (CSRF token, CSP nonce, echoed username)."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    html = re.sub(r'nonce="[^"]*"', "", html)
    return re.sub(r'(name="username"[^>]*?) value="[^"]*"', r"\1", html)


def make_patient(username: str = "claire.dupont", password: str = PASSWORD, **person_fields: Any) -> User:
    """A patient whose space is ACTIVATED, with an account (e-mail codes)."""
    inf = informed(**person_fields)
    user = User(username=username, role=Role.PATIENT, person=inf.person, otp_channel="EMAIL")
    user.set_password(password)
    user.save()
    space_activate(space=inf.space, actor=Actor.system("test"), code=None)
    return user


def make_staff(role: str, username: str, password: str = PASSWORD) -> User:
    professional = ProfessionalFactory() if role == Role.PROFESSIONAL else None
    user = User(username=username, role=role, professional=professional)
    user.set_password(password)
    user.save()
    return user


def login_mails(address: str | None = None) -> list[Any]:
    """E-mails carrying a login code (the information letter of ``space_inform`` is delivered too)."""
    return [
        m
        for m in mail.outbox
        if m.subject == "Votre code de connexion" and (address is None or address in m.to)
    ]


def last_code(address: str | None = None) -> str:
    """The 6-digit code of the last e-mail sent (to ``address`` when given)."""
    sent = login_mails(address)
    assert sent, "no e-mail was sent"
    found = re.search(r"\b(\d{6})\b", sent[-1].body)
    assert found is not None
    return found.group(1)


def login_password(
    client: Client, capture: Any, username: str, password: str = PASSWORD, **extra: Any
) -> Any:
    """Step 1 of login; on-commit callbacks run, so the code e-mail is delivered to ``mail.outbox``."""
    with capture(execute=True):
        return client.post(reverse("accounts:login"), {"username": username, "password": password}, **extra)


def login_fully(client: Client, capture: Any, user: User, **extra: Any) -> Any:
    """Both steps of a patient login."""
    response = login_password(client, capture, user.username, **extra)
    assert response.status_code == 302, response.content.decode()[:500]
    assert user.person is not None
    return client.post(reverse("accounts:login_code"), {"code": last_code(user.person.email)}, **extra)


def text(response: Any) -> str:
    """The response body with HTML entities decoded (apostrophes are escaped by templates)."""
    import html

    return html.unescape(response.content.decode())
