"""Reads of the installable app: the current device's app settings, the service worker's asset list."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest
from django.template.loader import get_template
from django.templatetags.static import static

from carnet.accounts.middleware import DEVICE_SESSION_KEY
from carnet.notifications import vapid
from carnet.notifications.push import subscription_for_device

from .state import OFFLINE_SUMMARY_KEY


def current_device_id(request: HttpRequest) -> int | None:
    session = getattr(request, "session", None)
    value = session.get(DEVICE_SESSION_KEY) if session is not None else None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def device_app_state(request: HttpRequest) -> dict[str, Any]:
    """What the devices page shows about this device: push subscribed, offline summary kept."""
    device_id = current_device_id(request)
    return {
        "device_id": device_id,
        "push_subscribed": device_id is not None and subscription_for_device(device_id) is not None,
        "offline_summary": bool(request.session.get(OFFLINE_SUMMARY_KEY)),
        "vapid_public_key": vapid_public_key(),
    }


@lru_cache(maxsize=4)
def _public_key(private: str) -> str:
    return vapid.public_key(private)


def vapid_public_key() -> str:
    """The ``applicationServerKey`` browsers subscribe with."""
    return _public_key(settings.CARNET_VAPID_PRIVATE_KEY)


# Static files the service worker keeps for offline use (all public, none holds personal data): what
# every page loads (DSFR styles, scripts and fonts, ours), the icons, the offline page's script.
PRECACHED_STATIC: tuple[str, ...] = (
    "dsfr/dist/dsfr/dsfr.min.css",
    "dsfr/dist/utility/utility.min.css",
    "css/dsfr-django-overrides.css",
    "dsfr/dist/dsfr/dsfr.module.min.js",
    "dsfr/dist/dsfr/dsfr.nomodule.min.js",
    "dsfr/dist/fonts/Marianne-Regular.woff2",
    "dsfr/dist/fonts/Marianne-Regular_Italic.woff2",
    "dsfr/dist/fonts/Marianne-Medium.woff2",
    "dsfr/dist/fonts/Marianne-Bold.woff2",
    "dsfr/dist/fonts/Marianne-Light.woff2",
    "dsfr/dist/favicon/favicon.svg",
    "dsfr/dist/favicon/favicon.ico",
    "dsfr/dist/favicon/apple-touch-icon.png",
    "dsfr/dist/favicon/android-chrome-192x192.png",
    "dsfr/dist/favicon/android-chrome-512x512.png",
    "carnet/carnet.css",
    "carnet/pwa/app.js",
    "carnet/pwa/offline.js",
    "carnet/pwa/maskable-192.png",
    "carnet/pwa/maskable-512.png",
)


def precached_static_urls() -> list[str]:
    return [static(path) for path in PRECACHED_STATIC]


@lru_cache(maxsize=1)
def _version_of(paths: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        found = finders.find(path)
        digest.update(path.encode())
        if found:
            digest.update(Path(str(found)).read_bytes())
    for template in ("pwa/sw.js", "pwa/offline.html"):
        origin = get_template(template).origin.name  # type: ignore[attr-defined]
        digest.update(Path(origin).read_bytes())
    return digest.hexdigest()[:16]


def assets_version() -> str:
    """Changes whenever a precached file, the offline page or the worker changes: a new worker then
    installs, precaches them again and deletes the old cache."""
    return _version_of(PRECACHED_STATIC)
