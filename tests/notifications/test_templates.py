"""Every registered message template, rendered in French and English with sample parameters, obeys
invariant 5 and R-NOT-2: no health data, a named sender, never a request for a password or bank details,
links only to the configured site, and parameters from the non-health whitelist only."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from carnet.notifications.templates_catalogue import ALLOWED_PARAMS, ALWAYS_SENT, CATALOGUE, render

SRC = Path(__file__).resolve().parents[2] / "src" / "carnet"
BASE_URL = "https://carnet.example"

# The fixed anti-phishing sentence is the only place a template may mention a password.
ANTI_PHISHING = (
    "Carnet ne vous demandera jamais votre mot de passe.",
    "Carnet will never ask for your password.",
)
PASSWORD_WORDS = ("mot de passe", "password", "mdp", "passcode", "identifiant de connexion")
BANK_WORDS = (
    "iban",
    "rib",
    "bic",
    "carte bancaire",
    "coordonnées bancaires",
    "bank",
    "credit card",
    "card number",
)
HEALTH_WORDS = (
    "diagnos",
    "résultat",
    "result",
    "maladie",
    "disease",
    "patholog",
    "cancer",
    "vih",
    "hiv",
    "grossesse",
    "pregnan",
    "ordonnance",
    "prescription",
    "traitement",
    "treatment",
)
SAMPLE = {
    "base_url": BASE_URL,
    "code": "123456",
    "minutes": "3",
    "expires": "16/02/2026",
    "date": "05/01/2026",
    "open_date": "16/02/2026",
    "due": "05/04/2026",
    "closes": "16/02/2026",
    "archived_until": "05/01/2036",
    "reference": "SUP-2026-0001",
    "sender": "Dr Anne DURAND",
    "tree_size": "5021",
    "root_hash": "4f2a9c0b7e1d3a5c8b6f0e2d4c6a8b0d",
    "certificate": "-----BEGIN CARNET ERASURE CERTIFICATE-----\neyJmb3JtYXQiOiAiLi4uIn0=\n-----END CARNET ERASURE CERTIFICATE-----",
}
URL = re.compile(r"(?:https?://|www\.)[^\s)>\]]*", re.IGNORECASE)


def _modules_registering_templates() -> list[str]:
    """Every module of the project that registers templates (messaging's, when it lands, included)."""
    names = []
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts or "tests" in path.parts or path.parent.name == "notifications":
            continue
        text = path.read_text()
        if "templates_catalogue import" in text and "register(" in text:
            names.append(".".join(("carnet", *path.relative_to(SRC).with_suffix("").parts)))
    return sorted(names)


for _module in _modules_registering_templates():
    importlib.import_module(_module)

TEMPLATE_KEYS = sorted(CATALOGUE)


def _rendered(key: str, language: str) -> tuple[str, str]:
    params = {name: SAMPLE[name] for name in CATALOGUE[key].params if name in SAMPLE}
    return render(key, params, language)


def test_the_discovery_finds_the_apps_template_modules() -> None:
    modules = _modules_registering_templates()
    assert {"carnet.spaces.messages", "carnet.records.messages", "carnet.spaces.delegation"} <= set(modules)


@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_every_template_exists_in_french_and_english(key: str) -> None:
    template = CATALOGUE[key]
    assert {"fr", "en"} <= set(template.subject) and {"fr", "en"} <= set(template.body)


@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_every_template_takes_only_whitelisted_non_health_parameters_r_not_2(key: str) -> None:
    assert set(CATALOGUE[key].params) <= ALLOWED_PARAMS


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_every_template_links_only_to_the_configured_site_r_not_2(key: str, language: str) -> None:
    subject, body = _rendered(key, language)
    for url in URL.findall(subject + "\n" + body):
        assert url.startswith(BASE_URL + "/") or url.rstrip(".,;:") == BASE_URL, (key, language, url)


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_no_template_asks_for_a_password_outside_the_anti_phishing_sentence(key: str, language: str) -> None:
    subject, body = _rendered(key, language)
    text = subject + "\n" + body
    for sentence in ANTI_PHISHING:
        text = text.replace(sentence, "")
    lowered = text.lower()
    assert not [w for w in PASSWORD_WORDS if w in lowered], (key, language)


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_no_template_mentions_bank_details(key: str, language: str) -> None:
    subject, body = _rendered(key, language)
    lowered = (subject + " " + body).lower()
    assert not [w for w in BANK_WORDS if re.search(rf"\b{re.escape(w)}\b", lowered)], (key, language)


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_no_template_carries_health_words_r_not_2(key: str, language: str) -> None:
    subject, body = _rendered(key, language)
    lowered = (subject + " " + body).lower()
    assert not [w for w in HEALTH_WORDS if re.search(rf"\b{re.escape(w)}", lowered)], (key, language)


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_every_template_names_its_sender(key: str, language: str) -> None:
    subject, body = _rendered(key, language)
    assert "Carnet" in subject + body or SAMPLE["sender"] in subject + body, (key, language)


@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_in_app_titles_are_content_free_because_subjects_take_no_parameter_r_not_3(key: str) -> None:
    for subject in CATALOGUE[key].subject.values():
        assert "{" not in subject, key


def test_the_event_emails_that_cannot_be_switched_off_are_registered_templates_r_not_1() -> None:
    assert set(ALWAYS_SENT) <= set(CATALOGUE)
