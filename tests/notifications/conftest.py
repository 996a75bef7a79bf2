from __future__ import annotations

from collections.abc import Iterator

import pytest

from .fakes import IdempotentGateway


@pytest.fixture
def gateway(settings) -> Iterator[type[IdempotentGateway]]:  # type: ignore[no-untyped-def]
    """SMS through the fake idempotent gateway; the worker is driven by the test itself."""
    settings.CARNET_SMS_BACKEND = "tests.notifications.fakes.IdempotentGateway"
    settings.CARNET_TASK_BACKEND = "none"
    IdempotentGateway.reset()
    yield IdempotentGateway
    IdempotentGateway.reset()
