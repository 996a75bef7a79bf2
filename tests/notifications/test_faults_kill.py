"""Issue 13, with real processes: ``carnet worker`` delivering a burst to a real SMTP server is killed
(SIGKILL) at the worst moment — the server has stored a message and not yet answered — then restarted.
Every message arrives at least once; the only duplicate is the attempt that was in flight, recorded as
such (SENDING), and both copies carry the same Message-ID, so mail systems drop the second. And a worker
facing a silent mail server finishes its cycle, the other jobs done, within seconds.

The worker runs in a subprocess against the test database: on PostgreSQL the test's own database (rows
committed, ``transaction=True``); on SQLite, whose test database lives in memory, a file copy of it made
with SQLite's backup API (results are read back from that file).
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection

from carnet.common import clock
from carnet.notifications.models import DeliveryState, OutboxMessage
from carnet.spaces.models import HealthSpace, SpaceStatus
from carnet.spaces.services import space_inform
from tests.factories import PersonFactory

from .faults import BlackHole, SmtpSink

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
BURST = 300
KILL_AT = 100  # the sink holds its answer to this message; the worker is killed meanwhile
UNSENT = (
    "SELECT id, state, attempts, claimed_until, next_attempt_at, last_error"
    " FROM notifications_outboxmessage WHERE state != 'SENT' ORDER BY id LIMIT 5"
)


@dataclass
class Database:
    """Where the subprocess worker finds the test's rows, and how the test reads them back."""

    url: str
    file: Path | None

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self.file is None:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return list(cursor.fetchall())
        with sqlite3.connect(self.file) as db:
            return list(db.execute(sql).fetchall())


@pytest.fixture
def share_database(tmp_path: Path) -> Iterator[Callable[[], Database]]:
    """Call it once the rows exist: the database the worker subprocess will use."""
    folders: list[Path] = []

    def share() -> Database:
        settings = connection.settings_dict
        if connection.vendor == "postgresql":
            credentials = quote(str(settings["USER"] or ""), safe="")
            if settings["PASSWORD"]:
                credentials += ":" + quote(str(settings["PASSWORD"]), safe="")
            host = f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
            return Database(f"postgres://{credentials}@{host}/{settings['NAME']}", None)
        assert connection.vendor == "sqlite"
        # In memory-backed storage when there is some: the test measures the worker, not the disk's fsync.
        shm = Path("/dev/shm")
        folder = Path(tempfile.mkdtemp(dir=shm)) if shm.is_dir() and os.access(shm, os.W_OK) else tmp_path
        folders.append(folder)
        copy = folder / "worker.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(copy) as target:
            connection.connection.backup(target)  # type: ignore[union-attr]
            # WAL: the test's reads never block the worker's commits.
            target.execute("PRAGMA journal_mode=WAL")
        return Database(f"sqlite:///{copy}", copy)

    yield share
    for folder in folders:
        if folder != tmp_path:
            shutil.rmtree(folder, ignore_errors=True)


def _worker_env(tmp_path: Path, database: Database, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CARNET_", "DJANGO_")) and key != "DATABASE_URL"
    }
    env.update(
        CARNET_DATA_DIR=str(tmp_path / "worker-var"),
        CARNET_DATABASE_URL=database.url,
        CARNET_BASE_URL="https://carnet.example",
        CARNET_TASK_BACKEND="inline",
        CARNET_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        CARNET_EMAIL_HOST="127.0.0.1",
        CARNET_LOCAL_OUTBOX="0",
        CARNET_LOG_LEVEL="ERROR",
        **extra,
    )
    return env


@contextmanager
def _worker(env: dict[str, str], *args: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "carnet.cli", "worker", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


def _wait(condition: Any, timeout: float, what: Any) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what()}"
        time.sleep(0.2)


