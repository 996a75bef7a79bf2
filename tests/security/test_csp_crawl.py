"""A crawl of the pages of each kind of user (the demo population: a patient with a record, a minor and a
caregiver around her, her GP, the operator): every HTML page carries a CSP whose ``style-src`` has no
``'unsafe-inline'``, and its HTML has no ``style`` attribute nor a ``<style>`` or ``<script>`` the policy
would refuse. ``object-src``/``frame-src`` are ``'none'`` except on the document pages that preview a
document of our own origin. See docs/subsystems/security.md.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from django.test import Client

from carnet.accounts.models import User
from carnet.demo import population as demo_population

pytestmark = pytest.mark.django_db

MAX_PAGES = 90  # per user; every page shape (its path with ids as {id}) is visited PER_SHAPE times
PER_SHAPE = 1
SKIP = ("/static/", "/i18n/", "/api/", "/fhir/")
DOCUMENT_PAGES = re.compile(r"^/(espace/documents|pro/patients/[^/]+/documents)/[0-9a-f-]{36}/$")


def csp(response: Any) -> dict[str, str]:
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in response["Content-Security-Policy"].split(";")
        if part.strip()
    }


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@dataclass
class _Page(HTMLParser):
    """Links, ``style`` attributes and ``<style>``/``<script>`` elements of one page."""

    links: list[str] = field(default_factory=list)
    style_attributes: list[str] = field(default_factory=list)
    style_elements: list[tuple[dict[str, str | None], str]] = field(default_factory=list)
    inline_scripts: list[tuple[dict[str, str | None], str]] = field(default_factory=list)
    _open: tuple[str, dict[str, str | None]] | None = None  # an inline <style> or <script> being read
    _text: str = ""

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "style" in attributes:
            self.style_attributes.append(f"<{tag} style={attributes['style']!r}>")
        if tag == "a" and attributes.get("href"):
            self.links.append(str(attributes["href"]))
        if tag == "style" or (tag == "script" and not attributes.get("src")):
            self._open, self._text = (tag, attributes), ""

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and self._open[0] == tag:
            found = (self._open[1], self._text)
            (self.style_elements if tag == "style" else self.inline_scripts).append(found)
            self._open = None


def _shape(path: str) -> str:
    return re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}|\d+", "{id}", path)


def crawl(client: Client, starts: list[str]) -> dict[str, Any]:
    """GET every same-origin page reachable by links from ``starts``; the HTML 200 responses by path."""
    queue, seen, shapes, pages = list(starts), set(starts), Counter[str](), {}
    while queue and len(pages) < MAX_PAGES:
        path = queue.pop(0)
        response = client.get(path)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        pages[path] = response
        parser = _Page()
        parser.feed(response.content.decode())
        for href in parser.links:
            target, _fragment = urldefrag(href)
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith(SKIP):
                continue
            if target in seen or shapes[_shape(parts.path)] >= PER_SHAPE:
                continue
            seen.add(target)
            shapes[_shape(parts.path)] += 1
            queue.append(target)
    return pages


def check(pages: dict[str, Any]) -> list[str]:
    """Every problem found, as "path: problem" lines."""
    problems: list[str] = []
    for path, response in pages.items():
        policy = csp(response)
        style_src = policy.get("style-src", "")
        if "'unsafe-inline'" in style_src or "'unsafe-hashes'" in style_src:
            problems.append(f"{path}: style-src {style_src}")
        embeds = "'self'" if DOCUMENT_PAGES.match(path) else "'none'"
        for directive in ("object-src", "frame-src"):
            effective = policy.get(directive, policy.get("default-src"))  # an absent directive falls back
            if effective != embeds:
                problems.append(f"{path}: {directive} {effective!r}, expected {embeds}")
        parser = _Page()
        parser.feed(response.content.decode())
        problems += [f"{path}: {attribute}" for attribute in parser.style_attributes]
        for kind, elements in (("style", parser.style_elements), ("script", parser.inline_scripts)):
            source = policy.get(f"{kind}-src", policy.get("default-src", "")).split()
            for attributes, text in elements:
                if f"'nonce-{attributes.get('nonce')}'" not in source and _sha256(text) not in source:
                    problems.append(f"{path}: inline <{kind}> without this response's nonce or hash")
    return problems


@pytest.fixture
def population(settings: Any) -> None:
    settings.CARNET_DEMO = True  # the demo outbox page is crawled too
    demo_population.load()


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_public_pages_allow_no_inline_style() -> None:
    pages = crawl(
        Client(), ["/", "/connexion/", "/activation/", "/opposition/", "/aide/", "/verifier-historique/"]
    )
    assert len(pages) >= 6
    assert check(pages) == []


def test_patient_pages_allow_no_inline_style(population: None) -> None:
    """Claire: her record (document pages with their PDF preview), profile, messages, agenda, settings,
    delegations (her son, his other legal representative), prevention, history, notifications."""
    pages = crawl(_client("claire.martin"), ["/espace/"])
    assert len(pages) >= 40, sorted(pages)
    assert any(DOCUMENT_PAGES.match(path) for path in pages)  # a preview page was checked
    assert check(pages) == []


def test_professional_pages_allow_no_inline_style(population: None) -> None:
    claire = User.objects.get(username="claire.martin").person
    assert claire is not None
    pages = crawl(_client("dr.durand"), ["/pro/", f"/pro/patients/{claire.public_id}/", "/pro/patients/"])
    assert len(pages) >= 10, sorted(pages)
    assert any(DOCUMENT_PAGES.match(path) for path in pages)
    assert check(pages) == []


def test_operator_pages_allow_no_inline_style(population: None) -> None:
    pages = crawl(_client("operateur.demo"), ["/backoffice/", "/demo/outbox/"])
    assert len(pages) >= 5, sorted(pages)
    assert check(pages) == []


def test_error_pages_allow_no_inline_style() -> None:
    """Django's own CSRF failure page carries a <style>: ours (403_csrf.html) does not; nor do 404 and 503."""
    from django.test import RequestFactory

    from carnet.common.unavailable import unavailable_response

    csrf_refused = Client(enforce_csrf_checks=True).post("/aide/", {"category": "LOGIN"})
    assert csrf_refused.status_code == 403 and "Formulaire refusé" in csrf_refused.content.decode()
    pages = {"/aide/ (CSRF refused)": csrf_refused, "/nowhere/": Client().get("/nowhere/")}
    problems = check({path: _as_ok(response) for path, response in pages.items()})
    assert problems == []
    outage = _Page()
    outage.feed(unavailable_response(RequestFactory().get("/"), "unavailable").content.decode())
    assert outage.style_attributes == [] and outage.style_elements == [] and outage.inline_scripts == []


def _as_ok(response: Any) -> Any:
    assert response["Content-Type"].startswith("text/html")
    return response
