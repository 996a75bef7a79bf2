"""Ends the session of a revoked device (R-LC-12) and records when each device was last seen.

A completed login stores its Device id in the session (``DEVICE_SESSION_KEY``). On each request of an
authenticated user carrying one, the device is read: revoked or logged out → the session is flushed
(the browser is anonymous from this request on); otherwise ``last_seen_at`` is refreshed at most once a
minute, and the stored session key follows a rotated session (password change cycles it).
Sessions without a device (tests' ``force_login``) are left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from carnet.common import clock

from .models import Device

DEVICE_SESSION_KEY = "carnet_device"
LAST_SEEN_EVERY = timedelta(minutes=1)


class DeviceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        device_id = session.get(DEVICE_SESSION_KEY) if session is not None else None
        if device_id is not None and user is not None and user.is_authenticated:
            device = Device.objects.filter(pk=device_id, user_id=user.pk).first()
            if device is None or device.revoked_at is not None or device.ended_at is not None:
                logout(request)
            else:
                now = clock.now()
                changes: dict[str, object] = {}
                if now - device.last_seen_at >= LAST_SEEN_EVERY:
                    changes["last_seen_at"] = now
                key = session.session_key if session is not None else None
                if key and key != device.session_key:
                    changes["session_key"] = key
                if changes:
                    Device.objects.filter(pk=device.pk).update(**changes)
        return self.get_response(request)
