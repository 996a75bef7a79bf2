"""The installable app (docs/subsystems/pwa.md): icons, manifest, service worker, offline page, the
emergency summary page and the device's "keep it offline" choice, and when a device is told to clear it.

What a browser actually keeps is shown by ``tests/e2e/test_pwa_offline.py``."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from PIL import Image

from carnet.accounts.middleware import DEVICE_SESSION_KEY
from carnet.accounts.models import Device, Role
from carnet.accounts.services import device_revoke, login_complete
from carnet.audit.models import Trace
from carnet.pwa.selectors import PRECACHED_STATIC
from carnet.pwa.state import DEVICE_COOKIE, OFFLINE_SUMMARY_KEY
from tests.backoffice.helpers import make_user
from tests.summary.conftest import ALLERGY, TREATMENT, Filled

EMERGENCY = "/espace/profil/synthese-urgence/"
OFFLINE_CHOICE = "/compte/appareils/hors-ligne/"
DEVICES = "/compte/appareils/"


def _device_client(filled: Filled) -> tuple[Client, Device]:
    account = filled.patient.account
    device = login_complete(user=account, session_key="", user_agent="Mozilla/5.0 (Android 14) Chrome/130.0")
    client = Client()
    client.force_login(account)
    session = client.session
    session[DEVICE_SESSION_KEY] = device.pk
    session.save()
    return client, device


def _meta(html: str) -> str | None:
    found = re.search(r'<meta name="carnet-offline-summary" content="(\w+)"', html)
    return found.group(1) if found else None


# --- icons, manifest, head --------------------------------------------------------------------------


@pytest.mark.parametrize("size", [192, 512])
def test_the_maskable_icons_keep_the_dsfr_logo_inside_the_safe_zone(size: int) -> None:
    image = Image.open(str(finders.find(f"carnet/pwa/maskable-{size}.png"))).convert("RGB")
    assert image.size == (size, size)
    # Outside the centred circle of 80 % of the width a launcher may cut: only the white background.
    radius = 0.4 * size
    for x in range(0, size, 4):
        for y in range(0, size, 4):
            if (x - size / 2) ** 2 + (y - size / 2) ** 2 > radius**2:
                assert image.getpixel((x, y)) == (255, 255, 255), (x, y)
    # … and the logo is there: the blue of the flag in its top left corner.
    red, green, blue = image.getpixel((int(0.24 * size), int(0.24 * size)))  # type: ignore[misc]
    assert blue > 100 and red < 60 and green < 60


def test_the_manifest_makes_carnet_installable_in_french(db: Any) -> None:
    response = Client().get("/manifest.webmanifest")
    assert response.status_code == 200 and response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["name"] == "Carnet — votre espace santé" and data["short_name"] == "Carnet"
    assert data["lang"] == "fr" and data["display"] == "standalone"
    assert data["start_url"] == "/espace/" and data["scope"] == "/"
    assert data["theme_color"] == "#000091" and data["background_color"] == "#ffffff"
    maskable = {i["sizes"] for i in data["icons"] if i["purpose"] == "maskable"}
    assert maskable == {"192x192", "512x512"}
    assert {i["sizes"] for i in data["icons"] if i["purpose"] == "any" and i["type"] == "image/png"} == {
        "192x192",
        "512x512",
    }
    for icon in data["icons"]:
        assert icon["src"].startswith("/static/") and finders.find(icon["src"].removeprefix("/static/"))


def test_the_manifest_has_its_english_name(db: Any) -> None:
    data = json.loads(Client().get("/manifest.webmanifest?lang=en").content)
    assert data["lang"] == "en" and data["name"] == "Carnet — your health space"
    assert data["description"] == "Your personal health space"


def test_every_page_links_the_icons_the_manifest_and_the_page_script_without_inline_script(db: Any) -> None:
    html = Client().get("/").content.decode()
    assert 'rel="manifest" href="/manifest.webmanifest"' in html
    assert 'href="/static/dsfr/dist/favicon/favicon.svg"' in html
    assert 'rel="apple-touch-icon" href="/static/dsfr/dist/favicon/apple-touch-icon.png"' in html
    assert re.search(r'<script src="/static/carnet/pwa/app.js" data-sw="/sw.js" nonce="[\w-]+" defer></script>', html)
    english = Client(headers={"Accept-Language": "en"}).get("/").content.decode()
    assert 'href="/manifest.webmanifest?lang=en"' in english


# --- service worker and offline page ---------------------------------------------------------------


def test_the_service_worker_is_served_at_the_root_and_revalidated(db: Any) -> None:
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache" and response["Service-Worker-Allowed"] == "/"


def test_the_service_worker_precaches_static_files_and_the_offline_page_only(db: Any) -> None:
    script = Client().get("/sw.js").content.decode()
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", script).group(1))  # type: ignore[union-attr]
    assert precache[0] == "/hors-ligne/"
    assert all(url.startswith("/static/") for url in precache[1:])
    assert len(precache) == 1 + len(PRECACHED_STATIC)
    for url in precache[1:]:
        assert finders.find(url.removeprefix("/static/")), url
    # Pages and API answers go to the network only: the worker has no rule that stores them.
    assert script.count("cache.put(") == 1 and "SUMMARY_URL, response.clone()" in script
    assert "/api/" not in script and "/espace/documents" not in script


def test_the_offline_page_holds_nothing_personal_even_when_fetched_by_a_logged_in_patient(
    filled: Filled,
) -> None:
    client, _device = _device_client(filled)
    html = client.get("/hors-ligne/").content.decode()
    assert "Vous êtes hors ligne" in html
    assert filled.patient.first_name not in html and filled.patient.birth_name not in html
    assert "csrfmiddlewaretoken" not in html and "Se déconnecter" not in html
    assert "<script>" not in html  # no inline script under the CSP


# --- the emergency summary ---------------------------------------------------------------------------


def test_the_emergency_summary_shows_what_matters_in_an_emergency_and_is_traced(filled: Filled) -> None:
    client, _device = _device_client(filled)
    response = client.get(EMERGENCY)
    html = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert ALLERGY["name"] in html and TREATMENT["name"] in html and "A+" in html
    assert "Appendicectomie" not in html  # hospitalisations are not part of it
    trace = Trace.objects.filter(action="PROFILE_SUMMARY").latest("id")
    assert trace.details["purpose"] == "emergency"


def test_the_emergency_summary_is_for_patients_only(filled: Filled) -> None:
    operator = Client()
    operator.force_login(make_user(Role.OPERATOR))
    assert operator.get(EMERGENCY).status_code in (403, 404)
    assert Client().get(EMERGENCY).status_code == 302  # to the login page


# --- "Consulter ma synthèse d'urgence hors ligne" ----------------------------------------------------


def test_the_offline_summary_is_off_by_default_and_pages_tell_the_device_to_clear_it(filled: Filled) -> None:
    client, _device = _device_client(filled)
    devices = client.get(DEVICES).content.decode()
    assert (
        'id="offline-summary"' in devices
        and 'id="offline-summary" aria-describedby="offline-summary-hint" checked' not in devices
    )
    assert _meta(devices) == "clear"


def test_turning_it_on_is_traced_and_pages_then_tell_the_device_to_keep_it(filled: Filled) -> None:
    client, device = _device_client(filled)
    assert client.post(OFFLINE_CHOICE, {"enabled": "1"}).status_code == 302
    assert client.session[OFFLINE_SUMMARY_KEY] is True
    trace = Trace.objects.get(action="OFFLINE_SUMMARY_ON")
    assert trace.object_id == str(device.public_id) and trace.patient_id == filled.patient.pk
    page = client.get("/espace/").content.decode()
    assert _meta(page) == "keep" and f'data-url="{EMERGENCY}"' in page
    assert client.post(OFFLINE_CHOICE, {}).status_code == 302  # turned off
    assert Trace.objects.filter(action="OFFLINE_SUMMARY_OFF").count() == 1
    assert _meta(client.get("/espace/").content.decode()) == "clear"


def test_the_choice_belongs_to_the_device_another_device_of_the_same_person_clears(filled: Filled) -> None:
    phone, _ = _device_client(filled)
    laptop, _ = _device_client(filled)
    phone.post(OFFLINE_CHOICE, {"enabled": "1"})
    assert _meta(phone.get("/espace/").content.decode()) == "keep"
    assert _meta(laptop.get("/espace/").content.decode()) == "clear"


def test_after_a_logout_the_next_page_tells_the_device_to_clear_it(filled: Filled) -> None:
    client, _device = _device_client(filled)
    client.post(OFFLINE_CHOICE, {"enabled": "1"})
    client.get("/espace/")  # the device cookie is set
    assert DEVICE_COOKIE in client.cookies
    assert client.post("/deconnexion/").status_code == 302
    assert _meta(client.get("/").content.decode()) == "clear"
    assert _meta(client.get("/").content.decode()) is None  # said once, then nothing to say


def test_a_device_revoked_from_another_one_is_told_to_clear_it_at_its_next_request(filled: Filled) -> None:
    phone, phone_device = _device_client(filled)
    phone.post(OFFLINE_CHOICE, {"enabled": "1"})
    phone.get("/espace/")
    device_revoke(user=filled.patient.account, device=phone_device)  # from the laptop
    response = phone.get("/espace/", follow=True)  # logged out: redirected to the login page
    assert _meta(response.content.decode()) == "clear"


def test_a_session_that_merely_expired_leaves_the_offline_copy_alone(filled: Filled) -> None:
    client, _device = _device_client(filled)
    client.post(OFFLINE_CHOICE, {"enabled": "1"})
    client.get("/espace/")
    client.session.flush()  # expired: the server forgot the session, the device was not ended
    cookie = client.cookies[DEVICE_COOKIE]
    fresh = Client()
    fresh.cookies[DEVICE_COOKIE] = cookie.value
    assert _meta(fresh.get("/").content.decode()) is None


def test_only_a_patient_on_an_enrolled_device_may_choose(filled: Filled) -> None:
    without_device = Client()
    without_device.force_login(filled.patient.account)
    assert without_device.post(OFFLINE_CHOICE, {"enabled": "1"}).status_code == 404
    operator = Client()
    operator.force_login(make_user(Role.OPERATOR))
    assert operator.post(OFFLINE_CHOICE, {"enabled": "1"}).status_code in (403, 404)
    assert not Trace.objects.filter(action="OFFLINE_SUMMARY_ON").exists()
