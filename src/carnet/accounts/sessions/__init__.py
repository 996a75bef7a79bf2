"""Session engines: Django's database (``db``) and cache-through (``cached_db``) engines whose per-request
read is one statement of plain SQL instead of an ORM query (``carnet.common.rawsql``).

Every authenticated request reads its session; through the ORM that read cost ~1 ms of query compilation
(bench/README.md). Only the read changes: writes, deletes, expiry and the cookie are Django's.
Settings: ``SESSION_ENGINE = "carnet.accounts.sessions.db"`` or ``"carnet.accounts.sessions.cached_db"``.

The same statement brings what the next two steps of every authenticated request would each read again:
the ``Device`` that holds this session key (enrolled at login, R-LC-12; checked by
``accounts.middleware.DeviceMiddleware``) and that device's user with his relations (the columns and joins
of ``accounts.backends``). They are kept as ``prefetched_device`` / ``prefetched_user`` and are only
*offers*: the middleware and the backend take them when they are the very device and user the session
data names, and read by id otherwise. A session key held by two device rows offers nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.sessions.models import Session
from django.db import connection

from carnet.common import clock
from carnet.common.rawsql import Columns, column, fetchall, per_vendor, table

from .. import backends
from ..models import Device, User

_SESSION = Columns(Session, "s")
# What DeviceMiddleware needs of a device (R-LC-12: revoked / ended, last seen, current session key).
DEVICE_COLUMNS = Columns(Device, "d", only=["user", "revoked_at", "ended_at", "last_seen_at", "session_key"])


@per_vendor
def _session_sql() -> str:
    key = column(Session, "session_key")
    return (
        f"SELECT {_SESSION.sql()}, {DEVICE_COLUMNS.sql()}, {backends.user_select_sql()} "  # noqa: S608 - names from _meta, values bound
        f"FROM {table(Session)} s "
        f"LEFT JOIN {table(Device)} d ON d.{column(Device, 'session_key')} = s.{key} "
        f"LEFT JOIN {table(User)} u ON u.id = d.{column(Device, 'user')} "
        f"{backends.user_relation_joins_sql()} "
        f"WHERE s.{key} = %s AND s.{column(Session, 'expire_date')} > %s LIMIT 2"
    )


class RawSessionRead:
    """Mixin over ``django.contrib.sessions.backends.db.SessionStore``: the same lookup (key, not
    expired), sent as plain SQL. A missing or expired session empties the key, as Django does. "Expired"
    is judged on the injectable clock (invariant 6), which is the system time outside tests."""

    session_key: Any
    _session_key: Any
    prefetched_device: Device | None = None
    prefetched_user: User | None = None

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
        self.prefetched_device = self.prefetched_user = None
        if not self.session_key:
            self._session_key = None
            return None
        rows = fetchall(
            _session_sql(),
            [self.session_key, connection.ops.adapt_datetimefield_value(clock.now())],
        )
        if not rows:
            self._session_key = None
            return None
        row = rows[0]
        if len(rows) == 1:  # one device holds this key (or none: NULLs, nothing offered)
            start = _SESSION.width
            self.prefetched_device = DEVICE_COLUMNS.load(row, start)
            self.prefetched_user = backends.load_user(row, start + DEVICE_COLUMNS.width)
        return _SESSION.load(row)
