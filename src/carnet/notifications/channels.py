"""Delivery channels (ARCHITECTURE invariant 5, docs/subsystems/notifications.md).

Both channels take an *idempotency key*, the outbox row's ``idempotency_key``: a message re-sent after
a crash between "the channel accepted it" and "the outbox marked it sent" carries the same key, so the
downstream system can recognise the duplicate.

* E-mail goes through Django's e-mail backends (SMTP in production, ``EMAIL_BACKEND``). The row's stored
  ``message_id`` is the ``Message-ID`` header (``<key@host-of-CARNET_BASE_URL>``, generated once), which
  mail systems use to drop duplicates. When ``CARNET_EMAIL_FILE_PATH`` is set, e-mails are written as
  files into that folder instead (the demo's local mailbox) with Django's file-based backend.
* SMS goes through the gateway class named by ``CARNET_SMS_BACKEND``, which implements ``SmsGateway``:
  ``send(number, body, idempotency_key)``. A real gateway passes the key to its provider's API.

Faults. Every network call is bounded: SMTP by ``EMAIL_TIMEOUT`` (``CARNET_EMAIL_TIMEOUT``, each socket
operation), an SMS gateway by ``CARNET_SMS_TIMEOUT`` (the gateway must pass it to its HTTP client).
``unreachable(exc)`` tells a channel that could not be reached (refused, timed out, disconnected, DNS)
from a message the channel refused; a delivery run stops using an unreachable channel for the rest of the
run, and for ``CARNET_CHANNEL_COOLDOWN_SECONDS`` this process does not make web requests wait for it
(``cooling_down``): the worker keeps trying, once per run.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import threading
import time
from typing import Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.utils.module_loading import import_string

from .models import Channel

log = logging.getLogger("carnet.notifications.channels")


class SmsGateway(Protocol):
    """The one interface of SMS providers. Raise any exception when the provider refused the message.

    A gateway bounds every network call by ``settings.CARNET_SMS_TIMEOUT`` seconds and raises
    ``ChannelUnavailable`` (or a ``ConnectionError``/``TimeoutError``) when the provider cannot be reached.
    It may also offer ``confirm(idempotency_key) -> bool | None``: whether the provider holds a message
    with that key (None: it cannot tell), asked before resending an attempt whose outcome is unknown.
    """

    def send(self, number: str, body: str, idempotency_key: str) -> None: ...


class LocalOutboxSms:
    """Embedded mode: an SMS is only recorded in DeliveredMessage (the demo's phone)."""

    def send(self, number: str, body: str, idempotency_key: str = "") -> None:
        return None


class ChannelUnavailable(ConnectionError):
    """The channel could not be reached (or is cooling down after it could not): nothing was handed over."""


def message_id(idempotency_key: str) -> str:
    """A new ``Message-ID`` for an outbox e-mail; stored on the row, then reused by every attempt."""
    host = urlsplit(str(settings.CARNET_BASE_URL or "")).hostname or "carnet.invalid"
    return f"<{idempotency_key}@{host}>"


# --- faults -----------------------------------------------------------------------------------------


def unreachable(exc: BaseException) -> bool:
    """True when ``exc`` says the channel itself could not be reached (connection refused or reset, a
    timeout, a server that hung up or answered 421, a name that does not resolve), False when the channel
    answered and refused this one message (a bad recipient, a rejected body)."""
    if isinstance(exc, (ChannelUnavailable, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421  # "service not available, closing transmission channel"
    if isinstance(exc, smtplib.SMTPException):
        return False  # SMTPRecipientsRefused and the like: this message, not the server
    return isinstance(exc, OSError)  # refused, reset, timed out, no route, DNS failure


def cooldown_seconds() -> float:
    return float(getattr(settings, "CARNET_CHANNEL_COOLDOWN_SECONDS", 60))


_cooling: dict[str, float] = {}  # channel -> time.monotonic() until which requests do not wait for it
_cooling_lock = threading.Lock()


def mark_unreachable(channel: str) -> None:
    with _cooling_lock:
        _cooling[channel] = time.monotonic() + cooldown_seconds()


def mark_reachable(channel: str) -> None:
    with _cooling_lock:
        _cooling.pop(channel, None)


def cooling_down(channel: str) -> bool:
    """Was ``channel`` unreachable from this process less than ``CARNET_CHANNEL_COOLDOWN_SECONDS`` ago?"""
    with _cooling_lock:
        until = _cooling.get(channel)
        if until is None:
            return False
        if time.monotonic() >= until:
            del _cooling[channel]
            return False
        return True


def reset_cooldowns() -> None:
    """Forget every channel's recent failure (tests; a restarted process starts with none)."""
    with _cooling_lock:
        _cooling.clear()


# --- e-mail -----------------------------------------------------------------------------------------


def email_connection() -> BaseEmailBackend:
    """A connection of the configured e-mail backend; SMTP ones carry ``EMAIL_TIMEOUT``."""
    folder = str(getattr(settings, "CARNET_EMAIL_FILE_PATH", "") or "")
    if folder:
        return get_connection("django.core.mail.backends.filebased.EmailBackend", file_path=folder)
    return get_connection()


def reusable(connection: BaseEmailBackend) -> bool:
    """SMTP connections are kept open for a whole delivery run; other backends get one per message."""
    return isinstance(connection, SmtpBackend)


def abandon(connection: BaseEmailBackend | None) -> None:
    """Drop a connection after an error without talking to the server again (no QUIT that could hang)."""
    if connection is None:
        return
    if isinstance(connection, SmtpBackend):
        for attribute in ("connection", "_partial_connection"):
            smtp = getattr(connection, attribute, None)
            if smtp is not None:
                with contextlib.suppress(OSError):
                    smtp.close()  # closes the socket, sends nothing
                setattr(connection, attribute, None)
        return
    try:
        connection.close()
    except Exception as exc:  # a local backend's close cannot lose a message
        log.warning("e-mail connection close failed: %s", type(exc).__name__)


def send_email(
    address: str,
    subject: str,
    body: str,
    idempotency_key: str,
    *,
    message_id_header: str = "",
    connection: BaseEmailBackend | None = None,
) -> None:
    email = EmailMessage(
        subject=subject,
        body=body,
        to=[address],
        headers={"Message-ID": message_id_header or message_id(idempotency_key)},
        connection=connection or email_connection(),
    )
    if email.send(fail_silently=False) != 1:
        raise ConnectionError("the e-mail backend did not accept the message")


# --- SMS --------------------------------------------------------------------------------------------


def sms_gateway() -> SmsGateway:
    gateway: SmsGateway = import_string(settings.CARNET_SMS_BACKEND)()
    return gateway


# --- both -------------------------------------------------------------------------------------------


def deliver(
    channel: str,
    address: str,
    subject: str,
    body: str,
    idempotency_key: str = "",
    *,
    message_id_header: str = "",
    connection: BaseEmailBackend | None = None,
) -> None:
    """Hand one message to its channel; returns only once the channel accepted it.

    ``connection``: an open e-mail connection to reuse (a delivery run's SMTP session)."""
    if channel == Channel.EMAIL:
        send_email(
            address,
            subject,
            body,
            idempotency_key,
            message_id_header=message_id_header,
            connection=connection,
        )
    elif channel == Channel.SMS:
        sms_gateway().send(address, body, idempotency_key)
    else:
        raise ValueError(f"unknown channel {channel!r}")


def confirm(channel: str, idempotency_key: str) -> bool | None:
    """After an attempt whose outcome is unknown: True if the channel confirms it holds the message, False
    if it confirms it does not, None if it cannot tell (then the message is sent again, same key).

    SMTP cannot be asked (a relay keeps no queryable record of what it accepted): e-mails are always sent
    again, with their stored ``Message-ID`` so receiving systems drop the copy."""
    if channel == Channel.SMS:
        check = getattr(sms_gateway(), "confirm", None)
        if check is not None:
            answer = check(idempotency_key)
            return None if answer is None else bool(answer)
    return None