def test_a_worker_killed_mid_burst_sends_everything_once_but_the_attempt_in_flight(
    tmp_path: Path, share_database: Callable[[], Database]
) -> None:
    started = time.monotonic()
    now = clock.now()
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            channel="EMAIL",
            address=f"usager{number}@example.org",
            template="generic",
            params={"base_url": "https://carnet.example"},
            dedup_key=f"burst-{number}",
            created_at=now,
        )
        for number in range(BURST)
    )  # as ``notify_many`` inserts them: no Message-ID yet, the first attempt stores it
    database = share_database()
    with SmtpSink(hold_at=KILL_AT) as sink:
        env = _worker_env(
            tmp_path,
            database,
            CARNET_EMAIL_PORT=str(sink.port),
            CARNET_EMAIL_TIMEOUT="5",
            CARNET_OUTBOX_LEASE_SECONDS="2",
        )
        with _worker(env, "--interval", "0.2") as first:
            assert sink.holding.wait(timeout=30), "the worker did not reach the message to kill it on"
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=5)
        sink.release.set()

        in_doubt = database.rows(
            "SELECT message_id, attempt_started_at FROM notifications_outboxmessage WHERE state = 'SENDING'"
        )
        sent_before_restart = database.rows(
            "SELECT COUNT(*) FROM notifications_outboxmessage WHERE state = 'SENT'"
        )[0][0]
        with _worker(env, "--interval", "0.2") as restarted:
            _wait(
                lambda: (
                    database.rows("SELECT COUNT(*) FROM notifications_outboxmessage WHERE state = 'SENT'")[0][
                        0
                    ]
                    == BURST
                ),
                timeout=30,
                what=lambda: (
                    "the restarted worker to deliver the rest: "
                    + repr(database.rows(UNSENT))
                    + (restarted.stderr.read1().decode()[-3000:] if restarted.stderr else "")
                ),
            )
        received = sink.counts()
        held = sink.received[KILL_AT - 1]

    stored = {row[0] for row in database.rows("SELECT message_id FROM notifications_outboxmessage")}
    duplicates = {message_id: count - 1 for message_id, count in received.items() if count > 1}
    # The attempt in flight at the kill was recorded, with its time: exactly the message the server held.
    assert [row[0] for row in in_doubt] == [held] and in_doubt[0][1] is not None
    assert sent_before_restart == KILL_AT - 1
    # Every message at least once, each with the one Message-ID stored for it (300 distinct).
    assert set(received) == stored and len(stored) == BURST and "" not in stored
    # Duplicates: at most the attempts in flight, carrying the same Message-ID.
    assert sum(duplicates.values()) <= len(in_doubt)
    assert set(duplicates) <= {row[0] for row in in_doubt}
    elapsed = time.monotonic() - started
    print(
        f"\nkill test: {BURST} e-mails, worker killed at #{KILL_AT}: {len(in_doubt)} in doubt, "
        f"{sum(duplicates.values())} duplicate(s) ({sum(duplicates.values()) / BURST:.2%}), same Message-ID; "
        f"{elapsed:.1f} s"
    )


def test_carnet_worker_facing_a_silent_mail_server_finishes_its_cycle_within_seconds(
    tmp_path: Path, settings: Any, share_database: Callable[[], Database]
) -> None:
    """``CARNET_EMAIL_TIMEOUT`` reaches the shipped command: without it the worker hangs for ever, and
    deadlines, the log's checkpoints and exports with it."""
    settings.CARNET_TASK_BACKEND = "none"  # the letter waits for the worker
    person = PersonFactory()
    space, _code = space_inform(person=person, actor=_insurance())  # queues the information letter
    HealthSpace.objects.filter(pk=space.pk).update(opening_due_at=clock.now().replace(year=2000))
    database = share_database()
    with BlackHole(hold=60) as hole:
        env = _worker_env(tmp_path, database, CARNET_EMAIL_PORT=str(hole.port), CARNET_EMAIL_TIMEOUT="1")
        started = time.monotonic()
        with _worker(env, "--once") as once:
            try:
                once.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pytest.fail("carnet worker --once hung on a silent mail server")
            stderr = once.stderr.read().decode() if once.stderr else ""
        elapsed = time.monotonic() - started
        accepted = hole.accepted
    assert once.returncode == 0, stderr[-2000:]
    assert elapsed < 30 and accepted == 1  # one timeout: the silent server held it for a minute
    status = database.rows(f"SELECT status FROM spaces_healthspace WHERE id = {space.pk}")[0][0]
    assert status == SpaceStatus.OPEN_NOT_ACTIVATED  # the deadline job ran after the delivery job
    letter = database.rows("SELECT state, attempts FROM notifications_outboxmessage")
    assert letter == [(DeliveryState.RETRYING, 1)]


def _insurance() -> Any:
    from carnet.common.actors import Actor

    return Actor.insurance()
