"""Hot read paths in plain SQL, with the ORM's own column lists, value converters and instances.

Why: on the read path of the record (every professional's list or open of a document, issue 3's
benchmark) the ORM's *query compilation* cost more than the database: 0.3–1 ms of Python per statement
against ~0.13 ms for the same statement sent through ``connection.cursor()`` (bench/README.md). The few
statements run on every request are therefore written as SQL, once, next to the code that needs them.

What this module keeps from the ORM, so such SQL is not a second data model:

* ``Columns(Model, "alias")`` lists the model's concrete columns (or a subset) from ``Model._meta``, quoted
  for the backend — a new field or a renamed column is picked up, never hand-copied;
* ``Columns.load(row, start)`` turns the row slice back into a model instance with ``Model.from_db`` after
  applying exactly the converters the ORM would (``connection.ops.get_db_converters`` + the field's
  ``from_db_value``: SQLite's naive datetimes become aware, its hex UUIDs become ``UUID``, JSON is decoded...);
* ``link(parent, field_name, child)`` caches a loaded relation on both sides, as ``select_related`` does.
* ``@per_vendor`` builds each statement once per database vendor (and filter combination), so the hot
  path pays for neither quoting nor column lists per request.

Parameters are always bound (``%s``), never formatted into the SQL. Anything not on a hot path keeps
using the ORM.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, ParamSpec, TypeVar

from django.db import connections
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)
P = ParamSpec("P")
_Converter = Callable[[Any, Any, Any], Any]


class Columns(Generic[M]):
    """The columns of ``model`` under the SQL alias ``alias`` (all concrete fields, or ``only`` them)."""

    def __init__(self, model: type[M], alias: str, *, only: Iterable[str] | None = None) -> None:
        self.model = model
        self.alias = alias
        concrete: list[Field[Any, Any]] = list(model._meta.concrete_fields)
        if only is not None:
            wanted = set(only) | {model._meta.pk.name}
            concrete = [f for f in concrete if f.name in wanted or f.attname in wanted]
        self.fields = tuple(concrete)
        self.attnames = tuple(f.attname for f in self.fields)
        self.width = len(self.fields)
        self._pk_index = next(
            i for i, f in enumerate(self.fields) if f.primary_key
        )  # a LEFT JOIN that found nothing gives NULL here
        self._sql: dict[str, str] = {}
        self._converters: dict[str, list[list[tuple[_Converter, Any]]]] = {}

    def sql(self, using: str = "default") -> str:
        """``"alias"."col1", "alias"."col2", ...`` for the connection ``using``."""
        if using not in self._sql:
            quote = connections[using].ops.quote_name
            self._sql[using] = ", ".join(f"{quote(self.alias)}.{quote(f.column)}" for f in self.fields)
        return self._sql[using]

    def _converters_for(self, using: str) -> list[list[tuple[_Converter, Any]]]:
        if using not in self._converters:
            connection = connections[using]
            per_field = []
            for f in self.fields:
                col = f.get_col(self.alias)
                convs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                per_field.append([(conv, col) for conv in convs])
            self._converters[using] = per_field
        return self._converters[using]

    def load(self, row: Sequence[Any], start: int = 0, using: str = "default") -> M | None:
        """The instance in ``row[start:start + width]``; ``None`` when its primary key is NULL."""
        values = list(row[start : start + self.width])
        if values[self._pk_index] is None:
            return None
        connection = connections[using]
        for index, convs in enumerate(self._converters_for(using)):
            value = values[index]
            for conv, col in convs:
                value = conv(value, col, connection)
            values[index] = value
        return self.model.from_db(using, list(self.attnames), values)


def per_vendor(build: Callable[P, str]) -> Callable[P, str]:
    """Build a statement once per database vendor and argument tuple, not on every call: its quoting
    and column lists are fixed for the life of the process. ``build`` takes hashable arguments
    (e.g. which optional filters are present), never the values, which stay bound parameters."""
    cache: dict[tuple[Any, ...], str] = {}

    @functools.wraps(build)
    def statement(*args: P.args, **kwargs: P.kwargs) -> str:
        key = (connections["default"].vendor, args, tuple(sorted(kwargs.items())))
        if key not in cache:
            cache[key] = build(*args, **kwargs)
        return cache[key]

    return statement


def table(model: type[Model], using: str = "default") -> str:
    """The model's table name, quoted for the connection ``using``."""
    return connections[using].ops.quote_name(model._meta.db_table)


def column(model: type[Model], field_name: str, using: str = "default") -> str:
    """A field's column name (``professional`` → ``"professional_id"``), quoted."""
    field: Any = model._meta.get_field(field_name)  # a concrete field: it has a column
    return connections[using].ops.quote_name(field.column)


def link(parent: Model, field_name: str, child: Model | None) -> None:
    """Cache ``parent.<field_name>`` = ``child`` and, for a one-to-one, the reverse side, as
    ``select_related`` does (``child`` ``None``: the relation is known to be empty, no query later).

    ``field_name`` may be a forward foreign key / one-to-one or a reverse one-to-one accessor."""
    field: Any = parent._meta.get_field(field_name)
    if field.is_relation and not field.auto_created:  # forward FK / one-to-one
        field.set_cached_value(parent, child)
        if child is not None and field.one_to_one:
            field.remote_field.set_cached_value(child, parent)
    else:  # reverse one-to-one (``OneToOneRel``)
        field.set_cached_value(parent, child)
        if child is not None:
            field.remote_field.set_cached_value(child, parent)


def fetchone(sql: str, params: Sequence[Any], using: str = "default") -> tuple[Any, ...] | None:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return tuple(row) if row is not None else None


def fetchall(sql: str, params: Sequence[Any], using: str = "default") -> list[tuple[Any, ...]]:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(r) for r in cursor.fetchall()]
