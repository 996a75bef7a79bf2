"""Operators' delivery page ``/backoffice/notifications/`` (invariant 5): states without content."""

from __future__ import annotations

import pytest

from carnet.accounts.models import Role
from carnet.audit.models import Trace
from carnet.notifications.models import DeliveryState, OutboxMessage
from carnet.notifications.services import notify, outbox_deliver_pending
from tests.backoffice.helpers import make_user
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

PAGE = "/backoffice/notifications/"
SECRET_CODE = "987654"


@pytest.fixture
def failed(settings, clock) -> OutboxMessage:  # type: ignore[no-untyped-def]
    """A login-code SMS whose gateway is down, given up after one attempt."""
    settings.CARNET_TASK_BACKEND = "none"
    settings.CARNET_SMS_BACKEND = "tests.notifications.fakes.BrokenGateway"
    settings.CARNET_OUTBOX_MAX_ATTEMPTS = 1
    person = PersonFactory(phone="+33699887766", email="claire.secret@example.org")
    message = notify(
        patient_id=person.pk,
        channel="SMS",
        address=person.phone,
        template="login_code",
        params={"code": SECRET_CODE, "minutes": "3"},
        dedup_key="login:1",
    )
    assert message is not None
    outbox_deliver_pending()
    message.refresh_from_db()
    assert message.state == DeliveryState.FAILED
    return message


@pytest.fixture
def operator_client(client):  # type: ignore[no-untyped-def]
    client.force_login(make_user(Role.OPERATOR))
    return client


def test_the_page_lists_a_failed_message_with_its_metadata(operator_client, failed) -> None:  # type: ignore[no-untyped-def]
    html = operator_client.get(PAGE).content.decode()
    assert str(failed.idempotency_key) in html
    assert "Code de connexion" in html and "ConnectionError" in html and "Échec définitif" in html
    assert "login_code" not in html  # the kind of message in words, never the template key


def test_the_page_never_shows_an_address_parameters_or_a_body(operator_client, failed) -> None:  # type: ignore[no-untyped-def]
    html = operator_client.get(PAGE).content.decode()
    assert "+33699887766" not in html and "claire.secret" not in html
    assert SECRET_CODE not in html
    assert "Votre code de connexion" not in html  # neither subject nor body


def test_the_page_counts_messages_per_state_and_channel(operator_client, failed, settings) -> None:  # type: ignore[no-untyped-def]
    notify(
        patient_id=None,
        channel="EMAIL",
        address="a@example.org",
        template="generic",
        params={"base_url": "https://x"},
        dedup_key="g1",
    )
    html = operator_client.get(PAGE).content.decode()
    assert '<td data-state="FAILED">1</td>' in html and '<td data-state="PENDING">1</td>' in html
    assert '<td data-channel="SMS" data-state="FAILED">1</td>' in html
    assert '<td data-channel="EMAIL" data-state="PENDING">1</td>' in html


def test_retry_now_gives_a_failed_message_a_fresh_attempt_and_is_traced(
    operator_client, failed, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_SMS_BACKEND = "carnet.notifications.channels.LocalOutboxSms"
    response = operator_client.post(PAGE, {"message": str(failed.idempotency_key)})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.state == DeliveryState.RETRYING and failed.attempts == 0
    trace = Trace.objects.get(action="NOTIFICATION_RETRY")
    assert trace.actor_kind == "OPERATOR" and trace.object_id == str(failed.idempotency_key)
    assert SECRET_CODE not in str(trace.details)
    assert outbox_deliver_pending() == 1


def test_retry_now_of_a_sent_message_is_refused(operator_client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_TASK_BACKEND = "none"
    message = notify(
        patient_id=None,
        channel="EMAIL",
        address="a@example.org",
        template="generic",
        params={"base_url": "https://x"},
        dedup_key="g1",
    )
    assert message is not None
    outbox_deliver_pending()
    response = operator_client.post(PAGE, {"message": str(message.idempotency_key)}, follow=True)
    assert "ni en échec" in response.content.decode()
    message.refresh_from_db()
    assert message.state == DeliveryState.SENT


def test_retry_now_with_a_malformed_reference_changes_nothing(operator_client, failed) -> None:  # type: ignore[no-untyped-def]
    response = operator_client.post(PAGE, {"message": "1"})
    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.state == DeliveryState.FAILED


@pytest.mark.parametrize("role", [Role.PATIENT, Role.PROFESSIONAL])
def test_the_page_answers_404_to_patients_and_professionals(client, role, failed) -> None:  # type: ignore[no-untyped-def]
    client.force_login(make_user(role))
    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE, {"message": str(failed.idempotency_key)}).status_code == 404
    failed.refresh_from_db()
    assert failed.state == DeliveryState.FAILED


def test_every_message_template_has_an_operators_label() -> None:
    from carnet.backoffice.views_notifications import TEMPLATE_LABELS
    from carnet.notifications.templates_catalogue import CATALOGUE
    from carnet.tasks import load_tasks

    load_tasks()  # the apps register their templates when their modules load
    assert set(CATALOGUE) <= set(TEMPLATE_LABELS)
