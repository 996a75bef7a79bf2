"""Issue 13: with ``CARNET_TASK_BACKEND=celery`` each request that queues a notification hands a task to
the broker after its commit. A broker that accepts connections and never answers hung the request for
ever; one that refuses them made it answer 500 after its act was committed. The hand-over is now
bounded (``CARNET_BROKER_TIMEOUT``), a failure is logged and the work left to the worker, and the next
requests of the process do not wait for that broker again during the cooldown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .faults import BlackHole, closed_port

ROOT = Path(__file__).resolve().parents[2]


def test_a_silent_or_refusing_broker_neither_hangs_nor_fails_the_request(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARNET_", "DJANGO_"))}
    env.update(CARNET_DATA_DIR=str(tmp_path), CARNET_BROKER_TIMEOUT="1", CARNET_LOG_LEVEL="ERROR")
    with BlackHole(hold=30) as hole:
        done = subprocess.run(
            [sys.executable, "-m", "tests.notifications.broker_probe", str(hole.port), str(closed_port())],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["silent"] == "ok" and report["silent_seconds"] < 5  # 1 s timeout, one retry
    assert report["silent_again"] == "ok" and report["silent_again_seconds"] < 0.2
    assert report["refused"] == "ok" and report["refused_seconds"] < 5
