"""One task API, two runners (ARCHITECTURE "two ways to run").

    @task("notifications.deliver_pending")
    def deliver() -> None: ...

    enqueue("notifications.deliver_pending", limit=100)   # runs after the current transaction commits

With ``CARNET_TASK_BACKEND=inline`` (embedded default) the task runs in-process right after commit;
a failure is logged and the periodic ``carnet worker`` loop picks the work up again, because every
task here is idempotent and reads its work from the database (outbox rows, export requests,
lifecycle deadlines). With ``celery`` it is sent to Celery workers (``carnet worker --celery``).

This module sits low in the layers (docs/architecture.md): every app registers and enqueues its tasks here.
The runners live at the top: ``carnet.config.worker`` (the periodic cycle) and ``carnet.config.celery``
(the Celery worker's tasks and beat schedule, attached to the application ``celery_app()`` returns).
``TASK_MODULES`` names the apps' task modules as strings: loading them is the runner's business.

Handing a task to the broker happens after the commit, often inside a web request: it is bounded
(``CARNET_BROKER_TIMEOUT``), and a broker that cannot be reached is logged, not raised — the work is in
the database and the worker's cycle does it — and not tried again by this process for
``CARNET_CHANNEL_COOLDOWN_SECONDS``, so requests do not each wait for it.
"""

from __future__ import annotations

import functools
import importlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)

_REGISTRY: dict[str, Callable[..., Any]] = {}
TASK_MODULES = (
    "carnet.notifications.tasks",
    "carnet.spaces.tasks",
    "carnet.audit.tasks",
    "carnet.records.tasks",
    "carnet.messaging.smtp_outbound",
    "carnet.agenda.tasks",
    "carnet.agenda.prevention.tasks",
)
_inline_depth = 0
_broker_down_until = 0.0  # time.monotonic() until which this process does not wait for the broker
_broker_lock = threading.Lock()


def task(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        _REGISTRY[name] = func
        return func

    return decorator


def load_tasks() -> dict[str, Callable[..., Any]]:
    for module in TASK_MODULES:
        importlib.import_module(module)
    return _REGISTRY


def run(name: str, **kwargs: Any) -> Any:
    from carnet.vault.keyring import key_scope  # one ring of unwrapped patient keys per task (ADR 0008)

    with key_scope():
        return load_tasks()[name](**kwargs)


def _run_inline(name: str, kwargs: dict[str, Any]) -> None:
    global _inline_depth
    if _inline_depth > 3:  # a task enqueuing itself endlessly: leave it to the worker loop
        return
    _inline_depth += 1
    try:
        run(name, **kwargs)
    except Exception:
        log.exception("inline task %s failed; the worker loop will retry it", name)
    finally:
        _inline_depth -= 1


def enqueue(name: str, **kwargs: Any) -> None:
    """Schedule a task to run once the current transaction (if any) has committed."""
    if name not in load_tasks():
        raise KeyError(f"unknown task {name!r}")
    backend = settings.CARNET_TASK_BACKEND
    if backend == "inline":
        transaction.on_commit(lambda: _run_inline(name, kwargs))
    elif backend == "celery":
        transaction.on_commit(lambda: _send_to_broker(name, kwargs))
    elif backend == "none":  # tests that drive the worker themselves
        return
    else:
        raise ValueError(f"unknown CARNET_TASK_BACKEND {backend!r}")


def _send_to_broker(name: str, kwargs: dict[str, Any]) -> None:
    global _broker_down_until
    with _broker_lock:
        if time.monotonic() < _broker_down_until:
            log.warning("broker unreachable a moment ago: task %s left to the worker", name)
            return
    app = celery_app()
    try:
        app.send_task("carnet.run", args=[name], kwargs=kwargs)
    except Exception as exc:  # the act is committed; its work waits in the database for the worker
        with _broker_lock:
            _broker_down_until = time.monotonic() + float(
                getattr(settings, "CARNET_CHANNEL_COOLDOWN_SECONDS", 60)
            )
        log.warning("broker unreachable (%s): task %s left to the worker", type(exc).__name__, name)


@functools.cache
def celery_app() -> Any:
    """The Celery application, configured from the ``CELERY_*`` settings (broker, timeouts, retries).

    Handing a task over needs only this (``send_task`` by name); ``carnet.config.celery`` attaches the
    worker's tasks and beat schedule to the same application."""
    from celery import Celery

    app = Celery("carnet")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    return app


def reset_broker_cooldown() -> None:
    """Forget a recent broker failure (tests)."""
    global _broker_down_until
    with _broker_lock:
        _broker_down_until = 0.0
