"""The demo outbox page ``/demo/outbox/``: demo mode only, newest first, never cached."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from carnet.common import clock as carnet_clock
from carnet.notifications.models import DeliveredMessage, OutboxMessage

pytestmark = pytest.mark.django_db

OUTBOX = "/demo/outbox/"


def _delivered(
    n: int, subject: str = "Votre code de connexion", address: str = "demo@example.org"
) -> DeliveredMessage:
    at = carnet_clock.now() + timedelta(minutes=n)
    message = OutboxMessage.objects.create(
        channel="EMAIL",
        address=address,
        template="login_code",
        dedup_key=f"test:{n}",
        created_at=at,
        sent_at=at,
    )
    return DeliveredMessage.objects.create(
        outbox=message,
        channel="EMAIL",
        address=address,
        subject=subject,
        body=f"Code {n:06d}",
        delivered_at=at,
    )


def test_outbox_page_is_named_notifications_outbox() -> None:
    assert reverse("notifications:outbox") == OUTBOX


def test_outbox_page_answers_404_outside_demo_mode(client, settings) -> None:
    settings.CARNET_DEMO = False
    _delivered(1)
    response = client.get(OUTBOX)
    assert response.status_code == 404
    assert "Code 000001" not in response.content.decode()


def test_outbox_page_lists_delivered_messages_newest_first(client, settings, clock) -> None:
    settings.CARNET_DEMO = True
    _delivered(1, subject="Premier")
    _delivered(2, subject="Second", address="autre@example.org")
    html = client.get(OUTBOX).content.decode()
    assert html.index("Second") < html.index("Premier")
    assert "autre@example.org" in html
    assert "Code 000002" in html


def test_outbox_page_shows_the_last_fifty_messages(client, settings, clock) -> None:
    settings.CARNET_DEMO = True
    for n in range(1, 53):
        _delivered(n)
    html = client.get(OUTBOX).content.decode()
    assert "Code 000052" in html
    assert "Code 000003" in html
    assert "Code 000002" not in html


def test_outbox_page_is_never_cached(client, settings) -> None:
    settings.CARNET_DEMO = True
    assert "no-store" in client.get(OUTBOX)["Cache-Control"]


def test_outbox_page_refuses_post(client, settings) -> None:
    settings.CARNET_DEMO = True
    assert client.post(OUTBOX).status_code == 405
