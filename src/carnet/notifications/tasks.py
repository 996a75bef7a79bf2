from __future__ import annotations

from carnet.tasks import task

from .delivery import outbox_deliver_messages, outbox_deliver_pending


@task("notifications.deliver_pending")
def deliver_pending(limit: int = 500) -> int:
    """The backlog (every worker cycle), within ``CARNET_OUTBOX_RUN_SECONDS``."""
    return outbox_deliver_pending(limit=limit)


@task("notifications.deliver")
def deliver(keys: list[str]) -> int:
    """The messages one transaction queued (by idempotency key), after its commit."""
    return outbox_deliver_messages(keys=keys)
