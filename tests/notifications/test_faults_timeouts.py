"""Issue 13, outgoing channels under faults: a mail server that accepts the connection and never answers
(a black hole on loopback), or refuses it (a closed port). Every outgoing connection is bounded, one
unreachable channel costs a delivery run one timeout and never the other channel's messages, the worker
cycle's other jobs still run, and a login whose code cannot be sent answers at once and says so.
docs/subsystems/notifications.md "Under faults"."""

from __future__ import annotations

import time
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import pytest
from django.core.mail import get_connection
from django.test import Client
from django.urls import reverse

from carnet.accounts.models import User
from carnet.audit.models import TreeHead
from carnet.config.worker import run_cycle
from carnet.messaging import smtp_gateway, smtp_outbound
from carnet.messaging.models import Message
from carnet.notifications.models import DeliveryState, OutboxMessage
from carnet.notifications.services import outbox_deliver_pending
from carnet.spaces.models import ExportStatus, SpaceStatus
from carnet.spaces.services import export_request, space_inform
from tests.accounts.conftest import login_password, make_patient, text
from tests.factories import PersonFactory
from tests.messaging.builders import patient_replies
from tests.records.helpers import make_world

from .faults import BlackHole, SmtpSink, closed_port, use_smtp
from .faults import queue_generic as _queue

pytestmark = pytest.mark.django_db

TIMEOUT = 0.5  # seconds per socket operation in these tests (the default is 10)
NETWORK_ERRORS = {"SMTPServerDisconnected", "TimeoutError", "ConnectionRefusedError"}


def test_every_outgoing_connection_has_a_short_default_timeout() -> None:
    """Without ``EMAIL_TIMEOUT`` smtplib waits for ever on a silent server (and the worker with it)."""
    from django.conf import settings

    assert settings.EMAIL_TIMEOUT is not None and 0 < settings.EMAIL_TIMEOUT <= 30
    assert 0 < settings.CARNET_SMS_TIMEOUT <= 30
    smtp = get_connection("django.core.mail.backends.smtp.EmailBackend")
    assert smtp.timeout == settings.EMAIL_TIMEOUT  # type: ignore[attr-defined]
    from carnet.audit import witnessing

    assert 0 < witnessing.TIMEOUT <= 30


@pytest.mark.parametrize("fault", ["silent", "refusing"])
def test_an_unreachable_mail_server_costs_a_run_one_attempt_and_the_sms_still_go(
    settings: Any, clock: Any, fault: str
) -> None:
    settings.CARNET_TASK_BACKEND = "none"
    person = PersonFactory()
    mails = [_queue(person, "EMAIL", f"mail-{i}") for i in range(5)]
    sms = _queue(person, "SMS", "sms-1")
    with BlackHole() as hole:
        use_smtp(settings, hole.port if fault == "silent" else closed_port(), TIMEOUT)
        started = time.monotonic()
        assert outbox_deliver_pending() == 1  # the SMS
        elapsed = time.monotonic() - started
        accepted = hole.accepted
    assert elapsed < 3 * TIMEOUT + 1
    assert accepted == (1 if fault == "silent" else 0)
    sms.refresh_from_db()
    assert sms.state == DeliveryState.SENT
    first, *others = [OutboxMessage.objects.get(pk=m.pk) for m in mails]
    assert first.state == DeliveryState.RETRYING and first.attempts == 1
    assert first.last_error in NETWORK_ERRORS and first.next_attempt_at is not None
    # The others were not tried against a server known unreachable: untouched, due at the next run.
    assert [(m.state, m.attempts, m.claim_token) for m in others] == [(DeliveryState.PENDING, 0, None)] * 4


def test_a_relay_closing_sessions_after_a_few_messages_does_not_stop_the_run(
    settings: Any, clock: Any
) -> None:
    """A run reuses one SMTP session; a relay answering "421 too many messages on this connection" gets
    a fresh session, not the verdict "unreachable" (which would leave the rest for the next run)."""
    settings.CARNET_TASK_BACKEND = "none"
    person = PersonFactory()
    mails = [_queue(person, "EMAIL", f"mail-{i}") for i in range(12)]
    with SmtpSink(per_session=5) as sink:
        use_smtp(settings, sink.port, timeout=5)
        assert outbox_deliver_pending() == 12
        received = list(sink.received)
    assert sorted(received) == sorted(OutboxMessage.objects.get(pk=m.pk).message_id for m in mails)
    assert len(sink.sessions) == 3


