"""Tells a browser that its device ended (logout, revocation) so its offline summary is cleared.

Placed after ``accounts.middleware.DeviceMiddleware`` (which logs a revoked device's session out). On an
authenticated request carrying a device in its session, the browser gets a signed cookie naming that
device. On an anonymous request carrying the cookie, the device is read once: revoked or logged out, the
new session gets ``CLEAR_SESSION_KEY`` (the next page's ``<meta>`` says "clear") and the cookie is
deleted; merely expired (the device still active), nothing happens.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core import signing
from django.db.models import Q
from django.http import HttpRequest, HttpResponse

from carnet.accounts.middleware import DEVICE_SESSION_KEY
from carnet.accounts.models import Device

from .state import CLEAR_SESSION_KEY, DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE, DEVICE_COOKIE_SALT


class DeviceEndMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        cookie = request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=DEVICE_COOKIE_SALT)
        forget = False
        if cookie is not None and not _authenticated(request):
            forget = True
            if _ended(cookie):
                request.session[CLEAR_SESSION_KEY] = True
        response = self.get_response(request)
        session = getattr(request, "session", None)
        device_id = (
            session.get(DEVICE_SESSION_KEY) if session is not None and _authenticated(request) else None
        )
        if device_id is not None:
            if str(device_id) != cookie:
                response.set_signed_cookie(
                    DEVICE_COOKIE,
                    str(device_id),
                    salt=DEVICE_COOKIE_SALT,
                    max_age=DEVICE_COOKIE_MAX_AGE,
                    httponly=True,
                    samesite="Lax",
                    secure=request.is_secure(),
                )
        elif forget:
            response.delete_cookie(DEVICE_COOKIE, samesite="Lax")
        return response


def _authenticated(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def _ended(value: str) -> bool:
    try:
        device_id = int(value)
    except (TypeError, ValueError, signing.BadSignature):
        return False
    return (
        Device.objects.filter(pk=device_id)
        .filter(Q(revoked_at__isnull=False) | Q(ended_at__isnull=False))
        .exists()
    )
