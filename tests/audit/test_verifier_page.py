"""The self-contained HTML verifier: committed = built, served under its own strict CSP, presented with
the log's key (invariant 3; ADR 0007). Its behaviour on tampered files: ``tests/e2e/test_history_verifier.py``."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from carnet.audit import verifier
from carnet.audit.services import public_key_b64, signing_key_id
from carnet.audit.verifier import build

pytestmark = pytest.mark.django_db


def test_the_committed_page_is_exactly_what_the_build_script_produces() -> None:
    """Nobody needs npm to run the suite; anybody can rebuild the page from the vendored sources."""
    assert verifier.PAGE.read_text(encoding="utf-8") == build.build()


def test_the_build_refuses_a_vendored_file_that_was_modified(monkeypatch: pytest.MonkeyPatch) -> None:
    name, path, _digest = build.VENDORED[0]
    monkeypatch.setattr(build, "VENDORED", ((name, path, "0" * 64), *build.VENDORED[1:]))
    with pytest.raises(build.BuildError, match="differs from the pinned file"):
        build.build()


def test_the_page_keeps_the_licences_of_the_vendored_libraries() -> None:
    page = verifier.page_bytes().decode()
    assert page.count("The MIT License (MIT)") == 2
    assert "@noble/hashes 2.4.0" in page and "@noble/ed25519 3.2.0" in page


def test_the_page_loads_nothing_from_anywhere() -> None:
    page = verifier.page_bytes().decode()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "connect-src 'none'" in page and "sourceMappingURL" not in page


def test_the_page_is_served_byte_for_byte_under_a_policy_allowing_only_its_own_inline_blocks() -> None:
    response = Client().get(reverse("audit:verifier_page"))
    assert response.status_code == 200 and response.content == verifier.page_bytes()
    policy = response["Content-Security-Policy"]
    script = re.search(r"<script>(.*?)</script>", response.content.decode(), re.DOTALL)
    assert script is not None and build.csp_hash(script.group(1)) in policy
    assert "'unsafe-inline'" not in policy and "nonce-" not in policy
    assert "connect-src 'none'" in policy and "frame-ancestors 'none'" in policy


def test_the_site_s_own_policy_is_not_loosened() -> None:
    page_policy = Client().get(reverse("audit:verifier"))["Content-Security-Policy"]
    assert "sha256-" not in page_policy and "'nonce-" in page_policy


def test_the_verifier_can_be_downloaded() -> None:
    response = Client().get(reverse("audit:verifier_page"), {"telecharger": "1"})
    assert response["Content-Disposition"] == 'attachment; filename="verificateur-historique-carnet.html"'


def test_the_public_page_shows_the_log_key_its_fingerprint_and_how_to_check_it() -> None:
    page = Client().get(reverse("audit:verifier")).content.decode()
    assert public_key_b64() in page and signing_key_id() in page
    assert verifier.fingerprint(public_key_b64()) in page
    assert "Comment vérifier cette clé" in page
    assert reverse("audit:verifier_page") in page


def test_the_public_page_exists_in_english(settings: Any) -> None:
    client = Client(headers={"accept-language": "en"})
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("audit:verifier")).content.decode()
    assert "How to check this key" in page and "?lang=en" in page
