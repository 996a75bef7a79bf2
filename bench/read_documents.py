"""Benchmark: professionals listing and opening patients' documents over HTTP on PostgreSQL, against the
same query mix run raw with pgbench in the same run.

    .venv/bin/python bench/read_documents.py [--target auto|api|bench-view] [--duration 20]
        [--connections 8,32] [--server sync|gthread|granian] [--workers 4] [--threads 4]
        [--server-env KEY=VALUE ...] [--no-floors] [--db carnet_bench_read] [--keep] [--no-profile]

Set-up (on a fresh database ``--db``, default ``carnet_bench_read``, dropped at the end unless ``--keep``):
P patients with an activated space and D documents each (deposited through ``document_deposit``), R
professional accounts each holding an explicit consent for every patient
(``access.services.care_relation_record``), one logged-in session per professional. Every (professional,
patient) pair is read once before measuring, so the measured reads are steady state: policy decision +
``DOCUMENT_LIST``/``CONSULT`` trace (hash chain append, row lock on the patient's chain head) + the
first-access check of ``professional_read_recorded`` (the e-mail itself is only queued on a first access,
i.e. during the warm-up).

Server (``--server``, default ``DEFAULT_SERVER``): gunicorn ``sync`` (``--workers`` processes) or
``gthread`` (``--workers`` x ``--threads``), or granian 2.x (``--interface wsgi``, ``--workers`` processes x
``--threads`` blocking threads, ``--backpressure`` concurrent requests per worker, default = threads); all
three are installed in the venv for the bench only, NOT project dependencies. WSGI ``carnet.config.wsgi``,
persistent DB connections (``CARNET_DB_CONN_MAX_AGE=600``); ``--server-env KEY=VALUE`` (repeatable) adds
environment for the server process only (e.g. ``CARNET_CACHE_URL=redis://127.0.0.1:6379/5``). The app and
pgbench reach PostgreSQL over TCP on 127.0.0.1, or over its Unix socket with
``CARNET_BENCH_PGHOST=/var/run/postgresql`` (both sides alike). Load: wrk
(Debian package), 2 threads, N keep-alive connections, fixed duration; each request picks a random
(professional, patient, document). Scenarios: ``mix`` (1 list : 1 open), ``list``, ``open``.

Framework floors (``--floors``, default on), same server, same run, after the scenarios of each connection
count: ``anonymous`` (the whole middleware stack, no cookie, no database), ``session`` (the first session's
cookie: session + user loaded) and ``session-trace`` (the same plus one ``audit.services.trace`` in a
transaction on a fixed bench patient's chain: the floor of any traced act). Each app row gets
``ratio_vs_floor_session`` = its 2xx req/s / the ``session`` floor's at the same connection count.

Target: ``api`` = the JSON API (``/api/.../patients/<uuid>/documents[/<uuid>]``, session auth of the
professional) when it is mounted; ``bench-view`` = two minimal JSON views in ``bench/benchsite`` making
the same selector calls (the fallback while the API is not mounted); ``auto`` picks the API if it resolves.

Baseline: pgbench with ``bench/pgbench/list.sql`` and ``open.sql`` (the SELECTs, INSERT and UPDATEs the
app issues for one list / one open, captured from the app in this run and written to
``results/<out>_queries.sql``), same connections, same duration. Ratio = app req/s / pgbench tps.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    PG_HOST,
    REPO,
    RESULTS,
    bench_env,
    drop_database,
    fresh_data_dir,
    machine,
    machine_md,
    percentile,
    remove_dir,
    setup_django,
    write_results,
)

DB = "carnet_bench_read"  # the default of --db
BENCH = REPO / "bench"
SERVERS = ("sync", "gthread", "granian")
DEFAULT_SERVER = "sync"  # the default of --server: the server the published results are measured with
FLOORS = {  # name -> path of the bench view (bench/benchsite/views.py)
    "anonymous": "/bench/floor/anonymous",
    "session": "/bench/floor/session",
    "session-trace": "/bench/floor/session-trace",
}


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


PORT = _free_port()  # never a fixed port: other engineers run demos on this machine
VENV = REPO / ".venv" / "bin"


# --------------------------------------------------------------------------------------------------
# World


def build_world(patients: int, docs: int, readers: int, sessions_per_reader: int) -> dict[str, Any]:
    from django.test import Client
    from tests.factories import PersonFactory, ProfessionalFactory

    from carnet.access import services as access
    from carnet.accounts.models import Role, User
    from carnet.common import clock
    from carnet.common.actors import Actor, ActorKind
    from carnet.records.models import Document
    from carnet.records.services import document_deposit
    from carnet.spaces.models import HealthSpace, SpaceStatus

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"x" * 2000
    author = ProfessionalFactory(profession_code="G15_10", specialty_code="G15_10/SM54")
    author_actor = Actor(ActorKind.PROFESSIONAL, author.rpps, label=author.display_name)
    people = []
    now = clock.now()
    for _ in range(patients):
        person = PersonFactory()
        HealthSpace.objects.create(
            person=person,
            status=SpaceStatus.ACTIVATED,
            status_changed_at=now,
            created_at=now,
            activated_at=now,
        )
        for j in range(docs):
            document_deposit(
                actor=author_actor,
                patient_id=person.pk,
                content=pdf,
                filename="cr.pdf",
                declared_media_type="application/pdf",
                type_code="11488-4",
                title=f"Compte rendu de consultation {j + 1}",
            )
        people.append(person)
    from importlib import import_module

    from django.conf import settings
    from django.contrib.sessions.models import Session

    from carnet.accounts.middleware import DEVICE_SESSION_KEY
    from carnet.accounts.services import login_complete

    session_store = import_module(settings.SESSION_ENGINE).SessionStore

    sessions = []
    pro_ids, user_ids, device_ids = [], [], []
    for i in range(readers):
        pro = ProfessionalFactory(profession_code="G15_10", specialty_code="G15_10/SM54")
        user = User.objects.create_user(
            username=f"pro.bench.{i}", password=None, role=Role.PROFESSIONAL, professional=pro
        )
        pro_ids.append(pro.pk)
        user_ids.append(user.pk)
        actor = Actor(ActorKind.PROFESSIONAL, pro.rpps, label=pro.display_name)
        for person in people:
            access.care_relation_record(actor=actor, patient_id=person.pk, kind="EXPLICIT")
        for _ in range(sessions_per_reader):
            # One browser session per (professional, seat); renamed to a predictable key so the pgbench
            # script can address it (the key is not part of the signed session data).
            client = Client()
            client.force_login(user)
            key = f"benchs{len(sessions):026d}"
            Session.objects.filter(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value).update(
                session_key=key
            )
            client.cookies[settings.SESSION_COOKIE_NAME] = key
            # As after the real two-factor login: the browser is an enrolled Device (accounts.services.
            # login_complete) whose id the session carries, so every request pays the device check of
            # accounts.middleware.DeviceMiddleware (revoked device -> logged out, R-LC-12).
            device = login_complete(
                user=user, session_key=key, user_agent="Mozilla/5.0 (X11; Linux) Firefox/140"
            )
            store = session_store(session_key=key)
            store[DEVICE_SESSION_KEY] = device.pk
            store.save()
            device_ids.append(device.pk)
            sessions.append({"user": user, "cookie": key, "client": client})
    assert pro_ids == list(range(pro_ids[0], pro_ids[0] + readers)), (
        "reader professionals must have contiguous ids"
    )
    assert user_ids == list(range(user_ids[0], user_ids[0] + readers)), (
        "reader users must have contiguous ids"
    )
    person_ids = [p.pk for p in people]
    assert person_ids == list(range(person_ids[0], person_ids[0] + patients)), (
        "patients must have contiguous ids"
    )
    first_doc = (
        Document.objects.filter(patient_id=person_ids[0]).order_by("id").values_list("id", flat=True)[0]
    )
    for index, person in enumerate(
        people
    ):  # document ids: first_doc + index * docs + k (pgbench relies on it)
        ids = list(Document.objects.filter(patient_id=person.pk).order_by("id").values_list("id", flat=True))
        assert ids == list(range(first_doc + index * docs, first_doc + (index + 1) * docs)), (
            "document ids must be contiguous"
        )
    assert device_ids == list(range(device_ids[0], device_ids[0] + len(sessions))), (
        "devices must have contiguous ids (pgbench: device of session s = dvmin + s)"
    )
    variables = {
        "pmin": person_ids[0],
        "npatients": patients,
        "dmin": first_doc,
        "ndocs": docs,
        "umin": user_ids[0],
        "prmin": pro_ids[0],
        "nsessions": len(sessions),
        "perreader": sessions_per_reader,
        "dvmin": device_ids[0],
    }
    doc_ids = {
        p.pk: [str(d) for d in Document.objects.filter(patient_id=p.pk).values_list("public_id", flat=True)]
        for p in people
    }
    return {"patients": people, "sessions": sessions, "doc_ids": doc_ids, "variables": variables}


def resolve_target(target: str) -> tuple[str, str]:
    """(target name, URL prefix of ``patients/<uuid>/documents``)."""
    from django.urls import Resolver404, resolve

    probe = "patients/00000000-0000-0000-0000-000000000000/documents"
    if target in ("auto", "api"):
        for prefix in ("/api/", "/api/v1/", "/api/v0/"):
            try:
                match = resolve(prefix + probe)
                if "bench" not in match.func.__module__:
                    return "api", prefix
            except Resolver404:
                continue
        if target == "api":
            raise SystemExit("the JSON API is not mounted (no /api/.../patients/<uuid>/documents)")
    return "bench-view", "/bench/"


def write_targets(world: dict[str, Any], prefix: str, path: Path) -> int:
    from django.conf import settings

    lines = []
    for s in world["sessions"]:  # every session x patient x document
        for p in world["patients"]:
            for d in world["doc_ids"][p.pk]:
                lines.append(
                    f"Cookie\t{settings.SESSION_COOKIE_NAME}={s['cookie']}\t"
                    f"{prefix}patients/{p.public_id}/documents\t{prefix}patients/{p.public_id}/documents/{d}"
                )
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


def warm_up_and_capture(world: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Read every (professional, patient) pair once (first accesses happen here), check both routes answer
    200 with data, and capture the SQL of one steady-state list and one open."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from carnet.notifications.models import OutboxMessage

    for s in world["sessions"][:: world["variables"]["perreader"]]:  # one session per professional
        for p in world["patients"]:
            r = s["client"].get(f"{prefix}patients/{p.public_id}/documents", HTTP_ACCEPT="application/json")
            assert r.status_code == 200, (r.status_code, r.content[:300])
    s = world["sessions"][0]
    p = world["patients"][0]
    doc = world["doc_ids"][p.pk][0]
    with CaptureQueriesContext(connection) as list_q:
        r = s["client"].get(f"{prefix}patients/{p.public_id}/documents", HTTP_ACCEPT="application/json")
    body = r.json()
    listed = body.get("count", len(body.get("documents", [])))
    with CaptureQueriesContext(connection) as open_q:
        r2 = s["client"].get(
            f"{prefix}patients/{p.public_id}/documents/{doc}", HTTP_ACCEPT="application/json"
        )
    assert r2.status_code == 200, (r2.status_code, r2.content[:300])
    return {
        "documents_listed": listed,
        "first_access_emails_queued": OutboxMessage.objects.filter(template="record_first_access").count(),
        "list_sql": [q["sql"] for q in list_q.captured_queries],
        "open_sql": [q["sql"] for q in open_q.captured_queries],
    }


# --------------------------------------------------------------------------------------------------
# Server and load


def server_command(args: argparse.Namespace) -> list[str]:
    """The command line of the WSGI server (gunicorn sync / gthread, or granian)."""
    if args.server == "granian":
        return [
            str(VENV / "granian"),
            "--interface",
            "wsgi",
            "--http",
            "1",  # wrk speaks HTTP/1.1; behind a reverse proxy the app server does too
            "--host",
            "127.0.0.1",
            "--port",
            str(PORT),
            "--workers",
            str(args.workers),
            "--blocking-threads",
            str(args.threads),
            "--backlog",
            "2048",
            "--backpressure",
            str(args.backpressure or args.threads),
            "--no-ws",
            "--log-level",
            "warning",
            "carnet.config.wsgi:application",
        ]
    cmd = [
        str(VENV / "gunicorn"),
        "carnet.config.wsgi:application",
        "--pythonpath",
        f"{REPO / 'src'},{BENCH},{REPO}",
        "-b",
        f"127.0.0.1:{PORT}",
        "-w",
        str(args.workers),
        "--backlog",
        "2048",
        "--log-level",
        "warning",
        "--keep-alive",
        "30",
    ]
    if args.server == "gthread":
        cmd += ["-k", "gthread", "--threads", str(args.threads)]
    return cmd


def server_description(args: argparse.Namespace) -> str:
    if args.server == "granian":
        from importlib.metadata import version

        return (
            f"granian {version('granian')} wsgi workers={args.workers} blocking-threads={args.threads} "
            f"backpressure={args.backpressure or args.threads}"
        )
    return f"gunicorn {args.server} workers={args.workers}" + (
        f" threads={args.threads}" if args.server == "gthread" else ""
    )


def start_server(env: dict[str, str], args: argparse.Namespace, log: Path) -> subprocess.Popen[bytes]:
    """Start the server in its own session (its workers share its process group, which ``_cpu_ticks``
    accounts as "app"); return once it answers HTTP."""
    if args.server == "granian":  # granian has no --pythonpath
        paths = [str(REPO / "src"), str(BENCH), str(REPO)]
        env = {**env, "PYTHONPATH": os.pathsep.join(paths + [p for p in [env.get("PYTHONPATH", "")] if p])}
    proc = subprocess.Popen(
        server_command(args), env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )
    _SERVER_PGID[0] = proc.pid  # its own session: the workers share its process group
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{args.server} exited, see {log}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/", timeout=2)
            return proc
        except urllib.error.HTTPError:
            return proc  # it answers (a redirect or 404 is fine)
        except OSError:
            time.sleep(0.3)
    stop_server(proc)
    raise SystemExit(f"{args.server} did not start, see {log}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_quiet(threshold: float, max_wait: int) -> None:
    """The machine is shared: wait (bounded) until the 1-minute load average falls under ``threshold``."""
    deadline = time.time() + max_wait
    while os.getloadavg()[0] > threshold and time.time() < deadline:
        time.sleep(5)


def _cpu_ticks() -> dict[tuple[str, int], int]:
    """CPU time (user + system, clock ticks) per process of the server's process group ("app") and of
    PostgreSQL ("postgres"), read from /proc. On a shared machine, CPU per request is the figure other
    people's load does not move (throughput and latency are what is left of 2 cores after their work)."""
    ticks: dict[tuple[str, int], int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        pgrp, used = int(fields[2]), int(fields[11]) + int(fields[12])  # utime + stime
        if pgrp == _SERVER_PGID[0]:
            ticks["app", int(entry)] = used
        elif comm == "postgres" or comm.startswith("postgres:"):
            ticks["postgres", int(entry)] = used
    return ticks


def _cpu_ms(before: dict[tuple[str, int], int], after: dict[tuple[str, int], int], kind: str) -> float:
    """CPU used in between by the processes alive at the end (a process that exited in between is lost)."""
    return sum(v - before.get(k, 0) for k, v in after.items() if k[0] == kind) * _TICK_MS


_SERVER_PGID = [-1]
PGBENCH_SET = [""]  # bench/pgbench/list{SET}.sql and open{SET}.sql (--pgbench-set)
PGBENCH_PROTOCOL = ["simple"]  # pgbench -M (--pgbench-protocol); "prepared" runs the *_prepared.sql scripts
_TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def run_wrk(targets: Path, mode: str, connections: int, duration: int) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    cpu_before = _cpu_ticks()
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{duration}s",
            "--timeout",
            "5s",
            "-s",
            str(BENCH / "wrk_read.lua"),
            f"http://127.0.0.1:{PORT}",
            "--",
            str(targets),
            mode,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 60,
    ).stdout
    cpu_after = _cpu_ticks()
    line = next(ln for ln in out.splitlines() if ln.startswith("WRKJSON "))
    data = json.loads(line[len("WRKJSON ") :])
    n = max(data["requests"], 1)
    seconds = data["duration_us"] / 1e6
    errors = sum(data[k] for k in data if k.startswith("errors_"))
    return {
        "mode": mode,
        "connections": connections,
        "requests": data["requests"],
        "errors": errors,
        "req_s": round(data["requests"] / seconds, 1),
        "ok_req_s": round((data["requests"] - data["errors_status"]) / seconds, 1),
        "p50_ms": round(data["p50"] / 1000, 2),
        "p90_ms": round(data["p90"] / 1000, 2),
        "p99_ms": round(data["p99"] / 1000, 2),
        "max_ms": round(data["latency_max_us"] / 1000, 2),
        "app_cpu_ms_per_req": round(_cpu_ms(cpu_before, cpu_after, "app") / n, 2),
        "pg_cpu_ms_per_req": round(_cpu_ms(cpu_before, cpu_after, "postgres") / n, 2),
        "loadavg_1min_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def write_floor_targets(world: dict[str, Any], directory: Path) -> dict[str, Path]:
    """One wrk targets file per floor (one line, list = open = the floor URL). ``anonymous`` sends no
    cookie (with one, the device middleware would load the session and the user, i.e. the ``session``
    floor); the others send the first session's cookie; ``session-trace`` traces on the first patient."""
    from django.conf import settings

    cookie = ("Cookie", f"{settings.SESSION_COOKIE_NAME}={world['sessions'][0]['cookie']}")
    files = {}
    for name, path in FLOORS.items():
        header = ("X-Bench-Floor", name) if name == "anonymous" else cookie
        url = path + (f"?patient={world['patients'][0].pk}" if name == "session-trace" else "")
        files[name] = directory / f"floor_{name}.tsv"
        files[name].write_text(f"{header[0]}\t{header[1]}\t{url}\t{url}\n")
    return files


def check_floors(files: dict[str, Path]) -> None:
    """Each floor answers 200 through the running server (else its figures would measure an error page)."""
    for name, f in files.items():
        header, value, url, _ = f.read_text().rstrip("\n").split("\t")
        request = urllib.request.Request(
            f"http://127.0.0.1:{PORT}{url}", headers={header: value, "Accept": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            if response.status != 200 or not json.loads(response.read()).get("ok"):
                raise SystemExit(f"floor {name} answered {response.status}")


# --------------------------------------------------------------------------------------------------
# pgbench baseline


def run_pgbench(
    db: str, mode: str, connections: int, duration: int, variables: dict[str, int]
) -> dict[str, Any]:
    list_sql, open_sql = f"list{PGBENCH_SET[0]}.sql", f"open{PGBENCH_SET[0]}.sql"
    scripts = {"mix": [f"{list_sql}@1", f"{open_sql}@1"], "list": [list_sql], "open": [open_sql]}[mode]
    logdir = Path(tempfile.mkdtemp(prefix="carnet-pgbench-"))
    cmd = [
        "pgbench",
        "-n",
        "-h",
        PG_HOST,
        "-U",
        "postgres",
        "-c",
        str(connections),
        "-j",
        "2",
        "-T",
        str(duration),
        "-M",
        PGBENCH_PROTOCOL[0],
    ]
    cmd += ["-l", "--log-prefix", str(logdir / "tx")]
    for name, value in variables.items():
        cmd += ["-D", f"{name}={value}"]
    for s in scripts:
        cmd += ["-f", str(BENCH / "pgbench" / s)]
    cmd.append(db)
    load_before = os.getloadavg()[0]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=duration + 60)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    latencies: list[float] = []
    failed = 0
    for f in logdir.glob("tx*"):
        for line in f.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[2].isdigit():
                latencies.append(int(parts[2]) / 1000)
            elif len(parts) >= 3:
                failed += 1
    shutil.rmtree(logdir, ignore_errors=True)
    latencies.sort()
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out.stdout)
    return {
        "mode": mode,
        "connections": connections,
        "transactions": len(latencies),
        "failed": failed,
        "tps": round(float(tps.group(1)), 1) if tps else round(len(latencies) / duration, 1),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "loadavg_1min_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


# --------------------------------------------------------------------------------------------------
# Profile (in-process, one thread): where the time of a request goes


def profile(world: dict[str, Any], prefix: str, requests: int, out: str) -> dict[str, Any]:
    import random

    from django.db import connection

    rng = random.Random(7)
    db_time = [0.0, 0]

    def timer(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            db_time[0] += time.perf_counter() - start
            db_time[1] += 1

    from django.conf import settings
    from django.test import Client

    client = Client()  # ONE handler (a Client per session would re-run WhiteNoise's start-up scan each time)
    client.get("/", HTTP_ACCEPT="text/html")  # load the middleware chain outside the profile
    prof = cProfile.Profile()
    start = time.perf_counter()
    with connection.execute_wrapper(timer):
        prof.enable()
        for i in range(requests):
            s = rng.choice(world["sessions"])
            p = rng.choice(world["patients"])
            if i % 2:
                url = f"{prefix}patients/{p.public_id}/documents"
            else:
                url = f"{prefix}patients/{p.public_id}/documents/{rng.choice(world['doc_ids'][p.pk])}"
            client.cookies[settings.SESSION_COOKIE_NAME] = s["cookie"]
            r = client.get(url, HTTP_ACCEPT="application/json")
            assert r.status_code == 200, r.status_code
        prof.disable()
    wall = time.perf_counter() - start
    stream = io.StringIO()
    stats = pstats.Stats(prof, stream=stream)
    stats.sort_stats("cumulative").print_stats(60)
    (RESULTS / f"{out}_profile.txt").write_text(stream.getvalue())
    stream2 = io.StringIO()
    pstats.Stats(prof, stream=stream2).sort_stats("tottime").print_stats(30)
    (RESULTS / f"{out}_profile_tottime.txt").write_text(stream2.getvalue())
    costs = _costs(prof, requests)
    return {
        "costs_ms_per_request": costs,
        "requests": requests,
        "wall_ms_per_request": round(wall / requests * 1000, 2),
        "db_ms_per_request": round(db_time[0] / requests * 1000, 2),
        "queries_per_request": round(db_time[1] / requests, 1),
        "python_ms_per_request": round((wall - db_time[0]) / requests * 1000, 2),
        "single_thread_req_s": round(requests / wall, 1),
    }


# Where the time of one request goes: cumulative ms per request of the steps that matter (they nest:
# e.g. the trace is inside the selector; "SQL" is the time spent in the DB driver, all steps included).
COST_POINTS: dict[str, tuple[str, str]] = {
    "whole request (Django handler)": ("django/core/handlers/base.py", "get_response"),
    "SQL execution (all queries, driver + round trip)": (
        "django/db/backends/utils.py",
        "_execute_with_wrappers",
    ),
    "ORM query compilation (as_sql)": ("django/db/models/sql/compiler.py", "as_sql"),
    "session load + user (middleware)": ("django/contrib/auth/__init__.py", "get_user"),
    "session save every request (SESSION_SAVE_EVERY_REQUEST)": (
        "django/contrib/sessions/middleware.py",
        "process_response",
    ),
    "API view (ninja run, incl. selector)": ("ninja/operation.py", "run"),
    "patient resolver (public id → Person)": ("carnet/api/resolvers.py", "patient_by_public_id"),
    "access_scope (facts: holder, pro, standing, consents, blocks)": (
        "carnet/access/gateway.py",
        "access_scope",
    ),
    "policy decide (one document)": ("carnet/access/gateway.py", "decide"),
    "policy decide_many (list)": ("carnet/access/gateway.py", "decide_many"),
    "audit trace (leaf hash, signed entry timestamp, insert + queue)": ("carnet/audit/services.py", "trace"),
    "first-access check (professional_read_recorded)": (
        "carnet/access/services.py",
        "professional_read_recorded",
    ),
    "transaction commit": ("django/db/backends/base/base.py", "commit"),
    "response serialisation (ninja schema → JSON)": ("ninja/operation.py", "_result_to_response"),
}


def _costs(prof: cProfile.Profile, requests: int) -> dict[str, float]:
    stats = pstats.Stats(prof)
    out: dict[str, float] = {}
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for label, (path, func) in COST_POINTS.items():
        total = sum(v[3] for (f, _line, name), v in raw.items() if f.endswith(path) and name == func)
        out[label] = round(total / requests * 1000, 2)
    return out


# --------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="auto", choices=["auto", "api", "bench-view"])
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--docs", type=int, default=12)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--sessions-per-reader", type=int, default=8)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", default="8,32")
    parser.add_argument("--server", default=DEFAULT_SERVER, choices=SERVERS)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4, help="gthread threads / granian blocking threads")
    parser.add_argument(
        "--backpressure", type=int, default=0, help="granian: concurrent requests per worker (0: = threads)"
    )
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the server process only (repeatable)",
    )
    parser.add_argument(
        "--floors", action=argparse.BooleanOptionalAction, default=True, help="measure the framework floors"
    )
    parser.add_argument("--db", default=DB, help="benchmark database (carnet_bench*), dropped and re-created")
    parser.add_argument("--modes", default="mix,list,open")
    parser.add_argument("--quiet-load", type=float, default=1.5, help="wait for this 1-min load average...")
    parser.add_argument(
        "--quiet-wait", type=int, default=60, help="...for at most this many seconds per cell"
    )
    parser.add_argument("--profile-requests", type=int, default=400)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--out", default="read_documents", help="result file name (in bench/results)")
    parser.add_argument(
        "--pgbench-set",
        default="",
        help="suffix of the pgbench scripts: '' = the current read path (transparency log, ADR 0007); the mixes "
        "of earlier read paths ('_pass4', '_pass2', '_pass1', '_before') are in git history (bench/README.md)",
    )
    parser.add_argument(
        "--pgbench-protocol",
        choices=["simple", "prepared"],
        default="simple",
        help="pgbench -M: 'prepared' parses and plans each statement once per connection, as the app does on "
        "PostgreSQL by default; it replays list{SET}_prepared.sql / open{SET}_prepared.sql (parameters typed)",
    )
    args = parser.parse_args()
    # The prepared protocol needs scripts whose parameters PostgreSQL can type: the *_prepared.sql twins.
    PGBENCH_SET[0] = args.pgbench_set + ("_prepared" if args.pgbench_protocol == "prepared" else "")
    PGBENCH_PROTOCOL[0] = args.pgbench_protocol
    for script in (f"list{PGBENCH_SET[0]}.sql", f"open{PGBENCH_SET[0]}.sql"):
        if not (BENCH / "pgbench" / script).is_file():
            parser.error(f"--pgbench-set/--pgbench-protocol: no bench/pgbench/{script}")
    connections = [int(c) for c in args.connections.split(",")]
    modes = args.modes.split(",")
    if not re.fullmatch(r"carnet_bench[a-z0-9_]*", args.db):
        parser.error("--db must start with carnet_bench (lower-case letters, digits, underscores)")
    server_env: dict[str, str] = {}
    for item in args.server_env:
        key, sep, value = item.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            parser.error(f"--server-env expects KEY=VALUE, got {item!r}")
        server_env[key] = value

    data_dir = fresh_data_dir("read")
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchsite.settings"
    os.environ["CARNET_DB_CONN_MAX_AGE"] = "600"
    setup_django(args.db, data_dir, settings_module="benchsite.settings")
    from django.db import connection

    t0 = time.perf_counter()
    world = build_world(args.patients, args.docs, args.readers, args.sessions_per_reader)
    target, prefix = resolve_target(args.target)
    print(f"world built in {time.perf_counter() - t0:.0f} s; target {target} ({prefix})", flush=True)
    captured = warm_up_and_capture(world, prefix)
    (RESULTS / f"{args.out}_queries.sql").write_text(
        f"-- captured from the app ({target}), one steady-state request each\n"
        "-- LIST\n"
        + ";\n".join(captured["list_sql"])
        + ";\n\n-- OPEN\n"
        + ";\n".join(captured["open_sql"])
        + ";\n"
    )
    print(
        f"list: {len(captured['list_sql'])} queries, {captured['documents_listed']} documents; "
        f"open: {len(captured['open_sql'])} queries; first-access e-mails queued in warm-up: "
        f"{captured['first_access_emails_queued']}",
        flush=True,
    )
    targets = data_dir / "targets.tsv"
    n_targets = write_targets(world, prefix, targets)
    floor_files = write_floor_targets(world, data_dir) if args.floors else {}
    variables = world["variables"]
    prof: dict[str, Any] = {}
    if not args.no_profile:
        prof = profile(world, prefix, args.profile_requests, args.out)
        print("profile:", prof, flush=True)
    connection.close()

    env = {
        **os.environ,
        **bench_env(args.db, data_dir),
        "DJANGO_SETTINGS_MODULE": "benchsite.settings",
        "CARNET_DB_CONN_MAX_AGE": "600",
        **server_env,
    }
    log = data_dir / f"{args.server}.log"
    app_rows: list[dict[str, Any]] = []
    floor_rows: list[dict[str, Any]] = []
    pg_rows: list[dict[str, Any]] = []
    try:
        server = start_server(env, args, log)
        try:
            run_wrk(targets, "mix", 4, 3)  # warm the workers (imports, connections)
            check_floors(floor_files)
            for c in connections:
                for mode in modes:
                    wait_quiet(args.quiet_load, args.quiet_wait)
                    row = run_wrk(targets, mode, c, args.duration)
                    app_rows.append(row)
                    print("app    ", row, flush=True)
                for name, f in floor_files.items():
                    wait_quiet(args.quiet_load, args.quiet_wait)
                    row = {"floor": name, **run_wrk(f, "list", c, args.duration)}
                    del row["mode"]
                    floor_rows.append(row)
                    print("floor  ", row, flush=True)
        finally:
            stop_server(server)
        for c in connections:
            for mode in modes:
                wait_quiet(args.quiet_load, args.quiet_wait)
                row = run_pgbench(args.db, mode, c, args.duration, variables)
                pg_rows.append(row)
                print("pgbench", row, flush=True)
    finally:
        if not args.keep:
            drop_database(args.db)
            remove_dir(data_dir)
        else:
            print(f"kept: database {args.db}, data dir {data_dir}, {args.server} log {log}")

    for row in app_rows:
        base = next(r for r in pg_rows if r["mode"] == row["mode"] and r["connections"] == row["connections"])
        row["pgbench_tps"] = base["tps"]
        row["pgbench_p99_ms"] = base["p99_ms"]
        row["ratio_app_vs_pgbench"] = round(row["ok_req_s"] / base["tps"], 3) if base["tps"] else None
        row["target_met"] = row["ok_req_s"] >= 1000 and row["p99_ms"] < 50 and row["errors"] == 0
        floor = next(
            (r for r in floor_rows if r["floor"] == "session" and r["connections"] == row["connections"]),
            None,
        )
        row["ratio_vs_floor_session"] = (
            round(row["ok_req_s"] / floor["ok_req_s"], 3) if floor and floor["ok_req_s"] else None
        )

    m = machine()
    server_desc = server_description(args)
    env_desc = " ".join(f"{k}={v}" for k, v in server_env.items())
    data = {
        "benchmark": "read_documents",
        "machine": m,
        "target": target,
        "url_prefix": prefix,
        "database": args.db,
        "server": server_desc,
        "server_kind": args.server,
        "server_env": server_env,
        "pgbench_scripts": [f"list{PGBENCH_SET[0]}.sql", f"open{PGBENCH_SET[0]}.sql"],
        "pgbench_protocol": PGBENCH_PROTOCOL[0],
        "postgresql_host": PG_HOST,
        "load_generator": "wrk 4.1 (-t2), keep-alive, random (professional, patient, document) per request",
        "world": {
            "patients": args.patients,
            "documents_per_patient": args.docs,
            "professionals": args.readers,
            "targets": n_targets,
        },
        "duration_s": args.duration,
        "queries_per_list": len(captured["list_sql"]),
        "queries_per_open": len(captured["open_sql"]),
        "documents_per_list": captured["documents_listed"],
        "app": app_rows,
        "floors": floor_rows,
        "pgbench": pg_rows,
        "profile_in_process": prof,
    }
    lines = [
        "# Document reads over HTTP vs the same query mix in pgbench (same run)",
        "",
        machine_md(m),
        "",
        f"Target: **{target}** (`{prefix}patients/<uuid>/documents[/<uuid>]`), session-authenticated professional. "
        f"Server: {server_desc}, persistent DB connections"
        + (f", server environment `{env_desc}`" if env_desc else "")
        + f". Load: wrk -t2, {args.duration} s per cell. "
        f"World: {args.patients} patients × {args.docs} documents, {args.readers} professionals with consent. "
        f"Queries per request: list {len(captured['list_sql'])}, open {len(captured['open_sql'])}.",
        "",
        "| scenario | conns | app req/s (2xx) | p50 ms | p99 ms | errors | app CPU ms/req | PG CPU ms/req | load 1 min | pgbench tps | pgbench p99 ms | ratio app/raw | ratio app/floor session | target ≥1000/s & p99<50 ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['mode']} | {r['connections']} | {r['ok_req_s']} | {r['p50_ms']} | {r['p99_ms']} | {r['errors']} "
        f"| {r['app_cpu_ms_per_req']} | {r['pg_cpu_ms_per_req']} | {r['loadavg_1min_before_after'][0]} "
        f"| {r['pgbench_tps']} | {r['pgbench_p99_ms']} | {r['ratio_app_vs_pgbench']} "
        f"| {r['ratio_vs_floor_session'] if r['ratio_vs_floor_session'] is not None else '-'} "
        f"| {'yes' if r['target_met'] else 'no'} |"
        for r in app_rows
    ]
    if floor_rows:
        lines += [
            "",
            "Framework floors, same server, same run (`bench/benchsite/views.py`): `anonymous` = the whole "
            "middleware stack, no cookie, no database; `session` = the first session's cookie, session + "
            "user loaded; `session-trace` = the same + one `audit.services.trace` in a transaction on a fixed "
            "patient's chain (the floor of any traced act).",
            "",
            "| floor | conns | req/s (2xx) | p50 ms | p99 ms | errors | app CPU ms/req | PG CPU ms/req | load 1 min |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['floor']} | {r['connections']} | {r['ok_req_s']} | {r['p50_ms']} | {r['p99_ms']} "
            f"| {r['errors']} | {r['app_cpu_ms_per_req']} | {r['pg_cpu_ms_per_req']} "
            f"| {r['loadavg_1min_before_after'][0]} |"
            for r in floor_rows
        ]
    lines += [
        "",
        "App CPU = user + system time of the server's processes per request; PG CPU = all PostgreSQL "
        "processes of the machine per request (other people's PostgreSQL work would count too). Load = "
        "1-minute load average before the cell (2 cores; above 2 the cell shared the CPU with other work).",
    ]
    if prof:
        lines += [
            "",
            f"In-process profile ({prof['requests']} mixed requests, one thread, test client): "
            f"{prof['wall_ms_per_request']} ms/request, of which {prof['db_ms_per_request']} ms in "
            f"{prof['queries_per_request']} SQL queries and {prof['python_ms_per_request']} ms in Python "
            f"(see {args.out}_profile*.txt).",
        ]
    write_results(args.out, data, "\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
