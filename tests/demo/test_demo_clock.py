"""Demo time travel: the moved clock is shared by every process of the data directory, the due work runs
after a move, a banner says so on every page, and nothing of it exists outside demo mode."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from carnet.common import clock
from carnet.common.actors import Actor
from carnet.spaces.models import HealthSpace, SpaceStatus
from carnet.spaces.services import space_inform
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

SIX_WEEKS = timedelta(weeks=6)


def _close(a: datetime, b: datetime) -> bool:
    return abs(a - b) < timedelta(seconds=30)


def _real() -> datetime:
    return datetime.now(tz=UTC)


@pytest.fixture
def demo_mode(settings):  # type: ignore[no-untyped-def]
    settings.CARNET_DEMO = True
    return settings


@pytest.fixture
def informed(db: None) -> HealthSpace:
    """R-LC-3: a person informed now, whose space opens by itself 6 weeks later without an objection."""
    space, _code = space_inform(person=PersonFactory(), actor=Actor.insurance())
    assert space.status == SpaceStatus.INFORMED
    return space


def _clock_command(*args: str) -> str:
    out = io.StringIO()
    call_command("demo_clock", *args, stdout=out)
    return out.getvalue()


# --- the shared clock ---------------------------------------------------------------------------------


def test_a_moved_demo_clock_moves_now_and_today(demo_mode) -> None:  # type: ignore[no-untyped-def]
    clock.demo_offset_store(SIX_WEEKS)
    assert _close(clock.now(), _real() + SIX_WEEKS)
    assert clock.today() >= (_real() + SIX_WEEKS - timedelta(days=1)).date()


def test_another_process_of_the_data_directory_sees_the_moved_clock(demo_mode, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clock.demo_offset_store(SIX_WEEKS)
    script = "import django; django.setup(); from carnet.common import clock; print(clock.now().isoformat())"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARNET_", "DATABASE_URL"))}

    def other_process(demo: str) -> datetime:
        done = subprocess.run(
            [sys.executable, "-c", script],
            env={**env, "CARNET_DATA_DIR": str(tmp_path), "CARNET_DEMO": demo},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return datetime.fromisoformat(done.stdout.strip().splitlines()[-1])

    assert _close(other_process("1"), _real() + SIX_WEEKS)
    assert _close(other_process("0"), _real())  # outside demo mode the file is never read


def test_the_offset_file_is_ignored_outside_demo_mode(demo_mode) -> None:  # type: ignore[no-untyped-def]
    clock.demo_offset_store(SIX_WEEKS)
    demo_mode.CARNET_DEMO = False
    assert _close(clock.now(), _real())
    with pytest.raises(PermissionError):
        clock.demo_offset_store(timedelta(days=1))


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        '{"offset_seconds": "soon"}',
        '{"offset_seconds": -86400}',
        '{"offset_seconds": 1e400}',
        '{"offset_seconds": NaN}',
        '{"offset_seconds": 1e15}',
        "[]",
    ],
)
def test_a_damaged_offset_file_reads_as_the_real_time(demo_mode, content: str) -> None:  # type: ignore[no-untyped-def]
    Path(demo_mode.DATA_DIR, clock.DEMO_CLOCK_FILE).write_text(content)  # each test has its own DATA_DIR
    assert _close(clock.now(), _real())


def test_a_frozen_clock_ignores_the_demo_offset(demo_mode) -> None:  # type: ignore[no-untyped-def]
    clock.demo_offset_store(SIX_WEEKS)
    at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    clock.freeze(at)
    assert clock.now() == at


# --- `carnet demo-clock` ------------------------------------------------------------------------------


def test_demo_clock_moves_forward_and_runs_the_due_work(demo_mode, informed: HealthSpace) -> None:  # type: ignore[no-untyped-def]
    output = _clock_command("+6w")
    informed.refresh_from_db()
    assert informed.status == SpaceStatus.OPEN_NOT_ACTIVATED  # the 6-week opening ran (R-LC-3)
    assert "1  profils ouverts au terme des 6 semaines" in output
    assert json.loads(Path(demo_mode.DATA_DIR, clock.DEMO_CLOCK_FILE).read_text())["offset_seconds"] >= (
        SIX_WEEKS.total_seconds()
    )
    assert "Date de la démo" in _clock_command()
    _clock_command("--reset")
    assert not Path(demo_mode.DATA_DIR, clock.DEMO_CLOCK_FILE).exists()
    assert _close(clock.now(), _real())


def test_demo_clock_set_goes_to_a_date_and_refuses_the_past(demo_mode) -> None:  # type: ignore[no-untyped-def]
    target = (_real() + timedelta(days=400)).date()
    _clock_command("--set", target.isoformat())
    assert clock.today() == target
    with pytest.raises(CommandError, match="--set"):
        _clock_command("--set", (target - timedelta(days=2)).isoformat())
    assert clock.today() == target  # refused: unchanged


@pytest.mark.parametrize("step", ["+6x", "soon", "+0d", "+999999y", "+3d2"])
def test_demo_clock_rejects_a_bad_duration_naming_it(demo_mode, step: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="durée"):
        _clock_command(step)
    assert not Path(demo_mode.DATA_DIR, clock.DEMO_CLOCK_FILE).exists()


def test_demo_clock_refuses_outside_demo_mode(settings, informed: HealthSpace) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_DEMO = False
    with pytest.raises(CommandError, match="CARNET_DEMO"):
        _clock_command("+6w")
    informed.refresh_from_db()
    assert informed.status == SpaceStatus.INFORMED
    assert not Path(settings.DATA_DIR, clock.DEMO_CLOCK_FILE).exists()


# --- the page and the banner --------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_time_travel_page_does_not_exist_outside_demo_mode(client, settings, method: str) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_DEMO = False
    response = getattr(client, method)("/demo/horloge/", {"step": "+6w"})
    assert response.status_code == 404
    assert not Path(settings.DATA_DIR, clock.DEMO_CLOCK_FILE).exists()


def test_the_time_travel_page_moves_the_clock_runs_the_due_work_and_every_page_says_so(  # type: ignore[no-untyped-def]
    client, demo_mode, informed: HealthSpace
) -> None:
    assert "Date simulée" not in client.get("/").content.decode()
    response = client.post("/demo/horloge/", {"step": "+6w"}, follow=True)
    assert response.redirect_chain == [("/demo/horloge/", 302)]
    page = response.content.decode()
    assert "1 profils ouverts au terme des 6 semaines" in page
    informed.refresh_from_db()
    assert informed.status == SpaceStatus.OPEN_NOT_ACTIVATED
    for url in ("/", "/demo/outbox/", "/connexion/"):
        body = client.get(url).content.decode()
        assert "fr-notice" in body and "Date simulée : le " in body, url
    client.post("/demo/horloge/", {"reset": "on"})
    assert "Date simulée" not in client.get("/").content.decode()
    assert _close(clock.now(), _real())


def test_the_time_travel_page_refuses_a_past_date_naming_the_field(client, demo_mode) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/demo/horloge/", {"to": "01/01/2020"})
    assert response.status_code == 200
    assert "to" in response.context["form"].errors
    assert "pas dans le futur de la démo" in response.content.decode()  # shown next to the field
    assert not Path(demo_mode.DATA_DIR, clock.DEMO_CLOCK_FILE).exists()


def test_the_time_travel_page_speaks_english_too(client, demo_mode) -> None:  # type: ignore[no-untyped-def]
    client.cookies["django_language"] = "en"
    client.post("/demo/horloge/", {"step": "+1d"})
    body = client.get("/demo/horloge/").content.decode()
    assert "Time travel (demo)" in body and "Simulated date:" in body
