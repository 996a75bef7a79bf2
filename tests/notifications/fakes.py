"""Fake SMS gateways for the delivery tests: they record every call and every accepted message."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from typing import ClassVar

from django.core.mail import EmailMessage
from django.core.mail.backends import locmem
from django.core.mail.backends.base import BaseEmailBackend


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


class ConfirmingGateway(IdempotentGateway):
    """A provider that can say whether it holds a message with a given key (``confirm``)."""

    confirmations: ClassVar[list[str]] = []

    @classmethod
    def reset(cls) -> None:
        super().reset()
        cls.confirmations = []

    def confirm(self, idempotency_key: str) -> bool:
        type(self).confirmations.append(idempotency_key)
        return idempotency_key in type(self).phone


class RowInspectingGateway:
    """Records how the outbox row looks in the database while the gateway holds the message."""

    seen: ClassVar[list[dict[str, object]]] = []

    def send(self, number: str, body: str, idempotency_key: str) -> None:
        from carnet.notifications.models import OutboxMessage

        row = OutboxMessage.objects.filter(idempotency_key=idempotency_key).values().get()
        type(self).seen.append(row)


class CrashAfterAcceptingEmailBackend(BaseEmailBackend):
    """Django's locmem backend that dies (KeyboardInterrupt, as a SIGINT would) right after accepting its
    first message: the mail went out, the worker never learnt it."""

    crashes_left: ClassVar[int] = 1

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = locmem.EmailBackend().send_messages(email_messages)
        cls = type(self)
        if cls.crashes_left > 0:
            cls.crashes_left -= 1
            raise KeyboardInterrupt("worker killed after the mail server accepted the message")
        return sent
