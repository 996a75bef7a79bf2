"""Debian's chromium loads the key pages at 375 and 1280 px under their real Content-Security-Policy
(no ``'unsafe-inline'`` for styles, ``object-src 'none'`` outside the document previews) and reports no
violation: neither a ``securitypolicyviolation`` event in any frame nor a CSP message on the console.
The document pages preview a PDF (``<object>``), a text file (``<iframe>``) and an image of our own
origin. A style attribute injected on purpose shows that a violation would be seen.
See docs/subsystems/security.md.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from carnet.accounts.models import User
from carnet.common.users import actor_for_user
from carnet.demo import population as demo_population
from carnet.records.models import AuthorKind, Document
from carnet.records.services import document_deposit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = [{"width": 375, "height": 740}, {"width": 1280, "height": 900}]
LISTEN = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def _png() -> bytes:
    """A real 2×2 grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x80\x80" for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _session_cookie(username: str) -> str:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _csp(header: str) -> dict[str, str]:
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in header.split(";")
        if part.strip()
    }


def _visit(context: Any, live_server: Any, paths: list[str], user: str = "") -> dict[str, list[str]]:
    """Load each page (logged in as ``user``); problems by path: violations seen by any frame or on the
    console, a policy allowing inline styles, or a preview that did not render."""
    context.clear_cookies()
    if user:
        cookie = {
            "name": settings.SESSION_COOKIE_NAME,
            "value": _session_cookie(user),
            "url": live_server.url,
        }
        context.add_cookies([cookie])
    found: dict[str, list[str]] = {}
    page = context.new_page()
    page.set_default_timeout(10_000)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    try:
        for path in paths:
            console.clear()
            response = page.goto(path, wait_until="load")
            assert response is not None and response.status == 200, (path, response and response.status)
            page.wait_for_timeout(50)  # late violations (DSFR's scripts run on load)
            problems = [
                m for m in console if "Content Security Policy" in m or "Content-Security-Policy" in m
            ]
            for frame in page.frames:
                try:
                    problems += frame.evaluate("window.__cspViolations || []")
                except Exception:
                    continue
            policy = _csp(response.header_value("content-security-policy") or "")
            if "'unsafe-inline'" in policy.get("style-src", "") and "/contenu/" not in path:
                problems.append(f"style-src {policy['style-src']}")
            problems += _preview_problems(page, path)
            if problems:
                found[path] = problems
    finally:
        page.close()
    return found


def _preview_problems(page: Any, path: str) -> list[str]:
    """A document page's preview must render: the PDF in the browser's viewer, the text in its frame,
    the image decoded."""
    if not path.startswith("/espace/documents/") or path.count("/") != 4:
        return []
    frames = [frame for frame in page.frames if "/contenu/" in frame.url]
    images = page.evaluate(
        "Array.from(document.querySelectorAll('.carnet-preview-image')).map(i => i.naturalWidth)"
    )
    types = set()
    for frame in frames:
        try:
            types.add(frame.evaluate("document.contentType"))
        except Exception:
            continue
    if types & {"application/pdf", "text/plain"} or images == [2]:
        return []
    return [f"the preview did not render (frames {sorted(types)}, images {images})"]


@pytest.fixture
def world() -> dict[str, str]:
    demo_population.load()
    claire = User.objects.get(username="claire.martin")
    assert claire.person is not None
    me = actor_for_user(claire)
    text = document_deposit(
        actor=me,
        patient_id=claire.person.pk,
        content="Note de suivi : tension 12/8, à revoir dans un mois.\n".encode(),
        filename="note.txt",
        title="Note de suivi",
        category="AUTR_DOC",
    )
    image = document_deposit(
        actor=me,
        patient_id=claire.person.pk,
        content=_png(),
        filename="photo.png",
        title="Photo",
        category="AUTR_DOC",
    )
    pdf = Document.objects.filter(
        patient_id=claire.person.pk, media_type="application/pdf", author_kind=AuthorKind.PATIENT
    ).first()
    assert pdf is not None
    return {
        "claire": str(claire.person.public_id),
        "pdf": str(pdf.public_id),
        "text": str(text.public_id),
        "image": str(image.public_id),
    }


def test_key_pages_report_no_csp_violation_at_375_and_1280_px(
    browser: Any, live_server: Any, world: dict[str, str]
) -> None:
    documents = [f"/espace/documents/{world[kind]}/" for kind in ("pdf", "text", "image")]
    for viewport in VIEWPORTS:
        wide = viewport == VIEWPORTS[-1]  # every preview at 1280 px; the layouts (header, menu) at both
        context = browser.new_context(base_url=live_server.url, locale="fr-FR", viewport=viewport)
        context.add_init_script(LISTEN)
        try:
            assert _visit(context, live_server, ["/"]) == {}
            patient = ["/espace/", *(documents if wide else documents[:1])]
            assert _visit(context, live_server, patient, user="claire.martin") == {}
            assert _visit(context, live_server, [f"/pro/patients/{world['claire']}/"], user="dr.durand") == {}
            assert _visit(context, live_server, ["/backoffice/"], user="operateur.demo") == {}
            if wide:  # the contents opened alone, under their own policy
                contents = [f"{path}contenu/" for path in documents]
                assert _visit(context, live_server, contents, user="claire.martin") == {}
        finally:
            context.close()


def test_an_inline_style_attribute_would_be_reported(browser: Any, live_server: Any) -> None:
    """The check above can see a violation: a style attribute parsed into the page is refused and reported."""
    context = browser.new_context(base_url=live_server.url)
    context.add_init_script(LISTEN)
    try:
        page = context.new_page()
        page.goto("/")
        page.evaluate(
            "document.body.insertAdjacentHTML('beforeend', '<p id=\"x\" style=\"color: red\">x</p>')"
        )
        page.wait_for_function("window.__cspViolations.length > 0", timeout=5_000)
        assert page.evaluate("window.__cspViolations")[0].startswith("style-src")
        assert page.evaluate("getComputedStyle(document.getElementById('x')).color") != "rgb(255, 0, 0)"
    finally:
        context.close()
