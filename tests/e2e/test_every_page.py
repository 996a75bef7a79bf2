"""Every page of every role, at 320, 375, 768, 1024 and 1280 px, in Debian's chromium under the real
Content-Security-Policy, with a year of realistic data (``tests/e2e/site.py``). For each page and width:

* nothing is wider than the window (``document.documentElement.scrollWidth <= innerWidth``);
* every visible button, and every link drawn as a button, shows its text or has an accessible name
  (``aria-label``, ``title``, ``aria-labelledby`` or an ``fr-sr-only`` text): DSFR turns an icon button of a
  button group into a 40 × 40 px square that clips its text unless the group says ``--icon-left``;
* axe-core (vendored in ``tests/vendor/axe-core``, no CDN) finds no violation.

The pages come from the URLconf: a named route must be visited by some role or be excluded with a reason
(``site.EXCLUDED``); an exclusion saying "answers POST only" is checked (GET answers 405).

One browser, one context per role; each page is loaded once, at 1280 px, then the window is narrowed
(the DSFR header switches to its menu button below 992 px, as on a phone). axe-core is added to every
page by the context's init script: the CSP refuses the inline ``<script>`` that ``add_script_tag`` would
insert, and bypassing the CSP would test another page than the one people get.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client

from carnet.accounts.models import User
from carnet.accounts.services import staff_create
from tests.e2e import site
from tests.factories import ProfessionalFactory
from tests.records.helpers import make_world

WIDTHS = (1280, 1024, 768, 375, 320)
AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"

# One look at the page as it is now: the fonts are in and the layout has settled after the last resize
# (resize observers have run); then its width, whether the header's brand is clipped, the buttons and links drawn as buttons whose text is not
# shown and that have no other accessible name, and axe-core's violations.
LOOK = """async () => {
  await document.fonts.ready;
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden'
      && !el.closest('[aria-hidden="true"]');
  };
  const named = (el) =>
    ['aria-label', 'aria-labelledby', 'title'].some((a) => (el.getAttribute(a) || '').trim())
    || Array.from(el.querySelectorAll('.fr-sr-only')).some((e) => e.textContent.trim());
  const textShown = (el) => {
    if (el.tagName === 'INPUT') return (el.value || '').trim() !== '';
    const box = el.getBoundingClientRect();
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim() || node.parentElement.closest('.fr-sr-only')) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) {
        if (r.width > 0 && r.left >= box.left - 1 && r.right <= box.right + 1) return true;
      }
    }
    return false;
  };
  const buttons = 'button, a.fr-btn, input[type=submit], input[type=button], [role=button]';
  const unnamed = Array.from(document.querySelectorAll(buttons))
    .filter((el) => shown(el) && !textShown(el) && !named(el))
    .map((el) => el.outerHTML.slice(0, 160));
  // The brand's top row clips what overflows it: the logo must end inside it ("RÉPUBL FRANÇ" otherwise).
  const brand = document.querySelector('.fr-header__brand-top');
  const logo = document.querySelector('.fr-header__logo');
  const axeResults = await axe.run(document, {resultTypes: ['violations']});
  return {
    scroll: document.documentElement.scrollWidth,
    inner: window.innerWidth,
    logoCut: brand !== null && logo !== null
      && logo.getBoundingClientRect().right > brand.getBoundingClientRect().right + 1,
    unnamed,
    violations: axeResults.violations.map((v) => `${v.id} (${v.impact}): `
      + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')),
  };
}"""
# DSFR's script has started (the header's menu is built), on pages that load it.
DSFR_STARTED = """() => !document.querySelector('script[src*="/dsfr/"]')
  || document.documentElement.hasAttribute('data-fr-js')"""


def _check(page: Any, width: int) -> list[str]:
    page.set_viewport_size({"width": width, "height": 900})
    look = page.evaluate(LOOK)
    found = (
        [f"{look['scroll']} px wide (window {look['inner']} px)"] if look["scroll"] > look["inner"] else []
    )
    found += ["the header's logo is cut"] if look["logoCut"] else []
    found += [f"button without a visible text or a name: {html}" for html in look["unnamed"]]
    return found + [f"axe: {violation}" for violation in look["violations"]]


def _load(page: Any, path: str, status: int = 200) -> list[str]:
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    response = page.goto(path, wait_until="domcontentloaded")
    page.wait_for_function(DSFR_STARTED)
    if response is None or response.status != status:
        return [f"answered {response.status if response else None}, not {status}"]
    return []


def _context(browser: Any, live_server: Any, session: str | None) -> Any:
    # Service workers blocked: Playwright's routes (the 503 page below) do not see what a worker fetches, and
    # the worker's own promises are tested in test_pwa_offline.py.
    context = browser.new_context(base_url=live_server.url, locale="fr-FR", service_workers="block")
    context.add_init_script(path=str(AXE))
    if session:
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
    return context


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_page_of_every_role_fits_names_its_buttons_and_passes_axe(
    browser, live_server, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_DEMO = True  # the demo outbox and the time-travel page are pages too
    world = site.build()
    visits = site.visits(world)

    routes = site.routes()
    visited = {v.name for v in visits}
    unknown = sorted(name for name in routes if name not in visited and site.excluded(name) is None)
    assert not unknown, f"routes neither visited nor excluded with a reason (tests/e2e/site.py): {unknown}"
    assert not visited - set(routes), f"visited routes that no longer exist: {sorted(visited - set(routes))}"

    problems: dict[str, list[str]] = {}
    for role in site.ROLES:
        context = _context(browser, live_server, world.sessions.get(role))
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            for visit in (v for v in visits if v.role == role):
                found = _load(page, visit.path)
                if not found:
                    found = [f"{width} px: {p}" for width in WIDTHS for p in _check(page, width)]
                if found:
                    problems[f"{role} {visit.path} ({visit.name})"] = found
            if role in {site.ANONYMOUS, site.PATIENT}:
                for label, found in _errors(page, role).items():
                    if found:
                        problems[f"{role} {label}"] = found
        finally:
            context.close()
    report = "\n".join(f"{where}:\n  " + "\n  ".join(found) for where, found in problems.items())
    assert not problems, f"{len(problems)} pages with problems:\n{report}"


def _errors(page: Any, role: str) -> dict[str, list[str]]:
    """The error pages in the role's header: a missing page, a refused form, and (once) the database down."""
    found: dict[str, list[str]] = {}
    found["404"] = _load(page, "/cette-page-n-existe-pas/", status=404) or [
        f"{w} px: {p}" for w in WIDTHS for p in _check(page, w)
    ]
    if role != site.ANONYMOUS:
        return found
    page.goto("/connexion/")
    with page.expect_navigation():
        page.evaluate(
            "() => { const f = document.querySelector('main form[method=post]');"
            " f.querySelector('[name=csrfmiddlewaretoken]').remove(); f.submit(); }"
        )
    found["403 (form refused)"] = [f"{w} px: {p}" for w in WIDTHS for p in _check(page, w)]
    unavailable = render_to_string("503.html", {"read_only": False})
    page.route(
        "**/indisponible/",
        lambda route: route.fulfill(status=503, body=unavailable, content_type="text/html"),
    )
    found["503"] = _load(page, "/indisponible/", status=503) or [
        f"{w} px: {p}" for w in WIDTHS for p in _check(page, w)
    ]
    return found


