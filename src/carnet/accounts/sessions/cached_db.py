"""``SESSION_ENGINE = "carnet.accounts.sessions.cached_db"``: Django's cache-through sessions (read from the
shared cache, written to both), falling back to a plain-SQL database read."""

from __future__ import annotations

from django.contrib.sessions.backends import cached_db

from . import RawSessionRead


class SessionStore(RawSessionRead, cached_db.SessionStore):
    pass
