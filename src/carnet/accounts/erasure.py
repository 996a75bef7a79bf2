"""The account of an erased person is removed (ADR 0008): its sessions, devices, login challenges and the
user row itself (user name, password hash, e-mail, TOTP secret). Called by ``spaces.erasure`` inside the
erasure transaction.

Sessions are found through the devices that hold them (every completed login enrols one, R-LC-12) and
deleted through the configured session engine, so a cache-backed engine forgets them too. A session left
half-way through a login holds only the user's numeric id, which names nothing once the row is gone, and
expires within ``SESSION_COOKIE_AGE``.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings

from .models import Device, User


def erase_account(*, person_id: int) -> bool:
    """Remove the account of ``person_id``; True when there was one."""
    user = User.objects.filter(person_id=person_id).first()
    if user is None:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in Device.objects.filter(user=user).exclude(session_key="").values_list("session_key", flat=True):
        store(session_key=key).delete()
    user.delete()  # devices and login challenges cascade; exports he asked for keep a NULL requester
    return True
