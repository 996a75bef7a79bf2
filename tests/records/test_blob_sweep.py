"""Orphan blob files under faults (issue 13, item "orphan blobs"): the worker's sweep removes the files no
committed row owns — what a ``kill -9`` between the file write and COMMIT leaves — and never the file of a
transaction that may still commit.

The fault tests drive real processes (``tests/records/blob_agent.py``) against the test database (on
SQLite, a file copy of the in-memory test database): one is killed in the middle of a deposit, or held
with its transaction open, while another sweeps. Each step is bounded by ``STEP_TIMEOUT``.
"""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from carnet.common import clock as carnet_clock
from carnet.config.worker import CYCLE_TASKS, run_cycle
from carnet.tasks import load_tasks
from carnet.vault import blobstore
from carnet.vault.models import Blob
from tests.records.helpers import PDF, World, deposit_pdf, make_world

ROOT = Path(__file__).resolve().parents[2]
STEP_TIMEOUT = 30.0  # seconds; each step takes well under 5 s


class Agent:
    """One ``blob_agent`` process: commands in, JSON answers out (read by a thread, with a timeout)."""

    def __init__(self, env: dict[str, str], stderr: Path) -> None:
        self._stderr = stderr.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.records.blob_agent"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.stderr_path = stderr

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def answer(self) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=STEP_TIMEOUT)
        except queue.Empty:
            raise AssertionError(f"agent silent: {self.stderr_path.read_text()[-2000:]}") from None
        return dict(json.loads(line))

    def ask(self, command: str) -> dict[str, Any]:
        self.send(command)
        return self.answer()

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: no cleanup, no rollback by the process itself
        self.process.wait(timeout=STEP_TIMEOUT)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=STEP_TIMEOUT)
        self._stderr.close()


@pytest.fixture
def agents(transactional_db: Any, tmp_path: Path) -> Iterator[Any]:
    """Start agents on the test's database, data directory and keys (a world is committed first)."""
    started: list[Agent] = []
    exported: list[bool] = []

    def start(world: World) -> Agent:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "carnet.config.settings",
            "CARNET_DATA_DIR": str(tmp_path),
            "CARNET_SECRET_KEY": str(settings.SECRET_KEY),
            "CARNET_MASTER_KEY": str(settings.CARNET_MASTER_KEY),
            "CARNET_AUDIT_SIGNING_KEY": str(settings.CARNET_AUDIT_SIGNING_KEY),
            "CARNET_TASK_BACKEND": "none",
            "CARNET_BLOB_SWEEP_LOCK_TIMEOUT_SECONDS": "0.5",
            "AGENT_PATIENT_ID": str(world.patient.pk),
            "AGENT_RPPS": world.gp.rpps,
        }
        env.pop("DATABASE_URL", None)
        db = connection.settings_dict
        if connection.vendor == "sqlite":
            env.pop("CARNET_DATABASE_URL", None)  # the data directory's file
            if not exported:
                connection.ensure_connection()
                target = sqlite3.connect(tmp_path / "carnet.sqlite3")
                connection.connection.backup(target)
                target.close()
                exported.append(True)
        else:
            auth = f"{db['USER']}:{db['PASSWORD']}@" if db.get("PASSWORD") else f"{db['USER']}@"
            env["CARNET_DATABASE_URL"] = f"postgres://{auth}{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
        agent = Agent(env, tmp_path / f"agent-{len(started)}.err")
        started.append(agent)
        return agent

    yield start
    for agent in started:
        agent.close()


def _world_with_a_committed_deposit() -> tuple[World, str]:
    world = make_world()
    document = deposit_pdf(world, world.gp)
    assert document.blob is not None
    return world, str(document.blob.public_id)


def test_a_deposit_killed_before_commit_leaves_an_orphan_the_worker_cycle_removes(agents: Any) -> None:
    """kill -9 after the file write, before COMMIT: no row, a file. The file is kept while the transaction
    is open and while it is young; once the grace is over the worker cycle removes it and only it."""
    world, parent_blob = _world_with_a_committed_deposit()
    depositor, sweeper = agents(world), agents(world)
    committed = [depositor.ask("deposit")["blob"], depositor.ask("deposit")["blob"]]
    held = depositor.ask("hold")
    orphan = Path(held["path"])
    assert orphan.exists()

    assert sweeper.ask("sweep 0 7200") == {"removed": 0}  # its transaction is still open
    assert orphan.exists()

    depositor.kill()
    assert sweeper.ask("cycle 0") == {"removed": 0}  # younger than CARNET_BLOB_SWEEP_GRACE_SECONDS
    assert orphan.exists()
    grace = settings.CARNET_BLOB_SWEEP_GRACE_SECONDS
    assert sweeper.ask(f"cycle {grace + 60}") == {"removed": 1}
    assert not orphan.exists()

    state = sweeper.ask("state")
    assert state["rows"] == {blob: True for blob in [parent_blob, *committed]}  # every file still reads
    assert held["held"] not in state["rows"]  # the sweep's claim on its id was never committed
    assert sorted(state["files"]) == sorted(f"{blob}.bin" for blob in state["rows"])


