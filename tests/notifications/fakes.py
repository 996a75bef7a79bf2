"""Fake SMS gateways for the delivery tests: they record every call and every accepted message."""

from __future__ import annotations

import threading
from collections import Counter
from typing import ClassVar


class IdempotentGateway:
    """Behaves like a real provider honouring idempotency keys: a second send with a key it already
    accepted is acknowledged but not delivered again. ``calls`` counts sends, ``phone`` what arrived."""

    calls: ClassVar[Counter[str]] = Counter()
    phone: ClassVar[Counter[str]] = Counter()
    kill_after: ClassVar[int | None] = None  # raise KeyboardInterrupt once this many were accepted
    kill_before_accepting: ClassVar[bool] = True  # the kill hits before (True) or after (False) acceptance
    _lock = threading.Lock()

    @classmethod
    def reset(cls) -> None:
        cls.calls = Counter()
        cls.phone = Counter()
        cls.kill_after = None
        cls.kill_before_accepting = True

    def send(self, number: str, body: str, idempotency_key: str) -> None:
        cls = type(self)
        with cls._lock:
            cls.calls[idempotency_key] += 1
            kill = cls.kill_after is not None and len(cls.phone) >= cls.kill_after
            if kill:
                cls.kill_after = None
                if cls.kill_before_accepting:
                    raise KeyboardInterrupt("worker killed before the gateway accepted the message")
            if idempotency_key not in cls.phone:
                cls.phone[idempotency_key] += 1
            if kill:
                raise KeyboardInterrupt("worker killed after the gateway accepted the message")


class BrokenGateway:
    def send(self, number: str, body: str, idempotency_key: str) -> None:
        raise ConnectionError("gateway down")
