"""Real network faults on loopback for the delivery tests (issue 13).

* ``BlackHole``: a TCP server that accepts connections and never answers — a hung mail server or SMS
  gateway. It counts the connections it accepted. So that a client *without* a timeout (the fault under
  test, on code that lacks one) cannot hang the suite, it drops each connection after ``hold`` seconds.
* ``closed_port()``: a loopback port nobody listens on — a refusing server.
* ``SmtpSink``: a real SMTP server (aiosmtpd) that records every message it receives with its
  ``Message-ID``; it can *hold* its answer to the DATA of one message (the message is stored, the client
  has not been told yet), so a test can kill the client at the worst moment, and it can refuse more than
  a few messages per connection (``421``, as some relays do).

Ports are chosen by the kernel (bound to port 0), as in the other loopback tests of the suite, so that
parallel runs never collide.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter
from email import message_from_bytes
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from carnet.notifications.models import OutboxMessage
from carnet.notifications.services import notify


def closed_port() -> int:
    """A loopback port with no listener: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class BlackHole:
    """Accepts TCP connections on loopback and never sends a byte."""

    def __init__(self, hold: float = 8.0) -> None:
        self.hold = hold
        self.accepted = 0
        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self._server.settimeout(0.05)
        self.port = int(self._server.getsockname()[1])
        self._held: list[tuple[socket.socket, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="black-hole", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _address = self._server.accept()
            except TimeoutError:
                pass
            else:
                self.accepted += 1
                self._held.append((conn, time.monotonic()))
            now = time.monotonic()
            for conn, since in list(self._held):
                if now - since > self.hold:
                    conn.close()
                    self._held.remove((conn, since))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for conn, _since in self._held:
            conn.close()
        self._server.close()

    def __enter__(self) -> BlackHole:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        message_id = str(message_from_bytes(content).get("Message-ID", "")).strip()
        sink = self.sink
        if sink.per_session is not None:
            count = sink.sessions.get(id(session), 0)
            if count >= sink.per_session:
                return "421 4.3.2 Too many messages for this connection"
            sink.sessions[id(session)] = count + 1
        with sink.lock:
            sink.received.append(message_id)
            hold = sink.hold_at is not None and len(sink.received) == sink.hold_at
        if hold:
            sink.holding.set()  # stored; the client still waits for "250"
            while not sink.release.is_set():
                await asyncio.sleep(0.01)
        return "250 OK"


class SmtpSink:
    """A real SMTP server on loopback that records the Message-ID of every message it receives."""

    def __init__(self, hold_at: int | None = None, per_session: int | None = None) -> None:
        self.received: list[str] = []
        self.per_session = per_session  # answer 421 to messages beyond this many on one connection
        self.sessions: dict[int, int] = {}
        self.hold_at = hold_at  # hold the answer to this message (1-based) until ``release`` is set
        self.holding = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=closed_port())
        self._controller.start()
        self.port = int(self._controller.port)

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(self.received)

    def close(self) -> None:
        self.release.set()
        self._controller.stop()

    def __enter__(self) -> SmtpSink:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def use_smtp(settings: object, port: int, timeout: float) -> None:
    """Point Django's SMTP backend at ``127.0.0.1:port`` with a short timeout (pytest-django settings)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # type: ignore[attr-defined]
    settings.EMAIL_HOST = "127.0.0.1"  # type: ignore[attr-defined]
    settings.EMAIL_PORT = port  # type: ignore[attr-defined]
    settings.EMAIL_USE_TLS = False  # type: ignore[attr-defined]
    settings.EMAIL_USE_SSL = False  # type: ignore[attr-defined]
    settings.EMAIL_TIMEOUT = timeout  # type: ignore[attr-defined]
    settings.CARNET_LOCAL_OUTBOX = False  # type: ignore[attr-defined]


def queue_generic(person: Any, channel: str, key: str) -> OutboxMessage:
    """Queue one content-free ``generic`` message to ``person`` on ``channel`` (EMAIL or SMS)."""
    message = notify(
        patient_id=person.pk,
        channel=channel,
        address=person.email if channel == "EMAIL" else person.phone,
        template="generic",
        params={"base_url": "https://carnet.example"},
        dedup_key=key,
    )
    assert message is not None
    return message
