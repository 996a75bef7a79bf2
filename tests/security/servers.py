"""A real Carnet server in a subprocess (Django's threaded WSGI server, no migration check), for the
fault tests: the database it is given may be down, black-holed or read-only.

Ports come from this test module's range (18400-18499); each server is started on the first free one.
"""

from __future__ import annotations

import os
import random
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PORTS = range(18400, 18500)

_RUNNER = """
import os, sys
import django
django.setup()
from django.core.servers.basehttp import run
from django.urls import get_resolver
from carnet.config.wsgi import application
get_resolver().url_patterns  # import every view now: requests are timed without the first import
run("127.0.0.1", int(sys.argv[1]), application, threading=True, on_bind=lambda port: print(f"BOUND {port}", flush=True))
"""


def _shuffled_ports() -> list[int]:
    """Our range in random order: two test processes (pytest -n 2) rarely probe the same port."""
    return random.sample(list(PORTS), len(PORTS))


_HANDED_OUT: set[int] = set()  # ports given to servers of this process, which bind them a moment later


def free_port() -> int:
    """A port of our range nobody listens on (bind, then close), not given to another server already."""
    for port in _shuffled_ports():
        if port in _HANDED_OUT:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            _HANDED_OUT.add(port)
            return port
    raise RuntimeError("no free port in 18400-18499")


@contextmanager
def _reserved(*, listen: bool) -> Iterator[int]:
    sock = socket.socket()
    for port in _shuffled_ports():
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        if listen:
            sock.listen(64)
        try:
            yield port
        finally:
            sock.close()
        return
    raise RuntimeError("no free port in 18400-18499")


def black_hole() -> AbstractContextManager[int]:
    """A port that accepts TCP connections (the kernel's backlog) and never answers a byte."""
    return _reserved(listen=True)


def closed_port() -> AbstractContextManager[int]:
    """A port that refuses connections, held (bound, not listening) so that no server takes it meanwhile."""
    return _reserved(listen=False)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str
    seconds: float


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    port: int

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, seconds: float = 30) -> None:
        """Until this very process says it bound its port (another one may answer on a taken port)."""
        deadline = time.monotonic() + seconds
        while f"BOUND {self.port}" not in self.log():
            if self.process.poll() is not None:
                raise RuntimeError(self.log())
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start in {seconds} s")
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 5 s: this process only (we started it)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        _HANDED_OUT.discard(self.port)

    def request(
        self,
        path: str,
        *,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Response:
        req = urllib.request.Request(self.url + path, method=method, headers=headers or {}, data=body)
        started = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=30) as answer:
                status, raw, got = answer.status, answer.read(), answer.headers
        except urllib.error.HTTPError as error:
            status, raw, got = error.code, error.read(), error.headers
        return Response(
            status=status,
            headers={k.lower(): v for k, v in got.items()},
            body=raw.decode("utf-8", "replace"),
            seconds=time.monotonic() - started,
        )


def start(tmp_path: Path, **environ: str) -> Server:
    """Launch Carnet with these ``CARNET_*`` variables (``wait_ready`` before using it, ``stop`` after)."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("CARNET_", "DJANGO_"))}
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "carnet.config.settings",
        "PYTHONPATH": str(SRC),
        "CARNET_DATA_DIR": str(tmp_path),
        "CARNET_SECRET_KEY": secrets.token_urlsafe(50),
        "CARNET_ALLOWED_HOSTS": "127.0.0.1",
        **environ,
    }
    tmp_path.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = tmp_path / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", _RUNNER, str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    return Server(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path, port=port)


@contextmanager
def carnet_server(tmp_path: Path, **environ: str) -> Iterator[Server]:
    """One server for the ``with`` block."""
    server = start(tmp_path, **environ)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
