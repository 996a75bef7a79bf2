"""Invariant 4 on the embedded database's own bytes: after an erasure, no canary is left in the SQLite
file — neither in a live page, nor in free space (``PRAGMA secure_delete``), nor in the ``-wal`` file
(checkpointed and truncated after the erasure) or a ``-journal``. Hits are attributed to the table owning
their page; the one allowed is the holder's name in the history's pages (test_canaries explains why).
A real file is needed, so the scenario runs in a subprocess (``file_scenario``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.erasure import scan
from tests.erasure.world import ARCHIVE_END, REQUESTED

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("journal_mode", "path"), [("wal", REQUESTED), ("delete", ARCHIVE_END)])
def test_no_canary_is_left_in_the_sqlite_file_its_wal_or_the_data_directory(
    tmp_path: Path, journal_mode: str, path: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.erasure.file_scenario", str(tmp_path), journal_mode, path],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    canaries, names = set(report["canaries"]), set(report["names"])
    # Positive control: the scanner saw the identity canaries in the file before the erasure.
    assert names <= set(report["seen_before"])

    database = tmp_path / "carnet.sqlite3"
    hits = scan.scan_sqlite_file(canaries, database)
    assert {h for h in hits if not (h.canary in names and h.where == "sqlite:audit_trace")} == set()
    sidecars = [database.with_name(database.name + s) for s in ("-wal", "-journal")]
    assert scan.scan_files(canaries, tmp_path, skip=[database, *sidecars]) == set()
