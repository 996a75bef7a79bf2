"""The shared cache (Redis, ``CARNET_CACHE_URL``) down or silent never fails a request.

Two uses read the cache on the hot path, and each degrades its own way:

* **Sessions** (``carnet.accounts.sessions.cached_db``) are written through to the database: while the
  cache is unreachable they are read from and written to the database alone. A cached copy written
  before this process last found the cache unreachable is not trusted afterwards (``session_entry``):
  a session changed or deleted during the outage is read again from the database.
* **Counters** (login, activation and identification throttles, the lock state of unknown usernames)
  use ``counters``: the shared cache, else the database cache (alias ``FALLBACK_ALIAS``, Django's
  ``DatabaseCache`` on the table ``carnet_cache_fallback``). A throttle therefore never fails *open*:
  it keeps counting, in the database; if the database is down too, the request answers 503
  (``carnet.common.unavailable``) — closed. Counts made in Redis before the outage are not seen by the
  database cache (and the reverse after it): at most one more window of attempts, once per outage.

A per-process circuit breaker (``breaker``) keeps a silent cache from costing a timeout on every call:
after one error — connection refused, or no answer within ``CARNET_CACHE_TIMEOUT_SECONDS`` (the Redis
client's socket timeouts) — the process leaves the cache alone for ``CARNET_CACHE_RETRY_SECONDS``, then
tries again. A black-holed Redis thus costs one timeout per process per retry period.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.base import BaseCache

logger = logging.getLogger("carnet.cache")

FALLBACK_ALIAS = "database"
FALLBACK_TABLE = "carnet_cache_fallback"
T = TypeVar("T")


def _cache_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OSError]  # sockets: refused, reset, unreachable, timed out
    try:
        from redis.exceptions import RedisError  # the client of Django's RedisCache
    except ImportError:  # pragma: no cover - redis is installed with celery[redis]
        pass
    else:
        errors.append(RedisError)
    return tuple(errors)


CACHE_ERRORS = _cache_errors()


class Breaker:
    """Whether this process may use the shared cache now, and since when cached sessions are trusted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._retry_at = 0.0  # monotonic: the cache is left alone until then
        self.distrust_before = 0.0  # wall clock: session copies cached before this are re-read

    def usable(self) -> bool:
        return time.monotonic() >= self._retry_at

    def trip(self, error: BaseException) -> None:
        retry = float(getattr(settings, "CARNET_CACHE_RETRY_SECONDS", 30))
        with self._lock:
            first = self.usable()
            self._retry_at = time.monotonic() + retry
            # Writes made from now until the retry skip the cache: what it holds may be stale.
            self.distrust_before = time.time() + retry
        if first:
            logger.warning(
                "shared cache unreachable (%s): sessions and counters use the database for %.0f s",
                type(error).__name__,
                retry,
            )

    def reset(self) -> None:
        with self._lock:
            self._retry_at = 0.0
            self.distrust_before = 0.0


breaker = Breaker()


# --- sessions: the cached copy and when it was made -------------------------------------------------

_SESSION_FORMAT = "carnet-session-1"


def session_entry(data: dict[str, Any]) -> dict[str, Any]:
    """What ``cached_db`` stores: the session data and when it was cached (wall clock)."""
    return {"format": _SESSION_FORMAT, "cached_at": time.time(), "data": data}


def session_data(entry: object) -> dict[str, Any] | None:
    """The cached session data, or None (a miss) when absent, of another format, or cached before this
    process last found the cache unreachable."""
    if not isinstance(entry, dict) or entry.get("format") != _SESSION_FORMAT:
        return None
    cached_at, data = entry.get("cached_at"), entry.get("data")
    if not isinstance(cached_at, float) or not isinstance(data, dict) or cached_at < breaker.distrust_before:
        return None
    return data


# --- counters ----------------------------------------------------------------------------------------


def _call(operation: Callable[[BaseCache], T]) -> T:
    """``operation`` on the shared cache, or on the database cache when the shared one is unreachable."""
    if breaker.usable():
        try:
            return operation(caches[DEFAULT_CACHE_ALIAS])
        except CACHE_ERRORS as error:
            breaker.trip(error)
    return operation(caches[FALLBACK_ALIAS])


class Counters:
    """The few cache operations the throttles use, routed by ``_call`` (never failing open)."""

    def get(self, key: str, default: Any = None) -> Any:
        return _call(lambda cache: cache.get(key, default))

    def set(self, key: str, value: Any, timeout: int) -> None:
        _call(lambda cache: cache.set(key, value, timeout=timeout))

    def add(self, key: str, value: Any, timeout: int) -> bool:
        return bool(_call(lambda cache: cache.add(key, value, timeout=timeout)))

    def incr(self, key: str, delta: int = 1) -> int:
        return int(_call(lambda cache: cache.incr(key, delta)))

    def delete(self, key: str) -> None:
        _call(lambda cache: cache.delete(key))


counters = Counters()
