"""Issue 13: a web request delivered the whole pending backlog before answering (``notify()`` ran
``deliver_pending(limit=500)`` after its commit): with 200 e-mails pending a login took 12.3 s. A request
now delivers its own messages only; the backlog belongs to the worker. Counted at a real SMTP server."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from carnet.common.actors import Actor, ActorKind
from carnet.notifications.models import DeliveryState, OutboxMessage
from carnet.notifications.services import notify, outbox_retry_now
from tests.accounts.conftest import login_password, make_patient
from tests.factories import PersonFactory

from .faults import SmtpSink, use_smtp

pytestmark = pytest.mark.django_db

BACKLOG = 200


def _backlog(settings: Any, size: int) -> list[OutboxMessage]:
    """``size`` e-mails queued and not delivered yet (their own after-commit delivery did not happen)."""
    backend, settings.CARNET_TASK_BACKEND = settings.CARNET_TASK_BACKEND, "none"
    person = PersonFactory()
    queued = []
    for number in range(size):
        message = notify(
            patient_id=person.pk,
            channel="EMAIL",
            address=person.email,
            template="generic",
            params={"base_url": "https://carnet.example"},
            dedup_key=f"backlog-{number}",
        )
        assert message is not None
        queued.append(message)
    settings.CARNET_TASK_BACKEND = backend
    return queued


def _login(client: Client, capture: Any, username: str) -> tuple[int, float]:
    """Step 1 of a login with its after-commit work; returns (SQL statements, seconds)."""
    started = time.monotonic()
    with CaptureQueriesContext(connection) as queries:
        response = login_password(client, capture, username)
    assert response.status_code == 302
    return len(queries), time.monotonic() - started


def test_a_login_sends_its_own_code_and_leaves_the_backlog_to_the_worker(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    first, second = make_patient(), make_patient(username="jean.durand")
    with SmtpSink() as sink:
        use_smtp(settings, sink.port, timeout=5)
        statements_alone, _seconds = _login(Client(), django_capture_on_commit_callbacks, first.username)
        assert len(sink.received) == 1

        backlog = _backlog(settings, BACKLOG)
        statements, seconds = _login(Client(), django_capture_on_commit_callbacks, second.username)
        received = list(sink.received)

    own = OutboxMessage.objects.get(template="login_code", address=second.person.email)  # type: ignore[union-attr]
    assert received[1:] == [own.message_id]  # this request sent its own code, nothing else
    assert own.state == DeliveryState.SENT
    assert (
        OutboxMessage.objects.filter(
            pk__in=[m.pk for m in backlog], state=DeliveryState.PENDING, attempts=0
        ).count()
        == BACKLOG
    )
    # Not slowed by the backlog: the same work as a login with nothing pending.
    assert statements <= statements_alone + 2, (statements, statements_alone)
    assert seconds < 5


def test_an_operators_retry_now_sends_that_message_only(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    backlog = _backlog(settings, 30)
    chosen = backlog[7]
    OutboxMessage.objects.filter(pk=chosen.pk).update(state=DeliveryState.FAILED, attempts=8)
    operator = Actor(ActorKind.OPERATOR, "operator-1", label="Opérateur")
    with SmtpSink() as sink:
        use_smtp(settings, sink.port, timeout=5)
        with django_capture_on_commit_callbacks(execute=True):
            outbox_retry_now(idempotency_key=chosen.idempotency_key, actor=operator)
        received = list(sink.received)
    chosen.refresh_from_db()
    assert chosen.state == DeliveryState.SENT and received == [chosen.message_id]
    assert OutboxMessage.objects.filter(state=DeliveryState.PENDING).count() == 29
