"""``insert_ignore``: many rows in one round trip, duplicates of a unique key silently skipped.

PostgreSQL (production, the national run): the rows are streamed with ``COPY`` into a session-local
temporary table, then ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` moves them in one statement — no
model instances, no per-value adaptation, so a batch of thousands of reminders costs milliseconds.
Other databases (SQLite, the embedded mode and the tests): Django's ``bulk_create(ignore_conflicts=True)``.
Either way the statement count per call is constant and the caller's transaction is used.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection, models

_SPECIAL = ("\\", "\t", "\n", "\r")


def _escape(text: str) -> str:
    if any(c in text for c in _SPECIAL):
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _text(value: Any, memo: dict[int, str]) -> str:
    kind = type(value)
    if kind is str:
        return _escape(value)
    if kind is int:
        return str(value)
    if value is None:
        return "\\N"
    if kind is bool:
        return "t" if value else "f"
    key = id(value)  # the same dict / datetime object repeated on every row: rendered once
    cached = memo.get(key)
    if cached is None:
        if isinstance(value, dict | list):
            cached = _escape(json.dumps(value, ensure_ascii=False))
        elif isinstance(value, datetime | date):
            cached = value.isoformat()
        else:
            cached = _escape(str(value))
        memo[key] = cached
    return cached


def _column(field: Any) -> str:
    column = getattr(field, "column", None)
    if not isinstance(column, str):
        raise ValueError(f"{field!r} is not a concrete column")
    return column


def insert_ignore(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    fresh_uuid: Sequence[str] = (),
) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``, attribute names) into ``model``'s table.

    ``fresh_uuid``: UUID columns not in ``rows`` that get a new random value per row (the model's
    ``uuid4`` default on other databases, ``gen_random_uuid()`` on PostgreSQL).
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in rows], ignore_conflicts=True
        )
        return
    meta = model._meta
    quote = connection.ops.quote_name
    cols = ", ".join(quote(_column(meta.get_field(name))) for name in columns)
    extra = [quote(_column(meta.get_field(name))) for name in fresh_uuid]
    target_cols = ", ".join([cols, *extra])
    select_cols = ", ".join([cols, *["gen_random_uuid()"] * len(extra)])
    table = quote(meta.db_table)
    temp = quote(f"tmp_{meta.db_table}")
    memo: dict[int, str] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {temp} ON COMMIT DELETE ROWS AS "  # noqa: S608 (names from models)
            f"SELECT {cols} FROM {table} WITH NO DATA"
        )
        payload = "".join("\t".join([_text(v, memo) for v in row]) + "\n" for row in rows)
        with cursor.cursor.copy(f"COPY {temp} ({cols}) FROM STDIN") as copy:
            copy.write(payload)
        cursor.execute(
            f"INSERT INTO {table} ({target_cols}) SELECT {select_cols} FROM {temp} "  # noqa: S608
            "ON CONFLICT DO NOTHING"
        )
        cursor.execute(f"DELETE FROM {temp}")  # noqa: S608  (a second call in the same transaction)
