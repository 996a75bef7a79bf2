"""Delivery channels (ARCHITECTURE invariant 5, docs/subsystems/notifications.md).

Both channels take an *idempotency key*, the outbox row's ``idempotency_key``: a message re-sent after
a crash between "the channel accepted it" and "the outbox marked it sent" carries the same key, so the
downstream system can recognise the duplicate.

* E-mail goes through Django's e-mail backends (SMTP in production, ``EMAIL_BACKEND``). The key is the
  ``Message-ID`` header (``<key@host-of-CARNET_BASE_URL>``), which mail systems use to drop duplicates.
  When ``CARNET_EMAIL_FILE_PATH`` is set, e-mails are written as files into that folder instead (the
  demo's local mailbox) with Django's file-based backend.
* SMS goes through the gateway class named by ``CARNET_SMS_BACKEND``, which implements ``SmsGateway``:
  ``send(number, body, idempotency_key)``. A real gateway passes the key to its provider's API.
"""

from __future__ import annotations

from typing import Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.module_loading import import_string

from .models import Channel


class SmsGateway(Protocol):
    """The one interface of SMS providers. Raise any exception when the provider refused the message."""

    def send(self, number: str, body: str, idempotency_key: str) -> None: ...


class LocalOutboxSms:
    """Embedded mode: an SMS is only recorded in DeliveredMessage (the demo's phone)."""

    def send(self, number: str, body: str, idempotency_key: str = "") -> None:
        return None


def message_id(idempotency_key: str) -> str:
    """The ``Message-ID`` of an outbox e-mail: stable across redeliveries of the same row."""
    host = urlsplit(str(settings.CARNET_BASE_URL or "")).hostname or "carnet.invalid"
    return f"<{idempotency_key}@{host}>"


def _email_connection() -> BaseEmailBackend:
    folder = str(getattr(settings, "CARNET_EMAIL_FILE_PATH", "") or "")
    if folder:
        return get_connection("django.core.mail.backends.filebased.EmailBackend", file_path=folder)
    return get_connection()


def send_email(address: str, subject: str, body: str, idempotency_key: str) -> None:
    email = EmailMessage(
        subject=subject,
        body=body,
        to=[address],
        headers={"Message-ID": message_id(idempotency_key)},
        connection=_email_connection(),
    )
    if email.send(fail_silently=False) != 1:
        raise ConnectionError("the e-mail backend did not accept the message")


def sms_gateway() -> SmsGateway:
    gateway: SmsGateway = import_string(settings.CARNET_SMS_BACKEND)()
    return gateway


def deliver(channel: str, address: str, subject: str, body: str, idempotency_key: str = "") -> None:
    """Hand one message to its channel; returns only once the channel accepted it."""
    if channel == Channel.EMAIL:
        send_email(address, subject, body, idempotency_key)
    elif channel == Channel.SMS:
        sms_gateway().send(address, body, idempotency_key)
    else:
        raise ValueError(f"unknown channel {channel!r}")
