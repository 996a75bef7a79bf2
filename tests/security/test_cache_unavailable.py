"""Redis down or silent: logged-in pages, logins and logouts keep working on the database, and the
throttles keep counting (in the database cache) instead of failing open.

The cache settings are the ones ``carnet.config.settings`` computes for ``CARNET_CACHE_URL`` (read in a
fresh process), pointed at a loopback port that refuses connections or at one that accepts and never
answers. The recovery test uses the real Redis on 127.0.0.1:6379 under a key prefix of its own.
See docs/subsystems/security.md ("Redis unavailable").
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from carnet.common.cache import breaker
from carnet.common.models import CacheFallbackEntry
from carnet.spaces.services import IDENTIFY_ATTEMPTS_PER_HOUR, identify_attempt_allowed
from tests.accounts.conftest import login_fully, login_password, make_patient, text
from tests.security.servers import black_hole, closed_port

pytestmark = pytest.mark.django_db

CACHED_ENGINE = "carnet.accounts.sessions.cached_db"
LOGGED_IN_PAGES = ["spaces:home", "spaces:settings", "records:documents", "notification_centre:list"]


@pytest.fixture(autouse=True)
def _fresh_breaker() -> Iterator[None]:
    breaker.reset()
    yield
    breaker.reset()  # the next tests use the local-memory cache: never leave it skipped


def _computed_settings(tmp_path: Path, **environ: str) -> dict[str, Any]:
    """CACHES and SESSION_ENGINE as a fresh process computes them from ``environ``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARNET_CACHE", "CARNET_SESSION"))}
    env.update(environ, DJANGO_SETTINGS_MODULE="carnet.config.settings", CARNET_DATA_DIR=str(tmp_path))
    code = (
        "import json; from django.conf import settings as s; print(json.dumps([s.CACHES, s.SESSION_ENGINE]))"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    caches, engine = json.loads(result.stdout)
    return {"CACHES": caches, "SESSION_ENGINE": engine}


def _use_redis_at(settings: Any, tmp_path: Path, url: str, **environ: str) -> None:
    computed = _computed_settings(tmp_path, CARNET_CACHE_URL=url, **environ)
    assert computed["SESSION_ENGINE"] == CACHED_ENGINE  # a shared cache: sessions are read from it
    settings.CACHES = computed["CACHES"]
    settings.SESSION_ENGINE = computed["SESSION_ENGINE"]


@pytest.fixture
def redis_refusing(settings: Any, tmp_path: Path) -> Iterator[None]:
    with closed_port() as port:
        _use_redis_at(settings, tmp_path, f"redis://127.0.0.1:{port}/0")
        yield


@pytest.fixture
def redis_silent(settings: Any, tmp_path: Path) -> Iterator[None]:
    with black_hole() as port:
        _use_redis_at(settings, tmp_path, f"redis://127.0.0.1:{port}/0", CARNET_CACHE_TIMEOUT_SECONDS="0.2")
        assert settings.CACHES["default"]["OPTIONS"]["socket_timeout"] == 0.2
        yield


def test_logins_logged_in_pages_and_logouts_work_with_redis_refusing_connections(
    redis_refusing: None, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    user = make_patient()
    browser = Client()  # created after the settings: its session middleware uses cached_db
    response = login_fully(browser, django_capture_on_commit_callbacks, user)
    assert response.status_code == 302
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(pk=key).exists()  # the session is in the database
    for name in LOGGED_IN_PAGES:
        assert browser.get(reverse(name)).status_code == 200, name
    assert browser.post(reverse("accounts:logout")).status_code == 302
    assert not Session.objects.filter(pk=key).exists()
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = key  # the old cookie, replayed
    assert thief.get(reverse("spaces:home")).status_code == 302


def test_a_silent_redis_costs_one_timeout_per_retry_period(
    redis_silent: None, django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Socket timeout 0.2 s: the first call times out and opens the breaker (one warning); every later
    call of the retry period goes straight to the database instead of waiting for its own timeout."""
    user = make_patient()
    browser = Client()
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="carnet.cache"):
        assert login_fully(browser, django_capture_on_commit_callbacks, user).status_code == 302
        for name in LOGGED_IN_PAGES:
            assert browser.get(reverse(name)).status_code == 200, name
    elapsed = time.monotonic() - started
    warnings = [r for r in caplog.records if r.name == "carnet.cache"]
    assert len(warnings) == 1 and "TimeoutError" in warnings[0].getMessage()
    assert elapsed < 20, elapsed  # bounded: no call waits longer than the 0.2 s socket timeout


def test_the_login_throttle_keeps_counting_while_redis_is_down(
    redis_refusing: None, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Fail closed: the per-IP brake counts in the database cache; the fourth attempt is refused even
    with the right password."""
    settings.CARNET_IP_THROTTLE_PER_MINUTE = 3
    user = make_patient()
    browser = Client()
    for _ in range(3):
        page = login_password(browser, django_capture_on_commit_callbacks, user.username, "wrong-password")
        assert "réessayez plus tard" not in text(page)
    refused = login_password(browser, django_capture_on_commit_callbacks, user.username)
    assert refused.status_code == 200 and "réessayez plus tard" in text(refused)
    assert CacheFallbackEntry.objects.exists()


def test_an_unknown_username_locks_like_a_real_one_while_redis_is_down(
    redis_refusing: None, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The lock state of unknown usernames (R-LC-12: same answers as a real account) keeps counting."""
    settings.CARNET_LOCKOUT_THRESHOLD = 3
    browser = Client()
    answers = [
        text(login_password(browser, django_capture_on_commit_callbacks, "nobody.here", "wrong"))
        for _ in range(4)
    ]
    assert "réessayez plus tard" not in answers[0]
    assert "réessayez plus tard" in answers[-1]


def test_the_identification_throttle_fails_closed_while_redis_is_down(redis_refusing: None) -> None:
    nir = "1800575123456"
    allowed = [identify_attempt_allowed(nir=nir) for _ in range(IDENTIFY_ATTEMPTS_PER_HOUR + 1)]
    assert allowed == [True] * IDENTIFY_ATTEMPTS_PER_HOUR + [False]


# --- recovery, on the real Redis ----------------------------------------------------------------------


@pytest.fixture
def redis_up(settings: Any, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The real Redis on 127.0.0.1:6379 with a key prefix of this test's own (its keys are deleted after)."""
    caches = _computed_settings(tmp_path, CARNET_CACHE_URL="redis://127.0.0.1:6379/0")["CACHES"]
    caches["default"]["KEY_PREFIX"] = f"carnet-test-{uuid.uuid4().hex}"
    settings.CACHES = caches
    settings.SESSION_ENGINE = CACHED_ENGINE
    settings.CARNET_CACHE_RETRY_SECONDS = 0  # the cache is tried again at once after a failure
    yield caches
    settings.CACHES = caches
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    for found in client.scan_iter(match=f"{caches['default']['KEY_PREFIX']}:*"):
        client.delete(found)


def _store(key: str | None = None) -> Any:
    from django.conf import settings

    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)


@pytest.mark.parametrize("change", ["updated", "deleted"])
def test_after_an_outage_a_session_changed_meanwhile_is_read_from_the_database(
    redis_up: dict[str, Any], settings: Any, change: str
) -> None:
    """A copy cached before the outage would bring back what changed during it (a logout, new data):
    it is not trusted once the cache is used again."""
    from django.core.cache import caches

    before = _store()
    before["marker"] = "before"
    before.save()
    key = str(before.session_key)
    assert caches["default"].get("django.contrib.sessions.cached_db" + key) is not None  # cached

    with closed_port() as port:  # this process loses Redis
        down = json.loads(json.dumps(redis_up))
        down["default"]["LOCATION"] = f"redis://127.0.0.1:{port}/0"
        settings.CACHES = down
        during = _store(key)
        assert during.load()["marker"] == "before"  # read from the database
        if change == "updated":
            during["marker"] = "during"
            during.save()
        else:
            during.delete()

    settings.CACHES = redis_up  # Redis is back, still holding the copy made before the outage
    assert caches["default"].get("django.contrib.sessions.cached_db" + key) is not None
    after = _store(key).load()
    assert after == ({"marker": "during"} if change == "updated" else {})
    if change == "updated":  # re-cached from the database, and read from the cache again
        assert _store(key).load() == {"marker": "during"}
