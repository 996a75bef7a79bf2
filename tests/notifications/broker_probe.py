"""Run by ``test_faults_broker`` in a subprocess (the Celery app reads its settings once, from the
environment): ``python -m tests.notifications.broker_probe SILENT_PORT CLOSED_PORT``.

Enqueues tasks with ``CARNET_TASK_BACKEND=celery`` outside any transaction (so the after-commit hand-over
to the broker runs at once), first to a broker that accepts connections and never answers, then to one
that refuses them, and prints one JSON line: how long each hand-over took and whether it raised."""

from __future__ import annotations

import json
import os
import sys
import time


def main(silent_port: str, closed_port: str) -> None:
    os.environ.update(
        CARNET_TASK_BACKEND="celery",
        CARNET_BROKER_URL=f"redis://127.0.0.1:{silent_port}/0",
        DJANGO_SETTINGS_MODULE="carnet.config.settings",
    )
    import django

    django.setup()
    from carnet import tasks

    report: dict[str, object] = {}

    def hand_over(label: str) -> None:
        started = time.monotonic()
        try:
            tasks.enqueue("notifications.deliver_pending")
            report[label] = "ok"
        except Exception as exc:
            report[label] = type(exc).__name__
        report[label + "_seconds"] = round(time.monotonic() - started, 3)

    hand_over("silent")
    hand_over("silent_again")  # within the cooldown: not tried
    from carnet.config.celery import app

    tasks.reset_broker_cooldown()
    app.conf.broker_url = f"redis://127.0.0.1:{closed_port}/0"
    app._pool = None  # a new pool for the new URL
    app.amqp._producer_pool = None
    hand_over("refused")
    print(json.dumps(report))


if __name__ == "__main__":
    main(*sys.argv[1:3])
