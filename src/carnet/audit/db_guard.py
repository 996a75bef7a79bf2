"""The database side of "traces are append-only" (STYLE; ARCHITECTURE invariant 3).

Migrations ``0002_append_only_triggers`` and ``0004_log_append_only_triggers`` install triggers that
refuse any UPDATE or DELETE of the traces and of every table of the transparency log (``GUARDED_TABLES``;
the queue is the only exception: rows leave it once sequenced):

* **PostgreSQL** — a ``plpgsql`` trigger function raising an exception, ``BEFORE UPDATE OR DELETE``,
  ``FOR EACH ROW``. Combined with the deployment grants (the application role has INSERT and SELECT on
  these tables, not UPDATE/DELETE/TRUNCATE), the application cannot rewrite history. ``TRUNCATE`` fires
  no row trigger: it is kept for the test runner's flush and must be revoked from the application role.
* **SQLite** (embedded mode, tests) — ``BEFORE UPDATE`` / ``BEFORE DELETE`` triggers with
  ``RAISE(ABORT, ...)``. SQLite has no TRUNCATE, and Django's test runner empties tables with a plain
  ``DELETE FROM "audit_trace";``, so the DELETE trigger lets exactly that statement through: it asks the
  SQL function ``carnet_audit_flushing()``, which this module registers on every Django connection and
  which answers 1 only while Django's flush statement runs (seen by a connection execute wrapper).
  Any other connection (the ``sqlite3`` shell) does not know the function, so the trigger fails there
  too (fail closed).

Someone with DBA rights can still drop the triggers (the tests do, to tamper on purpose): that is what the
signed entry timestamps, the signed tree heads, the witnesses and the patients' downloaded proofs catch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

GUARDED_TABLES = (
    "audit_trace",
    "audit_logleaf",
    "audit_loghash",
    "audit_treehead",
    "audit_headissued",
    "audit_witnesscosignature",
    "audit_logcheck",
)
_FLUSH_STATEMENTS = frozenset(f'DELETE FROM "{table}";' for table in GUARDED_TABLES)  # noqa: S608 (constants)
_state = threading.local()


def _flushing() -> int:
    return 1 if getattr(_state, "flushing", False) else 0


def _flush_wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
    if isinstance(sql, str) and sql.strip() in _FLUSH_STATEMENTS:
        _state.flushing = True
        try:
            return execute(sql, params, many, context)
        finally:
            _state.flushing = False
    return execute(sql, params, many, context)


def on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: register the SQLite function and the flush execute wrapper."""
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function("carnet_audit_flushing", 0, _flushing)
    if _flush_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(_flush_wrapper)


def uninstall_sql(vendor: str) -> list[str]:
    """Statements dropping the append-only triggers (tests use them, inside their transaction, to tamper
    with the log on purpose, as an attacker with DBA rights could)."""
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in GUARDED_TABLES] + [
            "DROP FUNCTION IF EXISTS carnet_audit_append_only()"
        ]
    if vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {table}_{suffix}"
            for table in GUARDED_TABLES
            for suffix in ("no_update", "no_delete")
        ]
    return []