def test_a_file_whose_transaction_is_still_open_is_not_swept(agents: Any) -> None:
    """The race: a sweep that finds a file without a visible row while its deposit has not committed yet
    must not remove it, whatever the file's age; the deposit then commits and its document reads."""
    world, parent_blob = _world_with_a_committed_deposit()
    depositor, sweeper = agents(world), agents(world)
    held = depositor.ask("hold")

    assert sweeper.ask("sweep 0 0") == {"removed": 0}
    assert Path(held["path"]).exists()

    depositor.send("commit")
    assert depositor.answer()["committed"] == held["held"]
    assert sweeper.ask("sweep 0 0") == {"removed": 0}
    state = sweeper.ask("state")
    assert state["rows"] == {parent_blob: True, held["held"]: True}


# --- the sweep's own rules, in process ------------------------------------------------------------


def _orphan(patient_id: int, suffix: str = ".bin", *, age: timedelta = timedelta(hours=2)) -> Path:
    """A file as a crash leaves it: a blob name, no row (``.tmp``: killed before the rename)."""
    directory = Path(settings.DATA_DIR) / "blobs" / str(patient_id)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{uuid.uuid4()}{suffix}"
    path.write_bytes(os.urandom(64))
    stamp = time.time() - age.total_seconds()
    os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def now(clock: Any) -> datetime:
    """The test clock at the real time (files get real modification times)."""
    return clock.freeze(datetime.now(tz=UTC))


def test_the_worker_cycle_runs_the_sweep_and_the_key_purge() -> None:
    assert {"records.blobs_sweep", "records.deposit_keys_purge"} <= set(CYCLE_TASKS)
    assert {"records.blobs_sweep", "records.deposit_keys_purge"} <= set(load_tasks())


def test_orphan_tmp_and_bin_files_are_swept_and_committed_ones_kept(world: World, now: datetime) -> None:
    document = deposit_pdf(world, world.gp)
    assert document.blob is not None
    kept = blobstore._path(document.blob)
    os.utime(kept, (time.time() - 7200, time.time() - 7200))
    orphans = [_orphan(world.patient.pk, ".bin"), _orphan(world.patient.pk, ".tmp")]

    assert run_cycle()["records.blobs_sweep"] == 2
    assert [p.exists() for p in orphans] == [False, False]
    assert kept.exists() and blobstore.blob_get(document.blob) == PDF
    assert not Blob.objects.exclude(pk=document.blob.pk).exists()  # the claims were rolled back


def test_a_young_orphan_waits_for_the_grace(world: World, now: datetime, settings: Any) -> None:
    settings.CARNET_BLOB_SWEEP_GRACE_SECONDS = 3600
    young = _orphan(world.patient.pk, age=timedelta(minutes=59))
    assert blobstore.blobs_sweep() == 0 and young.exists()
    carnet_clock.freeze(now + timedelta(minutes=2))
    assert blobstore.blobs_sweep() == 1 and not young.exists()


def test_a_file_whose_row_was_deleted_but_not_unlinked_is_swept(world: World, now: datetime) -> None:
    """A deletion killed after its commit, before its after-commit unlink: the row is gone, the file not."""
    document = deposit_pdf(world, world.gp)
    assert document.blob is not None
    path = blobstore._path(document.blob)
    Blob.objects.filter(pk=document.blob.pk).delete()  # as if the unlink never ran
    os.utime(path, (time.time() - 7200, time.time() - 7200))
    assert blobstore.blobs_sweep() == 1 and not path.exists()


def test_files_that_are_not_blobs_are_left_alone(world: World, now: datetime) -> None:
    directory = Path(settings.DATA_DIR) / "blobs"
    strangers = [
        directory / "notes.txt",
        directory / "12" / "readme.bin",
        directory / "x" / f"{uuid.uuid4()}.bin",
    ]
    for path in strangers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        os.utime(path, (time.time() - 7200, time.time() - 7200))
    assert blobstore.blobs_sweep() == 0
    assert all(path.exists() for path in strangers)


def test_the_sweep_runs_once_per_interval(world: World, now: datetime) -> None:
    tasks = load_tasks()
    assert tasks["records.blobs_sweep"]() == 0
    assert tasks["records.blobs_sweep"]() == "not due"
