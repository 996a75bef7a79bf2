"""Failure counters kept in the cache (``django.core.cache``), measured on the injectable clock.

A counter holds the clock instants of recent failures under one key; those older than the window are
dropped when read. Time comes from ``carnet.common.clock`` (so tests move it), while the cache entry's
own timeout (real seconds) only garbage-collects idle keys. Keys never hold an identifier in clear:
callers pass ``hashed(...)`` values (NIR, username, IP address).

The read-modify-write is not atomic: two concurrent failures may count as one. That is acceptable for a
brake on guessing (the account lockout of R-LC-12 is kept in the database, not here).

With the shared cache (Redis) unreachable, the counters live in the database cache instead
(``carnet.common.cache.counters``): a throttle keeps counting and never fails open.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from carnet.common import clock
from carnet.common.cache import counters as cache


def hashed(kind: str, value: str) -> str:
    """A keyed hash for a cache key: the cache never sees a NIR, a username or an IP address in clear."""
    key = hashlib.sha256(("throttle|" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, f"{kind}|{value}".encode(), hashlib.sha256).hexdigest()[:40]


def _key(scope: str, ident: str) -> str:
    return f"carnet:throttle:{scope}:{ident}"


def _recent(scope: str, ident: str, window_seconds: int) -> list[float]:
    now = clock.now().timestamp()
    stamps: list[float] = cache.get(_key(scope, ident)) or []
    return [t for t in stamps if now - t < window_seconds]


def count(scope: str, ident: str, *, window_seconds: int) -> int:
    """How many events were recorded under (scope, ident) in the last ``window_seconds``."""
    return len(_recent(scope, ident, window_seconds))


def hit(scope: str, ident: str, *, window_seconds: int) -> int:
    """Record one event; returns the count in the window, this one included."""
    stamps = _recent(scope, ident, window_seconds)
    stamps.append(clock.now().timestamp())
    stamps = stamps[-200:]  # bound the entry's size
    cache.set(_key(scope, ident), stamps, timeout=window_seconds + 60)
    return len(stamps)


def clear(scope: str, ident: str) -> None:
    cache.delete(_key(scope, ident))


def exceeded(scope: str, ident: str, *, limit: int, window_seconds: int) -> bool:
    return count(scope, ident, window_seconds=window_seconds) >= limit
