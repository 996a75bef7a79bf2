"""The real `carnet demo`, as a newcomer starts it: another port, no CARNET_DEMO in the environment.

The data directory holds a damaged demo (its database file unreadable, encrypted files, a moved clock).
`carnet demo --reset` without confirmation erases nothing; `carnet demo 127.0.0.1:PORT --reset --yes`
wipes the database, the encrypted files and the clock (the keys stay), loads the population again and
serves: its outbox page exists and the e-mails' links name the address served, while the transparency
log keeps its signed name (another process checks it intact).
Bounded: every wait has a deadline (one migration and one load: ~15 s of CPU).
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db(databases=[])

PORTS = range(18500, 18600)  # this work's own range: never 8000


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18500-18599")


def _env(data_dir: Path) -> dict[str, str]:
    """A newcomer's shell: no Carnet setting at all but the data directory (kept out of the checkout)."""
    inherited = {
        k: v for k, v in os.environ.items() if not k.startswith(("CARNET_", "DJANGO_", "DATABASE_URL"))
    }
    return {**inherited, "CARNET_DATA_DIR": str(data_dir)}


def _get(url: str, deadline: float) -> str:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return str(response.read().decode())
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _carnet(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "carnet.cli", "demo", *args],
        cwd=data_dir.parent,
        env=_env(data_dir),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _sequenced(database: Path) -> bool:
    try:
        with sqlite3.connect(database, timeout=5) as db:
            return bool(db.execute("SELECT count(*) FROM audit_logleaf").fetchone()[0])
    except sqlite3.Error:  # being created or migrated
        return False


def _users(database: Path) -> set[str]:
    with sqlite3.connect(database) as db:
        return {row[0] for row in db.execute("SELECT username FROM accounts_user")}


def test_carnet_demo_reset_starts_a_damaged_demo_over_and_serves_its_outbox_with_links_to_its_port(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "var"
    (data_dir / "blobs" / "ab").mkdir(parents=True)
    database = data_dir / "carnet.sqlite3"
    database.write_bytes(b"not a database: a demo damaged by hand")
    old_blob = data_dir / "blobs" / "ab" / "old-document"
    old_blob.write_bytes(b"encrypted bytes of the old demo")
    clock_file = data_dir / "demo-clock.json"
    clock_file.write_text('{"offset_seconds": 3628800}')

    refused = _carnet(data_dir, "--reset", "--no-serve", stdin="non\n")
    assert refused.returncode != 0 and "nothing was erased" in refused.stderr
    assert database.read_bytes().startswith(b"not a database") and old_blob.exists() and clock_file.exists()

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "carnet.cli", "demo", f"127.0.0.1:{port}", "--reset", "--yes"],
        cwd=tmp_path,
        env=_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        outbox = _get(f"http://127.0.0.1:{port}/demo/outbox/", deadline)
        while not _sequenced(database):  # the server's worker thread gave the log its first entries
            assert time.monotonic() < deadline, "the demo's worker never sequenced the log"
            time.sleep(0.5)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            printed = server.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            printed = server.communicate()[0]
    assert f"Carnet demo — http://127.0.0.1:{port}" in printed
    # The information letters sent while loading link to the address served, not to :8000.
    assert f"http://127.0.0.1:{port}/opposition/" in outbox
    assert "127.0.0.1:8000" not in outbox
    assert {"claire.martin", "operateur.demo"} <= _users(database)
    assert not old_blob.exists() and not clock_file.exists()
    assert (data_dir / "master_key").exists()  # the keys stay

    # Served on another port, the log kept its signed name: another process (no ADDR:PORT) checks it intact.
    checked = subprocess.run(
        [sys.executable, "-m", "carnet.cli", "verify-log", "--no-witness", "--no-record"],
        cwd=tmp_path,
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout[-2000:] + checked.stderr[-2000:]
