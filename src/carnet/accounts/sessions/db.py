"""``SESSION_ENGINE = "carnet.accounts.sessions.db"``: Django's database sessions, read in plain SQL."""

from __future__ import annotations

from django.contrib.sessions.backends import db

from . import RawSessionRead


class SessionStore(RawSessionRead, db.SessionStore):
    pass
