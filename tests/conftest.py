"""Shared fixtures: the injectable clock, factories, and an ``assert_traced`` helper."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from carnet.common import clock as carnet_clock

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path
    settings.CARNET_TASK_BACKEND = "inline"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CARNET_LOCAL_OUTBOX = True
    settings.PASSWORD_HASHERS = ["tests.hashers.FastArgon2PasswordHasher"]
    from django.core.cache import cache

    cache.clear()  # throttling counters must not leak from one test to the next


class ClockControl:
    def freeze(self, at: datetime) -> datetime:
        carnet_clock.freeze(at)
        return at

    def advance(self, **delta: float) -> datetime:
        return carnet_clock.advance(**delta)

    def now(self) -> datetime:
        return carnet_clock.now()


@pytest.fixture
def clock() -> Iterator[ClockControl]:
    """The injectable clock, frozen at 2026-01-05 09:00 UTC; tests move it with ``clock.advance(days=42)``."""
    control = ClockControl()
    control.freeze(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    yield control
    carnet_clock.reset()


@pytest.fixture(autouse=True)
def _french_by_default() -> Iterator[None]:
    """Each test starts in the service's default language; a test that switches to English cannot leak it."""
    from django.utils import translation

    translation.activate("fr")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    yield
    carnet_clock.reset()


@pytest.fixture(autouse=True)
def _channels_reachable() -> Iterator[None]:
    """A channel found unreachable by one test must not make the next one's requests skip it."""
    from carnet.notifications.channels import reset_cooldowns

    reset_cooldowns()
    yield
    reset_cooldowns()
