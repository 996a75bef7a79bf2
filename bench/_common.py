"""Shared plumbing for the benchmarks: a throw-away PostgreSQL database, Django set-up, machine facts,
result files.

Every benchmark creates its own database named ``carnet_bench_<name>`` on the local PostgreSQL
(127.0.0.1:5432, user postgres, trust auth), migrates it, and drops it at the end unless ``--keep`` is
given. It never touches ``test_*`` databases. The data directory (blobs, secrets) is a fresh folder
under ``/tmp`` so the measured disk is the one the app would use in the embedded layout.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
PG_HOST = os.environ.get("CARNET_BENCH_PGHOST", "127.0.0.1")
PG_PORT = os.environ.get("CARNET_BENCH_PGPORT", "5432")
PG_USER = os.environ.get("CARNET_BENCH_PGUSER", "postgres")


def db_url(name: str) -> str:
    # A Unix-socket directory (CARNET_BENCH_PGHOST=/var/run/postgresql) is percent-encoded, as
    # dj-database-url reads it.
    host = PG_HOST.replace("/", "%2F")
    return f"postgres://{PG_USER}@{host}:{PG_PORT}/{name}"


def _admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(
        f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres", autocommit=True
    ) as c:
        c.execute(sql)  # type: ignore[arg-type]


def create_database(name: str) -> None:
    if not name.startswith("carnet_bench"):
        raise ValueError("benchmark databases must be named carnet_bench*")
    drop_database(name)
    _admin_sql(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    if not name.startswith("carnet_bench"):
        raise ValueError("benchmark databases must be named carnet_bench*")
    _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_env(db_name: str, data_dir: Path) -> dict[str, str]:
    """The environment the app runs with during a benchmark (also given to the server subprocess)."""
    return {
        "DJANGO_SETTINGS_MODULE": "carnet.config.settings",
        "CARNET_DATABASE_URL": db_url(db_name),
        "CARNET_DATA_DIR": str(data_dir),
        "CARNET_TASK_BACKEND": "inline",
        "CARNET_LOG_LEVEL": "WARNING",
        "CARNET_DEBUG": "0",
    }


def setup_django(
    db_name: str, data_dir: Path, *, migrate: bool = True, settings_module: str = "carnet.config.settings"
) -> None:
    """Create the database, point Django at it and migrate (quietly)."""
    os.environ.update(bench_env(db_name, data_dir))
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    for p in (str(REPO / "src"), str(REPO), str(REPO / "bench")):
        if p not in sys.path:
            sys.path.insert(0, p)
    if migrate:
        create_database(db_name)
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)


def fresh_data_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"carnet-bench-{prefix}-"))


def remove_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _first_line(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip().splitlines()[0]
    except (OSError, IndexError):
        return "?"


def machine() -> dict[str, Any]:
    """What the figures were measured on (put in every result file)."""
    mem_kb = 0
    cpu = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import django

    return {
        "date": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": _pg_version(),
        "kernel": platform.release(),
        "git": _first_line(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
    }


def _pg_version() -> str:
    try:
        import psycopg

        with psycopg.connect(f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres") as c:
            row = c.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "?"
    except Exception:
        return "?"


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


def write_results(name: str, data: dict[str, Any], markdown: str) -> tuple[Path, Path]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    json_path = RESULTS / f"{name}.json"
    md_path = RESULTS / f"{name}.md"
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    md_path.write_text(markdown.rstrip() + "\n")
    return json_path, md_path


def machine_md(m: dict[str, Any]) -> str:
    return (
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB RAM, PostgreSQL {m['postgresql']}, "
        f"Python {m['python']}, Django {m['django']}, kernel {m['kernel']}, commit {m['git']}, {m['date']}."
    )
