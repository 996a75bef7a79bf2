"""Session and CSRF cookies in secure mode (``CARNET_SECURE=1``): ``__Host-`` names, so browsers accept
them only with ``Secure``, ``Path=/`` and no ``Domain`` (a sibling subdomain or a plain-HTTP response
cannot plant or overwrite them); plain names in the embedded, non-TLS mode (a browser refuses a
``__Host-`` cookie without ``Secure``). See docs/subsystems/security.md.

The settings are the ones a fresh process computes from the environment; the cookies are the ones a real
login sets (password, then the e-mailed code) over HTTPS. (The JSON API's session authentication reads
``settings.SESSION_COOKIE_NAME`` when it is imported, after the settings: it follows the name.)
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from http.cookies import Morsel
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.accounts.conftest import PASSWORD, last_code, make_patient

pytestmark = pytest.mark.django_db

NAMES = [
    "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_PATH",
    "SESSION_COOKIE_DOMAIN",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_NAME",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_PATH",
    "CSRF_COOKIE_DOMAIN",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
]


def _computed(tmp_path: Path, **environ: str) -> dict[str, Any]:
    """The cookie settings as a fresh process computes them from ``environ`` (read once, at import)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARNET_", "DJANGO_"))}
    env.update(
        environ,
        DJANGO_SETTINGS_MODULE="carnet.config.settings",
        CARNET_DATA_DIR=str(tmp_path),
        CARNET_SECRET_KEY=secrets.token_urlsafe(50),
        PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"),
    )
    code = f"import json; from django.conf import settings as s; print(json.dumps({{n: getattr(s, n) for n in {NAMES!r}}}))"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    values: dict[str, Any] = json.loads(result.stdout)
    return values


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _computed(
        tmp_path_factory.mktemp("secure"), CARNET_SECURE="1", CARNET_ALLOWED_HOSTS="carnet.example"
    )


def test_secure_mode_names_the_cookies_with_the_host_prefix(secure: dict[str, Any]) -> None:
    for kind in ("SESSION", "CSRF"):
        assert secure[f"{kind}_COOKIE_NAME"].startswith("__Host-"), kind
        assert secure[f"{kind}_COOKIE_SECURE"] is True
        assert secure[f"{kind}_COOKIE_PATH"] == "/" and secure[f"{kind}_COOKIE_DOMAIN"] is None
        assert secure[f"{kind}_COOKIE_HTTPONLY"] is True and secure[f"{kind}_COOKIE_SAMESITE"] == "Lax"


def test_plain_http_mode_keeps_names_a_browser_accepts_without_tls(tmp_path: Path) -> None:
    plain = _computed(tmp_path)
    assert not plain["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert not plain["CSRF_COOKIE_NAME"].startswith("__Host-")


def _assert_host_cookie(morsel: Morsel[str]) -> None:
    """What a browser demands of a ``__Host-`` cookie, as the response sets it."""
    assert morsel.key.startswith("__Host-")
    assert morsel["secure"] is True, morsel.OutputString()
    assert morsel["path"] == "/", morsel.OutputString()
    assert not morsel["domain"], morsel.OutputString()
    assert morsel["httponly"] is True and morsel["samesite"] == "Lax"


def test_a_login_over_https_sets_host_prefixed_cookies(
    secure: dict[str, Any], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    computed = secure
    for name in NAMES:
        setattr(settings, name, computed[name])
    settings.ALLOWED_HOSTS = ["testserver"]
    user = make_patient()
    browser = Client(enforce_csrf_checks=True)
    form = browser.get(reverse("accounts:login"), secure=True)
    csrf = form.cookies[computed["CSRF_COOKIE_NAME"]]
    _assert_host_cookie(csrf)
    token = form.context["csrf_token"]
    with django_capture_on_commit_callbacks(execute=True):
        step = browser.post(
            reverse("accounts:login"),
            {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": str(token)},
            secure=True,
            HTTP_REFERER="https://testserver/connexion/",  # Django checks the referer over HTTPS
        )
    assert step.status_code == 302, step.content.decode()[:300]
    _assert_host_cookie(step.cookies[computed["SESSION_COOKIE_NAME"]])
    assert user.person is not None
    done = browser.post(
        reverse("accounts:login_code"),
        {"code": last_code(user.person.email), "csrfmiddlewaretoken": str(token)},
        secure=True,
        HTTP_REFERER="https://testserver/connexion/code/",
    )
    assert done.status_code == 302
    _assert_host_cookie(done.cookies[computed["SESSION_COOKIE_NAME"]])
    assert browser.get(reverse("spaces:home"), secure=True).status_code == 200  # the cookie is the session
