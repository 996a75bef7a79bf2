"""What a device keeps (docs/subsystems/pwa.md), seen from a real browser with its service worker.

A patient logs in and browses his documents; the network goes away: every page he opens is the offline
page, and the browser's Cache Storage holds static files and that page only — none of his documents,
names or profile. He then turns "Consulter ma synthèse d'urgence hors ligne" on for this device: offline,
his emergency summary opens (and the offline page offers it). At logout the copy is deleted.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.records.helpers import World, deposit_pdf
from tests.summary.conftest import ALLERGY, TREATMENT, fill

from .journeys import world_patient_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCUMENT_TITLE = "Compte rendu de cardiologie"

# Every entry of every cache of this origin: its URL and, for text, its body.
CACHE_CONTENTS = """async () => {
  const out = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      const type = response.headers.get("Content-Type") || "";
      const text = /text|javascript|json|css/.test(type) ? await response.text() : "";
      out.push({ cache: name, url: new URL(request.url).pathname, text });
    }
  }
  return out;
}"""


@pytest.fixture
def world(db: Any) -> World:
    from tests.records.helpers import make_world

    world = make_world()
    fill(world)
    deposit_pdf(world, world.gp, title=DOCUMENT_TITLE)
    return world


def _until(page: Any, predicate: str, timeout: float = 15) -> None:
    """Poll ``predicate`` (a JS function, maybe async) with ``page.evaluate``: ``wait_for_function``
    would evaluate a string inside the page, which our CSP (no 'unsafe-eval') refuses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {predicate}"
        page.wait_for_timeout(100)


def _wait_for_worker(page: Any) -> None:
    """The service worker is installed (its precache done) and controls the page, and the page script
    has kept or cleared the summary as the page said."""
    _until(page, "() => navigator.serviceWorker.controller !== null")
    _until(page, "async () => (await caches.keys()).some(n => n.startsWith('carnet-static-'))")
    _until(page, "() => document.documentElement.dataset.carnetOfflineSynced === '1'")


def _offline(page: Any, on: bool) -> None:
    page.context.set_offline(on)


def _secrets(world: World) -> list[str]:
    return [
        DOCUMENT_TITLE,
        ALLERGY["name"],
        TREATMENT["name"],
        world.patient.birth_name,
        world.patient.first_name,
        world.gp.display_name,
    ]


def test_a_device_keeps_no_health_content_offline_unless_the_patient_keeps_his_emergency_summary(
    page: Any, world: World
) -> None:
    world_patient_login(page, world)
    page.goto("/espace/documents/")
    page.get_by_text(DOCUMENT_TITLE).first.wait_for()
    page.reload()  # the worker installed on the first pages now controls this one
    _wait_for_worker(page)
    page.goto("/espace/profil/")

    # Offline: every page of the space is the offline page, and the device holds nothing of the space.
    _offline(page, True)
    for path in ("/espace/documents/", "/espace/", "/espace/profil/synthese-urgence/"):
        page.goto(path)
        assert page.get_by_role("heading", name="Vous êtes hors ligne").is_visible(), path
        assert DOCUMENT_TITLE not in page.content()
    assert not page.locator("[data-offline-summary]").is_visible()
    kept = page.evaluate(CACHE_CONTENTS)
    assert kept, "the worker precached its files"
    for entry in kept:
        assert entry["url"].startswith("/static/") or entry["url"] == "/hors-ligne/", entry["url"]
        for secret in _secrets(world):
            assert secret not in entry["text"], (entry["url"], secret)

    # Online again, the patient keeps his emergency summary on this device.
    _offline(page, False)
    page.goto("/compte/appareils/")
    page.locator("label[for=offline-summary]").click()
    page.get_by_role("button", name="Enregistrer ce choix").click()
    page.wait_for_url(re.compile("/compte/appareils/"))
    _wait_for_worker(page)
    _until(
        page,
        "async () => Boolean(await (await caches.open('carnet-emergency-summary'))"
        ".match('/espace/profil/synthese-urgence/'))",
    )

    _offline(page, True)
    page.goto("/espace/profil/synthese-urgence/")
    assert page.get_by_role("heading", name="Ma synthèse d'urgence").is_visible()
    assert ALLERGY["name"] in page.content() and TREATMENT["name"] in page.content()
    page.goto("/espace/documents/")  # the rest of the space stays out of the device
    assert page.get_by_role("heading", name="Vous êtes hors ligne").is_visible()
    assert DOCUMENT_TITLE not in page.content()
    page.locator("[data-offline-summary]").wait_for(state="visible")
    summary_entries = [e for e in page.evaluate(CACHE_CONTENTS) if e["cache"] == "carnet-emergency-summary"]
    assert [e["url"] for e in summary_entries] == ["/espace/profil/synthese-urgence/"]

    # Logging out deletes the copy.
    _offline(page, False)
    page.goto("/espace/")
    page.get_by_role("button", name="Se déconnecter").first.click()
    page.wait_for_url(re.compile(r"/$"))
    _until(page, "() => document.documentElement.dataset.carnetOfflineSynced === '1'")
    assert page.evaluate("() => caches.has('carnet-emergency-summary')") is False


# Counts the permission requests instead of answering them (a refusal, as a person clicking "Bloquer").
COUNT_PERMISSION_REQUESTS = """
window.__carnetAsked = 0;
Notification.requestPermission = () => { window.__carnetAsked += 1; return Promise.resolve("denied"); };
"""


def test_the_notification_permission_is_asked_on_a_click_never_on_load(page: Any, world: World) -> None:
    page.add_init_script(COUNT_PERMISSION_REQUESTS)
    world_patient_login(page, world)
    page.goto("/compte/appareils/")
    _wait_for_worker(page)
    assert page.evaluate("() => window.__carnetAsked") == 0
    page.get_by_role("button", name="Activer les notifications sur cet appareil").click()
    _until(page, "() => window.__carnetAsked === 1")
    page.get_by_text("Votre navigateur refuse les notifications pour Carnet").wait_for(state="visible")
