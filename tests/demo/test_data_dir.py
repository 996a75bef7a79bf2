"""`carnet` run outside the project folder does not quietly start a new installation with new keys.

Without CARNET_DATA_DIR, outside a checkout and without a ./var folder, every command that needs the data
directory refuses, naming CARNET_DATA_DIR, and writes nothing; the offline verifiers need no data directory
and run anywhere; `carnet demo` outside the checkout keeps its data in the checkout's ./var.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

pytestmark = pytest.mark.django_db(databases=[])


def _env(**extra: str) -> dict[str, str]:
    """The test run's environment without any Carnet or Django setting (a person's fresh shell)."""
    inherited = {
        k: v for k, v in os.environ.items() if not k.startswith(("CARNET_", "DJANGO_", "DATABASE_URL"))
    }
    return {**inherited, **extra}


def _carnet(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "carnet.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_command_outside_a_checkout_without_a_data_directory_refuses_and_creates_nothing(
    tmp_path: Path,
) -> None:
    done = _carnet("check", cwd=tmp_path, env=_env())
    assert done.returncode != 0
    assert "CARNET_DATA_DIR" in done.stderr and str(tmp_path) in done.stderr
    assert "Traceback" not in done.stderr  # a sentence for a person, not a stack
    assert list(tmp_path.iterdir()) == []  # no ./var, no keys


@pytest.mark.parametrize("command", ["verify-history", "verify-erasure-certificate"])
def test_the_offline_verifiers_run_anywhere_without_a_data_directory(tmp_path: Path, command: str) -> None:
    bogus = tmp_path / "download.json"
    bogus.write_text("not a history")
    done = _carnet(command, str(bogus), "--public-key", "AAAA", cwd=tmp_path, env=_env())
    assert done.returncode == 2, done.stdout + done.stderr  # unreadable input, not a refusal to start
    assert "CARNET_DATA_DIR" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["download.json"]


def test_a_new_data_directory_is_announced_with_its_path(tmp_path: Path) -> None:
    target = tmp_path / "carnet-data"
    done = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.DATA_DIR)"],
        cwd=tmp_path,
        env=_env(CARNET_DATA_DIR=str(target), DJANGO_SETTINGS_MODULE="carnet.config.settings"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"new data directory {target}" in done.stderr
    assert (target / "master_key").exists()


def test_the_data_directory_is_the_configured_one_or_an_existing_var_or_the_checkouts(tmp_path: Path) -> None:
    from carnet.cli import CHECKOUT
    from carnet.config.datadir import resolve_data_dir

    assert resolve_data_dir(str(tmp_path / "x"), Path("/")) == tmp_path / "x"
    assert resolve_data_dir("", CHECKOUT) == CHECKOUT / "var"
    (tmp_path / "var").mkdir()
    assert resolve_data_dir("", tmp_path) == tmp_path / "var"
    with pytest.raises(ImproperlyConfigured, match="CARNET_DATA_DIR"):
        resolve_data_dir("", tmp_path / "var")


def test_carnet_demo_outside_the_checkout_uses_the_checkouts_var_in_demo_mode(tmp_path: Path) -> None:
    from carnet.cli import CHECKOUT, prepare_environment
    from carnet.config.datadir import is_checkout

    assert is_checkout(CHECKOUT)
    environ: dict[str, str] = {}
    notes = prepare_environment(["demo", "--no-serve"], environ, tmp_path)
    assert environ == {
        "CARNET_DATA_DIR": str(CHECKOUT / "var"),
        "CARNET_DEMO": "1",
        "CARNET_BASE_URL": "http://127.0.0.1:8000",
        "CARNET_AUDIT_LOG_ORIGIN": "127.0.0.1:8000/journal",
    }
    assert str(CHECKOUT / "var") in notes[0]
    # Any other command outside the checkout is left to the settings' refusal.
    environ = {}
    assert prepare_environment(["migrate"], environ, tmp_path) == [] and environ == {}


def test_links_in_e_mails_follow_the_address_served_unless_configured(tmp_path: Path) -> None:
    from carnet.cli import CHECKOUT, base_url_for, prepare_environment

    environ: dict[str, str] = {"CARNET_DATA_DIR": str(tmp_path)}
    prepare_environment(["demo", "127.0.0.1:8001", "--no-serve"], environ, CHECKOUT)
    assert environ["CARNET_BASE_URL"] == "http://127.0.0.1:8001"
    # The log's signed name stays what it was on :8000, or its check would fail after a change of port.
    assert environ["CARNET_AUDIT_LOG_ORIGIN"] == "127.0.0.1:8000/journal"
    environ = {"CARNET_BASE_URL": "https://carnet.example"}
    prepare_environment(["serve", "0.0.0.0:9000"], environ, CHECKOUT)
    assert environ["CARNET_BASE_URL"] == "https://carnet.example"
    environ = {"CARNET_DEMO": "0"}  # an explicit "not a demo" is kept: `carnet demo` then refuses
    prepare_environment(["demo", "8002"], environ, CHECKOUT)
    assert environ["CARNET_DEMO"] == "0" and environ["CARNET_BASE_URL"] == "http://127.0.0.1:8002"
    assert base_url_for("0.0.0.0:9000") == "http://127.0.0.1:9000"
    assert base_url_for("localhost:8003") == "http://localhost:8003"
