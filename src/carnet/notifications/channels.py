"""Delivery channels. E-mail goes through Django's e-mail backend; SMS through a pluggable gateway."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from .models import Channel


class LocalOutboxSms:
    """Embedded mode: an SMS is only recorded in DeliveredMessage (the demo's phone)."""

    def send(self, number: str, body: str) -> None:
        return None


def deliver(channel: str, address: str, subject: str, body: str) -> None:
    if channel == Channel.EMAIL:
        EmailMessage(subject=subject, body=body, to=[address]).send(fail_silently=False)
    elif channel == Channel.SMS:
        import_string(settings.CARNET_SMS_BACKEND)().send(address, body)
    else:
        raise ValueError(f"unknown channel {channel!r}")
