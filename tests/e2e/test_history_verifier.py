"""The HTML verifier in Debian's chromium, on the same tampered files as the command-line verifier
(``tampering.py``): same findings, the first changed entry named in plain French (or English), and not
a single network request. Opened from disk (``file://``), as a patient does offline; once through Carnet
to check that its own CSP lets it run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from carnet.audit import verifier
from carnet.audit.services import public_key_b64
from tests.audit import tampering

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.fixture
def offline_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.set_default_timeout(10_000)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(verifier.PAGE.as_uri())
    yield page
    assert [u for u in requests if not u.startswith("file:")] == []  # no server call, ever
    context.close()


def _file(name: str, document: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/json", "buffer": json.dumps(document).encode()}


def _verify(page: Any, case: tampering.Case, key: str) -> dict[str, Any]:
    page.fill("#key", key)
    page.set_input_files("#new", _file("historique.json", case.new))
    page.set_input_files("#old", _file("ancien.json", case.old) if case.old is not None else [])
    page.click("#verify")
    page.wait_for_selector("#result:not([hidden])")
    return page.evaluate(
        """() => ({
            verdict: document.getElementById('verdict').textContent,
            text: document.getElementById('result').innerText,
            findings: window.carnetLastReport ? window.carnetLastReport.problems.map(p => [p.index, p.code]) : null,
        })"""
    )


def test_the_page_finds_exactly_what_the_command_line_verifier_finds(clock: Any, offline_page: Any) -> None:
    for case in tampering.cases(clock):
        shown = _verify(offline_page, case, public_key_b64())
        if case.expected == {(None, "malformed")}:
            assert shown["verdict"] == "Vérification impossible", case.name
            assert "n'est pas un historique Carnet lisible" in shown["text"], case.name
            continue
        assert {tuple(f) for f in shown["findings"]} == case.expected, case.name
        if not case.expected:
            assert shown["verdict"] == "Historique intègre", case.name
            continue
        assert shown["verdict"] == "Anomalies détectées", case.name
        if case.first_changed is not None:
            assert f"Première entrée modifiée : n° {case.first_changed}, du " in shown["text"], case.name


def test_the_page_names_the_first_changed_entry_in_english(clock: Any, offline_page: Any) -> None:
    case = next(c for c in tampering.cases(clock) if c.name == "entry removed, since older")
    offline_page.click("#lang")
    shown = _verify(offline_page, case, public_key_b64())
    assert shown["verdict"] == "Problems found"
    assert f"First changed entry: no. {case.first_changed}, of " in shown["text"]
    assert 'action "CONSULT"' in shown["text"] and "removed since the older history" in shown["text"]


def test_the_page_refuses_to_verify_without_a_key_given_out_of_band(clock: Any, offline_page: Any) -> None:
    case = tampering.Case("clean", tampering.download())
    shown = _verify(offline_page, case, "")
    assert shown["verdict"] == "Vérification impossible"
    assert "la clé contenue dans le fichier ne prouve rien" in shown["text"]


def test_the_page_rejects_the_file_s_own_key_when_carnet_s_is_another(clock: Any, offline_page: Any) -> None:
    """A whole file re-signed by an impostor verifies with the impostor's key (the one inside the file),
    and fails with Carnet's key obtained out of band."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    document = tampering.download()
    document["previous_heads"] = []
    tampering._resign_all(document, Ed25519PrivateKey.generate())
    case = tampering.Case("re-signed", document)
    assert _verify(offline_page, case, document["public_key"])["verdict"] == "Historique intègre"
    assert _verify(offline_page, case, public_key_b64())["verdict"] == "Anomalies détectées"


@pytest.mark.django_db(transaction=True)
def test_the_page_served_by_carnet_runs_under_its_own_policy(live_server: Any, page: Any) -> None:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    response = page.goto(f"{live_server.url}/verifier-historique/verificateur.html?lang=en")
    assert response is not None and "connect-src 'none'" in response.headers["content-security-policy"]
    assert page.text_content("h1") == "Verify a Carnet history"  # the inline script ran
    page.click("#verify")
    assert page.text_content("#verdict") == "Cannot verify"
    assert not [e for e in errors if "Content Security Policy" in e]
