"""Ends the session of a revoked device (R-LC-12) and records when each device was last seen; resolves
the request's user with what the session read already loaded (``AuthenticationMiddleware``).

A completed login stores its Device id in the session (``DEVICE_SESSION_KEY``). On each request of an
authenticated user carrying one, the device is read: revoked or logged out → the session is flushed
(the browser is anonymous from this request on); otherwise ``last_seen_at`` is refreshed at most once a
minute, and the stored session key follows a rotated session (password change cycles it).
Sessions without a device (tests' ``force_login``) are left alone.

Idle expiry (``SESSION_COOKIE_AGE``, 30 minutes) without writing the session on every request
(``SESSION_SAVE_EVERY_REQUEST = False``): the session of an authenticated user is marked modified at
most once a minute (``SESSION_REFRESH_KEY`` holds when), so Django re-saves it with its expiry pushed
``SESSION_COOKIE_AGE`` ahead. A session therefore ends between 29 and 30 minutes after its last request,
never later; the other requests do not write (one commit per read instead of two).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth import logout
from django.contrib.auth import middleware as auth_middleware
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from carnet.common import clock
from carnet.common.rawsql import column, fetchone, per_vendor, table

from .backends import get_user
from .models import Device
from .sessions import DEVICE_COLUMNS

DEVICE_SESSION_KEY = "carnet_device"
SESSION_REFRESH_KEY = "carnet_refreshed"
LAST_SEEN_EVERY = timedelta(minutes=1)
SESSION_REFRESH_EVERY = timedelta(minutes=1)


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, whose lazy ``request.user`` is resolved by ``accounts.backends.get_user``: the same
    checks, with the user the session read brought on offer (no statement of its own)."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: get_user(request))  # type: ignore[assignment]


# Read on every authenticated request: plain SQL (carnet.common.rawsql), not an ORM query to compile.
@per_vendor
def _device_sql() -> str:
    return (
        f"SELECT {DEVICE_COLUMNS.sql()} FROM {table(Device)} d "  # noqa: S608 - names from _meta
        f"WHERE d.id = %s AND d.{column(Device, 'user')} = %s"
    )


def _device(session: SessionBase | None, device_id: object, user_id: int) -> Device | None:
    """The session's device if it belongs to ``user_id``: the one the session read brought when it is
    that device (``carnet.accounts.sessions``), else read by id."""
    try:
        wanted = int(device_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    offered = getattr(session, "prefetched_device", None)
    if isinstance(offered, Device) and offered.pk == wanted:
        return offered if offered.user_id == user_id else None
    row = fetchone(_device_sql(), [wanted, user_id])
    return DEVICE_COLUMNS.load(row) if row is not None else None


class DeviceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        device_id = session.get(DEVICE_SESSION_KEY) if session is not None else None
        if device_id is not None and user is not None and user.is_authenticated:
            device = _device(session, device_id, user.pk)
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
        user = getattr(request, "user", None)  # anonymous after a logout above: nothing to refresh
        if session is not None and user is not None and user.is_authenticated:
            refresh_idle_expiry(session)
        return self.get_response(request)


def refresh_idle_expiry(session: SessionBase) -> None:
    """Mark the session modified (so it is saved with a fresh expiry) if it was not in the last minute."""
    now = int(clock.now().timestamp())
    last = session.get(SESSION_REFRESH_KEY)
    if not isinstance(last, int) or not 0 <= now - last < SESSION_REFRESH_EVERY.total_seconds():
        session[SESSION_REFRESH_KEY] = now
