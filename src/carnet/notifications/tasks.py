from __future__ import annotations

from carnet.config.tasks import task

from .services import outbox_deliver_pending


@task("notifications.deliver_pending")
def deliver_pending(limit: int = 500) -> int:
    return outbox_deliver_pending(limit=limit)
