"""Security headers on every response, CSRF enforcement and ``check --deploy``.

See docs/subsystems/security.md.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from carnet.accounts.models import Role
from carnet.backoffice.models import SupportRequest
from tests.backoffice.helpers import make_space, make_user

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parents[2] / "src"


def _pages(client: Client) -> dict[str, object]:
    """One response per kind: public page, logged-in page (operator and patient), unknown page."""
    responses: dict[str, object] = {
        "public": client.get("/"),
        "support form": client.get("/aide/"),
        "not found": client.get("/cette-page-n-existe-pas/"),
    }
    operator_client = Client()
    operator_client.force_login(make_user(Role.OPERATOR))
    responses["operator home"] = operator_client.get(reverse("backoffice:home"))
    responses["operator space"] = operator_client.get(
        reverse("backoffice:space_detail", kwargs={"space_id": make_space().public_id})
    )
    responses["logged-in not found"] = operator_client.get("/backoffice/inconnu/")
    patient_client = Client()
    patient_client.force_login(make_user(Role.PATIENT))
    responses["patient home"] = patient_client.get(reverse("spaces:home"))
    return responses


def _csp(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in response["Content-Security-Policy"].split(";")
        if part.strip()
    }


def test_every_response_carries_a_csp_without_unsafe_eval(client) -> None:
    for name, response in _pages(client).items():
        policy = response["Content-Security-Policy"]  # type: ignore[index]
        assert "'unsafe-eval'" not in policy, name


def test_every_response_forbids_framing(client) -> None:
    for name, response in _pages(client).items():
        assert _csp(response)["frame-ancestors"] == "'none'", name
        assert response["X-Frame-Options"] == "DENY", name  # type: ignore[index]


def test_scripts_run_only_from_our_origin_or_with_the_request_nonce(client) -> None:
    for name, response in _pages(client).items():
        script_src = _csp(response)["script-src"]
        assert "'unsafe-inline'" not in script_src, name
        nonce = re.search(r"'nonce-([^']+)'", script_src)
        assert nonce is not None, name
        html = response.content.decode()  # type: ignore[attr-defined]
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert f'nonce="{nonce.group(1)}"' in tag, (name, tag)


def test_each_response_gets_a_fresh_nonce(client) -> None:
    first, second = client.get("/"), client.get("/")
    assert _csp(first)["script-src"] != _csp(second)["script-src"]


def test_every_response_carries_nosniff_and_a_referrer_policy(client) -> None:
    for name, response in _pages(client).items():
        assert response["X-Content-Type-Options"] == "nosniff", name  # type: ignore[index]
        assert response["Referrer-Policy"] == "same-origin", name  # type: ignore[index]
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", name  # type: ignore[index]


def test_authenticated_pages_are_never_cached(client) -> None:
    for name, response in _pages(client).items():
        if name in {"operator home", "operator space", "logged-in not found", "patient home"}:
            assert "no-store" in response["Cache-Control"], name  # type: ignore[index]


def test_csrf_is_enforced_on_the_support_form() -> None:
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post("/aide/", {"category": "LOGIN", "contact_email": "aide@example.org"})
    assert response.status_code == 403
    assert not SupportRequest.objects.exists()


def test_the_support_form_works_with_its_csrf_token() -> None:
    csrf_client = Client(enforce_csrf_checks=True)
    page = csrf_client.get("/aide/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    response = csrf_client.post(
        "/aide/",
        {"category": "LOGIN", "contact_email": "aide@example.org", "csrfmiddlewaretoken": token.group(1)},
    )
    assert response.status_code == 302
    assert SupportRequest.objects.count() == 1


def test_csrf_is_enforced_on_operator_actions() -> None:
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(make_user(Role.OPERATOR))
    space = make_space()
    url = reverse("backoffice:space_suspend", kwargs={"space_id": space.public_id})
    assert csrf_client.post(url, {"motif": "FRAUD", "confirm": "on"}).status_code == 403
    space.refresh_from_db()
    assert space.status == "ACTIVATED"


@pytest.mark.django_db(databases=[])
def test_check_deploy_passes_with_secure_settings(tmp_path) -> None:
    """``carnet check --deploy`` with the production variables reports no warning at all."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("CARNET_", "DJANGO_"))}
    env = {
        **inherited,  # without the test run's DJANGO_ALLOW_ASYNC_UNSAFE (Playwright) or CARNET_* values
        "DJANGO_SETTINGS_MODULE": "carnet.config.settings",
        "PYTHONPATH": str(SRC),
        "CARNET_DATA_DIR": str(tmp_path),
        "CARNET_SECURE": "1",
        "CARNET_SECRET_KEY": secrets.token_urlsafe(50),
        "CARNET_ALLOWED_HOSTS": "carnet.example",
        "CARNET_DEBUG": "0",
    }
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
