"""Where could a canary still be? Scanners that read what an attacker with the disk or the database
would read, none of them from a hand-written list of tables:

* ``scan_catalogue``: every table the database's catalogue lists, every column, every row; each value as
  its raw bytes (a BLOB/bytea holding text in clear is caught) and as text (numbers, dates, JSON);
* ``scan_pg_dump``: the text of ``pg_dump`` (live rows only: what a backup taken now would hold), each
  hit attributed to the table of its ``COPY`` block; bytea is dumped as hex, so the hex of each canary is
  searched too;
* ``scan_sqlite_file``: the bytes of a SQLite database file and of its ``-wal`` / ``-journal``, each hit
  attributed to the table owning its page (``dbstat``), or to free space;
* ``scan_files``: every file under a directory (blobs, exports, anything else).

Canaries are compared case-insensitively.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection


@dataclass(frozen=True, order=True)
class Hit:
    where: str
    canary: str


def _needles(canaries: Iterable[str]) -> list[tuple[str, bytes]]:
    return [(c, c.lower().encode()) for c in canaries]


def _as_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, memoryview | bytearray | bytes):
        return bytes(value)
    return str(value).encode()


def scan_catalogue(canaries: Iterable[str]) -> set[Hit]:
    needles = _needles(canaries)
    quote = connection.ops.quote_name
    hits: set[Hit] = set()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            cursor.execute(f"SELECT {', '.join(map(quote, columns))} FROM {quote(table)}")
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    raw = _as_bytes(value).lower()
                    for canary, needle in needles:
                        if needle in raw:
                            hits.add(Hit(f"{table}.{column}", canary))
    return hits


def pg_dump_text() -> str:
    settings = connection.settings_dict
    env = {**os.environ}
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings["PASSWORD"])
    command = ["pg_dump", "--data-only", "--no-owner", "-d", str(settings["NAME"])]
    if settings.get("HOST"):
        command += ["-h", str(settings["HOST"])]
    if settings.get("PORT"):
        command += ["-p", str(settings["PORT"])]
    if settings.get("USER"):
        command += ["-U", str(settings["USER"])]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout


_COPY = re.compile(r"^COPY (?:\w+\.)?\"?(\w+)\"? ")


def scan_pg_dump(canaries: Iterable[str], dump: str) -> set[Hit]:
    needles = [(c, c.lower(), c.encode().hex()) for c in canaries]
    hits: set[Hit] = set()
    table = "-"
    for line in dump.splitlines():
        match = _COPY.match(line)
        if match:
            table = match.group(1)
            continue
        if line == "\\.":
            table = "-"
            continue
        low = line.lower()
        for canary, text, hexed in needles:
            if text in low or hexed in low:
                hits.add(Hit(f"pg_dump:{table}", canary))
    return hits


def _offsets(data: bytes, needle: bytes) -> list[int]:
    found, start = [], 0
    low = data.lower()
    while (i := low.find(needle, start)) != -1:
        found.append(i)
        start = i + 1
    return found


def scan_sqlite_file(canaries: Iterable[str], path: Path) -> set[Hit]:
    """Hits in the database file (attributed to the owning table, index or "free space") and in its
    ``-wal`` / ``-journal`` files if any."""
    needles = _needles(canaries)
    hits: set[Hit] = set()
    data = path.read_bytes()
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        page_size = int(db.execute("PRAGMA page_size").fetchone()[0])
        owners = {int(p): str(n) for n, p in db.execute("SELECT name, pageno FROM dbstat")}
        tables = dict(db.execute("SELECT name, tbl_name FROM sqlite_schema"))
    finally:
        db.close()
    for canary, needle in needles:
        for offset in _offsets(data, needle):
            owner = owners.get(offset // page_size + 1)
            where = f"sqlite:{tables.get(owner, owner)}" if owner else "sqlite:free space"
            hits.add(Hit(where, canary))
    for suffix in ("-wal", "-journal"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            content = side.read_bytes()
            hits.update(Hit(f"sqlite{suffix}", c) for c, n in needles if n in content.lower())
    return hits


def scan_files(canaries: Iterable[str], root: Path, *, skip: Iterable[Path] = ()) -> set[Hit]:
    needles = _needles(canaries)
    skipped = {p.resolve() for p in skip}
    hits: set[Hit] = set()
    for path in root.rglob("*"):
        if not path.is_file() or path.resolve() in skipped:
            continue
        content = path.read_bytes().lower()
        hits.update(Hit(f"file:{path.relative_to(root)}", c) for c, n in needles if n in content)
    return hits