def test_the_vendored_axe_core_is_the_published_file() -> None:
    """The file is the one of the npm package named in its README (pinned by SHA-256)."""
    readme = (AXE.parent / "README.md").read_text()
    pinned = re.search(r"`axe\.min\.js` \| `([0-9a-f]{64})`", readme)
    assert pinned is not None
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == pinned.group(1)


@pytest.mark.django_db
def test_the_routes_excluded_as_actions_refuse_get() -> None:
    """An exclusion saying "answers POST only" is true: a GET gets 405, for whoever may use the action (the
    views first check who asks, then the method)."""
    patient = User.objects.get(person=make_world().patient)
    professional = staff_create(
        role="PROFESSIONAL",
        username="dr.exemple",
        password="Stethoscope-Vert-73!",
        rpps=ProfessionalFactory().rpps,
    )
    operator = staff_create(role="OPERATOR", username="operateur.exemple", password="Stethoscope-Vert-73!")
    clients = [Client()]
    for user in (patient, professional, operator):
        client = Client()
        client.force_login(user)
        clients.append(client)
    actions = [name for name in site.routes() if site.excluded(name) == site.POST_ONLY]
    assert len(actions) > 40
    answered = {
        name: [client.get(site.dummy_path(name)).status_code for client in clients] for name in actions
    }
    assert not {name: codes for name, codes in answered.items() if 405 not in codes}
