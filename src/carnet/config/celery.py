"""Celery application for production (CARNET_TASK_BACKEND=celery, broker CARNET_BROKER_URL)."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carnet.config.settings")

app = Celery("carnet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = {
    "worker-cycle": {"task": "carnet.cycle", "schedule": 60.0},
}


@app.task(name="carnet.run", acks_late=True)
def run_task(name: str, **kwargs: Any) -> Any:
    from carnet.config.tasks import run

    return run(name, **kwargs)


@app.task(name="carnet.cycle")
def cycle() -> dict[str, Any]:
    from carnet.common.worker import run_cycle

    return run_cycle()
