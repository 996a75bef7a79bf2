"""Celery application for production (CARNET_TASK_BACKEND=celery, broker CARNET_BROKER_URL).

The application itself comes from the task API (``carnet.tasks.celery_app``), which hands tasks over to
the broker; here, at the top of the layers, the worker's side is attached to it: the task that runs any
registered task by name, the worker cycle, and its beat schedule.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carnet.config.settings")

from carnet.tasks import celery_app

app = celery_app()
app.conf.beat_schedule = {
    "worker-cycle": {"task": "carnet.cycle", "schedule": 60.0},
}


@app.task(name="carnet.run", acks_late=True)
def run_task(name: str, **kwargs: Any) -> Any:
    from carnet.tasks import run

    return run(name, **kwargs)


@app.task(name="carnet.cycle")
def cycle() -> dict[str, Any]:
    from carnet.config.worker import run_cycle

    return run_cycle()
