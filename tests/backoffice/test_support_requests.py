"""Support requests: the public ``/aide/`` form and the operators' queue (OPEN → IN_PROGRESS → CLOSED)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from carnet.accounts.models import Role
from carnet.audit.selectors import traces_for_patient
from carnet.backoffice.models import SupportCategory, SupportRequest, SupportStatus
from carnet.backoffice.services import support_request_create, support_request_set_status
from carnet.common.errors import DomainError
from carnet.notifications.models import OutboxMessage
from carnet.notifications.services import outbox_deliver_pending

from .helpers import make_space, make_user

pytestmark = pytest.mark.django_db

AIDE = "/aide/"


def test_support_form_warns_not_to_write_medical_information(client) -> None:
    html = client.get(AIDE).content.decode()
    assert (
        "N&#x27;indiquez aucune information médicale" in html
        or "N'indiquez aucune information médicale" in html
    )


def test_support_form_has_no_free_text_field(client) -> None:
    form = client.get(AIDE).context["form"]
    assert set(form.fields) == {"category", "contact_email"}
    assert "<textarea" not in client.get(AIDE).content.decode()


def test_anonymous_visitor_can_create_a_support_request(client, clock) -> None:
    response = client.post(AIDE, {"category": SupportCategory.LOGIN, "contact_email": "aide@example.org"})
    assert response.status_code == 302
    request = SupportRequest.objects.get()
    assert (request.category, request.contact_email, request.status) == ("LOGIN", "aide@example.org", "OPEN")
    assert request.person is None
    assert request.created_at == clock.now()


def test_support_request_of_a_logged_in_patient_is_linked_to_his_person(client) -> None:
    patient = make_user(Role.PATIENT)
    client.force_login(patient)
    client.post(AIDE, {"category": SupportCategory.ACTIVATION, "contact_email": "moi@example.org"})
    assert SupportRequest.objects.get().person == patient.person


def test_support_form_prefills_the_patients_own_email(client) -> None:
    patient = make_user(Role.PATIENT)
    client.force_login(patient)
    assert client.get(AIDE).context["form"].initial["contact_email"] == patient.person.email


def test_support_request_creation_is_traced_in_the_same_transaction() -> None:
    patient = make_user(Role.PATIENT)
    request = support_request_create(category="LOGIN", contact_email="moi@example.org", user=patient)
    trace = traces_for_patient(patient.person.pk).get(action="SUPPORT_REQUEST_CREATED")
    assert trace.object_id == str(request.public_id)
    assert trace.actor_kind == "PATIENT"
    assert "moi@example.org" not in str(trace.details)


def test_support_form_shows_the_error_next_to_an_invalid_email(client) -> None:
    response = client.post(AIDE, {"category": SupportCategory.LOGIN, "contact_email": "pas-une-adresse"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "fr-input-group--error" in html
    assert "Adresse e-mail de contact : saisissez une adresse valide" in html
    assert not SupportRequest.objects.exists()


def test_support_form_refuses_an_unknown_category_and_writes_nothing(client) -> None:
    response = client.post(AIDE, {"category": "MEDICAL", "contact_email": "aide@example.org"})
    assert "fr-select-group--error" in response.content.decode()
    assert not SupportRequest.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_support_service_refuses_a_bad_email_without_writing() -> None:
    with pytest.raises(DomainError) as error:
        support_request_create(category="LOGIN", contact_email="nope")
    assert error.value.field == "contact_email"
    assert not SupportRequest.objects.exists()


def test_requester_receives_a_content_free_acknowledgement(client) -> None:
    client.post(AIDE, {"category": SupportCategory.CLOSURE, "contact_email": "aide@example.org"})
    outbox_deliver_pending()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["aide@example.org"]
    body = mail.outbox[0].body
    assert SupportRequest.objects.get().reference in body
    assert "mot de passe" in body  # only the "we will never ask for your password" notice
    assert "Saisissez votre mot de passe" not in body


def test_acknowledgements_to_one_address_are_limited_to_one_a_day(client, clock) -> None:
    for _ in range(3):
        client.post(AIDE, {"category": SupportCategory.OTHER, "contact_email": "cible@example.org"})
    assert SupportRequest.objects.count() == 3
    assert OutboxMessage.objects.filter(address="cible@example.org").count() == 1
    clock.advance(days=1)
    client.post(AIDE, {"category": SupportCategory.OTHER, "contact_email": "cible@example.org"})
    assert OutboxMessage.objects.filter(address="cible@example.org").count() == 2


def _request(**extra) -> SupportRequest:  # type: ignore[no-untyped-def]
    return support_request_create(category="LOGIN", contact_email="aide@example.org", **extra)


def test_operator_moves_a_request_from_open_to_in_progress_to_closed(clock) -> None:
    operator = make_user(Role.OPERATOR)
    request = _request()
    request = support_request_set_status(request=request, status=SupportStatus.IN_PROGRESS, operator=operator)
    assert request.status == "IN_PROGRESS"
    assert request.handled_by == operator
    clock.advance(hours=2)
    request = support_request_set_status(request=request, status=SupportStatus.CLOSED, operator=operator)
    assert (request.status, request.closed_at) == ("CLOSED", clock.now())


@pytest.mark.parametrize(
    ("start", "target"),
    [("CLOSED", "OPEN"), ("CLOSED", "IN_PROGRESS"), ("IN_PROGRESS", "OPEN"), ("OPEN", "OPEN")],
)
def test_support_request_cannot_go_backwards(start, target) -> None:
    operator = make_user(Role.OPERATOR)
    request = _request()
    SupportRequest.objects.filter(pk=request.pk).update(status=start)
    with pytest.raises(DomainError) as error:
        support_request_set_status(request=request, status=target, operator=operator)
    assert error.value.field == "status"
    request.refresh_from_db()
    assert request.status == start


def test_status_change_is_traced_with_an_operator_actor() -> None:
    patient = make_user(Role.PATIENT)
    operator = make_user(Role.OPERATOR)
    request = _request(user=patient)
    support_request_set_status(request=request, status=SupportStatus.IN_PROGRESS, operator=operator)
    trace = traces_for_patient(patient.person.pk).get(action="SUPPORT_REQUEST_STATUS_CHANGED")
    assert trace.actor_kind == "OPERATOR"
    assert trace.actor_id == str(operator.public_id)
    assert trace.details == {"from": "OPEN", "to": "IN_PROGRESS"}


def test_only_an_operator_may_change_a_request_status() -> None:
    request = _request()
    with pytest.raises(DomainError):
        support_request_set_status(request=request, status="IN_PROGRESS", operator=make_user(Role.PATIENT))
    request.refresh_from_db()
    assert request.status == "OPEN"


def test_operator_changes_the_status_from_the_queue_page(operator_client) -> None:
    request = _request()
    url = reverse("backoffice:support_status", kwargs={"request_id": request.public_id})
    response = operator_client.post(url, {"status": "IN_PROGRESS"}, follow=True)
    request.refresh_from_db()
    assert request.status == "IN_PROGRESS"
    assert "maintenant « En cours »" in response.content.decode()


def test_queue_page_shows_the_refusal_of_an_invalid_status_change(operator_client) -> None:
    request = _request()
    SupportRequest.objects.filter(pk=request.pk).update(status="CLOSED")
    url = reverse("backoffice:support_status", kwargs={"request_id": request.public_id})
    response = operator_client.post(url, {"status": "OPEN"}, follow=True)
    assert "ne peut pas passer" in response.content.decode()


def test_status_change_is_post_only(operator_client) -> None:
    url = reverse("backoffice:support_status", kwargs={"request_id": _request().public_id})
    assert operator_client.get(url).status_code == 405


def test_queue_page_filters_on_status_and_hides_the_contact_of_closed_requests(operator_client) -> None:
    open_request = support_request_create(category="LOGIN", contact_email="ouverte@example.org")
    closed = support_request_create(category="OTHER", contact_email="fermee@example.org")
    SupportRequest.objects.filter(pk=closed.pk).update(status="CLOSED")
    html = operator_client.get(reverse("backoffice:support_list")).content.decode()
    assert "ouverte@example.org" in html
    assert "fermee@example.org" not in html
    filtered = operator_client.get(reverse("backoffice:support_list"), {"status": "CLOSED"}).content.decode()
    assert closed.reference in filtered
    assert open_request.reference not in filtered


def test_queue_page_links_a_request_to_the_requesters_space(operator_client) -> None:
    patient = make_user(Role.PATIENT)
    space = make_space(person=patient.person)
    _request(user=patient)
    html = operator_client.get(reverse("backoffice:support_list")).content.decode()
    assert reverse("backoffice:space_detail", kwargs={"space_id": space.public_id}) in html


def test_home_counts_open_and_in_progress_requests(operator_client) -> None:
    _request()
    _request()
    started = _request()
    SupportRequest.objects.filter(pk=started.pk).update(status="IN_PROGRESS")
    counts = operator_client.get(reverse("backoffice:home")).context["support_counts"]
    assert (counts["OPEN"], counts["IN_PROGRESS"], counts["CLOSED"]) == (2, 1, 0)
