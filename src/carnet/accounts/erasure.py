"""The account of an erased person is removed (ADR 0008): its sessions, devices, login challenges and the
user row itself (user name, password hash, e-mail, TOTP secret). ``erase_accounts`` is this app's eraser,
registered with ``spaces.erasure`` (``AccountsConfig.ready``): it runs inside the erasure transaction, after
the space's own rows and the notifications (order 900), for a full erasure only.

Sessions are found through the devices that hold them (every completed login enrols one, R-LC-12) and
deleted through the configured session engine, so a cache-backed engine forgets them too. A session left
half-way through a login holds only the user's numeric id, which names nothing once the row is gone, and
expires within ``SESSION_COOKIE_AGE``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from django.conf import settings

from .models import Device, User

if TYPE_CHECKING:
    from carnet.spaces.erasure import ErasureContext

ERASER_ORDER = 900  # after the space's rows and the notifications (spaces.erasure)


def erase_accounts(ctx: ErasureContext) -> None:
    """A full erasure removes the person's account; a content erasure (opposed) keeps it."""
    if ctx.full:
        erase_account(person_id=ctx.patient_id)


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
