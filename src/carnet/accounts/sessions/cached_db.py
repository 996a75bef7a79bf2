"""``SESSION_ENGINE = "carnet.accounts.sessions.cached_db"``: Django's cache-through sessions (read from the
shared cache, written to both), falling back to a plain-SQL database read.

The cache is an accelerator, never a dependency (``carnet.common.cache``): the database write comes
first, and a cache that refuses or does not answer is skipped — the session is read from and written to
the database alone while the process's breaker is open, and copies cached before the outage are not
trusted after it. Logins, pages and logouts therefore keep working with Redis down; a logout or a
revoked device during the outage holds afterwards (the database row is gone, the device is ended, and
the stale cached copy is not trusted).
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import cached_db, db
from django.core.cache.backends.base import BaseCache

from carnet.common.cache import CACHE_ERRORS, breaker, session_data, session_entry

from . import RawSessionRead


class SessionStore(RawSessionRead, cached_db.SessionStore):
    _cache: BaseCache  # Django's, set in __init__ (not in django-stubs)
    _session: dict[str, Any]  # Django's property over the loaded data (not in django-stubs)

    def load(self) -> dict[str, Any]:
        data = None
        if breaker.usable():
            try:
                data = session_data(self._cache.get(self.cache_key))
            except CACHE_ERRORS as error:
                breaker.trip(error)
            except Exception:
                data = None
        if data is None:
            session = self._get_session_from_db()
            if session:
                data = self.decode(session.session_data)
                self._cache_set(data, self.get_expiry_age(expiry=session.expire_date))
            else:
                data = {}
        return data

    def exists(self, session_key: str) -> bool:
        if session_key and breaker.usable():
            try:
                if (self.cache_key_prefix + session_key) in self._cache:
                    return True
            except CACHE_ERRORS as error:
                breaker.trip(error)
        return bool(db.SessionStore.exists(self, session_key))

    def save(self, must_create: bool = False) -> None:
        db.SessionStore.save(self, must_create)  # the database first: it is the session's truth
        self._cache_set(self._session, self.get_expiry_age())

    def delete(self, session_key: str | None = None) -> None:
        db.SessionStore.delete(self, session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        if breaker.usable():
            try:
                self._cache.delete(self.cache_key_prefix + session_key)
            except CACHE_ERRORS as error:
                breaker.trip(error)  # the stale copy is distrusted once the cache is used again

    def _cache_set(self, data: dict[str, Any], age: int) -> None:
        if not breaker.usable():
            return
        try:
            self._cache.set(self.cache_key, session_entry(data), age)
        except CACHE_ERRORS as error:
            breaker.trip(error)
