"""Session engines: Django's database (``db``) and cache-through (``cached_db``) engines whose per-request
read is one statement of plain SQL instead of an ORM query (``carnet.common.rawsql``).

Every authenticated request reads its session; through the ORM that read cost ~1 ms of query compilation
(bench/README.md). Only the read changes: writes, deletes, expiry and the cookie are Django's.
Settings: ``SESSION_ENGINE = "carnet.accounts.sessions.db"`` or ``"carnet.accounts.sessions.cached_db"``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.sessions.models import Session
from django.db import connection

from carnet.common import clock
from carnet.common.rawsql import Columns, column, fetchone, per_vendor, table

_SESSION = Columns(Session, "s")


@per_vendor
def _session_sql() -> str:
    return (
        f"SELECT {_SESSION.sql()} FROM {table(Session)} s "  # noqa: S608 - names from _meta, values bound
        f"WHERE s.{column(Session, 'session_key')} = %s AND s.{column(Session, 'expire_date')} > %s"
    )


class RawSessionRead:
    """Mixin over ``django.contrib.sessions.backends.db.SessionStore``: the same lookup (key, not
    expired), sent as plain SQL. A missing or expired session empties the key, as Django does. "Expired"
    is judged on the injectable clock (invariant 6), which is the system time outside tests."""

    session_key: Any
    _session_key: Any

    def get_expiry_age(self, **kwargs: Any) -> int:
        """Seconds left, counted from the injectable clock (Django counts from the system time)."""
        kwargs.setdefault("modification", clock.now())
        age: int = super().get_expiry_age(**kwargs)  # type: ignore[misc]
        return age

    def get_expiry_date(self, **kwargs: Any) -> datetime:
        """The ``expire_date`` written on save: from the injectable clock, as the read judges it."""
        kwargs.setdefault("modification", clock.now())
        date: datetime = super().get_expiry_date(**kwargs)  # type: ignore[misc]
        return date

    def _get_session_from_db(self) -> Session | None:
        if not self.session_key:
            self._session_key = None
            return None
        row = fetchone(
            _session_sql(),
            [self.session_key, connection.ops.adapt_datetimefield_value(clock.now())],
        )
        if row is None:
            self._session_key = None
            return None
        return _SESSION.load(row)
