"""``pwa_offline_summary`` for ``partials/head_app.html``, ``pwa_device`` for the devices page.

Both are lazy: a page that does not show them costs nothing.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .state import CLEAR_SESSION_KEY, OFFLINE_SUMMARY_KEY


def offline_summary_state(request: HttpRequest) -> str:
    """``keep`` (a patient whose device keeps the summary), ``clear`` (a patient whose device does not,
    or the first page after this browser's device ended), or ``""`` (leave whatever is there)."""
    session = getattr(request, "session", None)
    if session is None:
        return ""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        if getattr(user, "role", "") != "PATIENT":
            return "clear"
        return "keep" if session.get(OFFLINE_SUMMARY_KEY) else "clear"
    if session.get(CLEAR_SESSION_KEY):
        del session[CLEAR_SESSION_KEY]
        return "clear"
    return ""


def _device(request: HttpRequest) -> dict[str, Any]:
    from .selectors import device_app_state

    return device_app_state(request)


def app(request: HttpRequest) -> dict[str, Any]:
    return {
        "pwa_offline_summary": SimpleLazyObject(lambda: offline_summary_state(request)),
        "pwa_device": SimpleLazyObject(lambda: _device(request)),
    }