def test_a_silent_mail_server_does_not_stop_the_other_jobs_of_the_worker_cycle(
    settings: Any, clock: Any
) -> None:
    """Deadlines, exports and the log's checkpoint of the same cycle still run, within seconds."""
    settings.CARNET_TASK_BACKEND = "none"
    informed = PersonFactory()
    space, _code = space_inform(person=informed, actor=_insurance())  # queues the information letter
    world = make_world()
    export = export_request(
        space=world.space, actor=world.holder, user=User.objects.get(person=world.patient)
    )
    for number in range(3):
        _queue(world.patient, "EMAIL", f"mail-{number}")
    clock.advance(days=43)  # R-LC-3: the 6-week window is over, the space opens at the next deadline run
    assert OutboxMessage.objects.filter(channel="EMAIL", state=DeliveryState.PENDING).count() >= 4
    with BlackHole() as hole:
        use_smtp(settings, hole.port, TIMEOUT)
        started = time.monotonic()
        results = run_cycle()
        elapsed = time.monotonic() - started
        accepted = hole.accepted
    assert elapsed < 8
    assert accepted == 1  # one timeout for the whole cycle, not one per e-mail
    assert results["notifications.deliver_pending"] == 0
    assert not OutboxMessage.objects.filter(channel="EMAIL", state=DeliveryState.SENT).exists()
    space.refresh_from_db()
    assert space.status == SpaceStatus.OPEN_NOT_ACTIVATED  # deadlines (R-LC-3), was INFORMED
    export.refresh_from_db()
    assert export.status == ExportStatus.READY  # exports
    assert results["audit.sequence"] > 0 and TreeHead.objects.exists()  # the log's checkpoint
    assert all(result != "error" for result in results.values()), results


def _insurance() -> Any:
    from carnet.common.actors import Actor

    return Actor.insurance()


def test_a_login_whose_code_cannot_be_sent_answers_at_once_and_says_so(
    client: Client, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """R-LC-12: a silent mail server made a login wait 30 s, then answer 500, the code never sent."""
    user = make_patient()
    other = make_patient(username="jean.durand")
    with BlackHole() as hole:
        use_smtp(settings, hole.port, TIMEOUT)
        started = time.monotonic()
        response = login_password(client, django_capture_on_commit_callbacks, user.username)
        first = time.monotonic() - started
        # The silent server would hold the login for ever (30 s before the fix): bounded well below that, and
        # far above what a loaded 2-core CI machine adds to the mail timeout.
        assert response.status_code == 302 and first < 10
        page = client.get(reverse("accounts:login_code"))
        assert page.status_code == 200
        assert "Votre code n'a pas encore pu être envoyé" in text(page)
        assert "vient de vous être envoyé" not in text(page)
        english = client.get(reverse("accounts:login_code"), HTTP_ACCEPT_LANGUAGE="en")
        assert "Your code could not be sent yet" in text(english)

        # While the server stays silent, the next logins of this process do not wait for it again.
        # (the proof is that the silent server accepted one connection only, below, not a wall-clock figure)
        second_client = Client()
        response = login_password(second_client, django_capture_on_commit_callbacks, other.username)
        assert response.status_code == 302
        assert "Votre code n'a pas encore pu être envoyé" in text(
            second_client.get(reverse("accounts:login_code"))
        )
        accepted = hole.accepted
    assert accepted == 1
    codes = OutboxMessage.objects.filter(template="login_code")
    assert codes.count() == 2
    assert {(m.state, m.sent_at) for m in codes} == {(DeliveryState.RETRYING, None)}  # left to the worker


def _pro_mail(sender: str, to: str, number: int) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, to, f"Compte rendu {number}"
    mail["Message-ID"] = f"<cr-{number}@cabinet.example.org>"
    mail.set_content("Bonjour, voici le compte rendu. Bien cordialement.")
    return mail.as_bytes(policy=SMTP)


def test_a_silent_mail_server_costs_the_smtp_relay_one_timeout_per_run(settings: Any, clock: Any) -> None:
    """Patients' replies relayed to professionals' mail systems (R-MSG-1): three due, one connection."""
    world = make_world()
    address = smtp_gateway.patient_address(world.patient)
    for number in range(3):
        reply = smtp_gateway.deliver(
            mail_from=world.gp.email, rcpt_to=address, raw=_pro_mail(world.gp.email, address, number)
        )
        assert reply.startswith("250"), reply
    for message in Message.objects.filter(side="PROFESSIONAL"):
        patient_replies(world, message)
    with BlackHole() as hole:
        use_smtp(settings, hole.port, TIMEOUT)
        started = time.monotonic()
        assert smtp_outbound.relay_pending() == 0
        elapsed = time.monotonic() - started
        accepted = hole.accepted
    assert accepted == 1 and elapsed < 3 * TIMEOUT + 1
