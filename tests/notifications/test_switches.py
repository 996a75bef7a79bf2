"""Notification switches that work (R-NOT-1): every kind the preferences page offers is produced by the
event it names and honours its switch — switched on, the e-mail is queued; switched off, no e-mail, but the
entry of the notification centre is still made (R-NOT-3) — and everything that cannot be switched off is
listed on the page. Each producer is the real one (messaging, deposits, agenda job, prevention job)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from carnet.access.facts import Confidentiality
from carnet.agenda import services as agenda
from carnet.agenda.prevention.tasks import prevention_daily_reminders
from carnet.identity.models import Person
from carnet.notifications.models import InAppNotification, NotificationKind, OutboxMessage
from carnet.notifications.services import inapp_mark_read, preferences_update
from carnet.notifications.switches import (
    ALWAYS_SENT_LABELS,
    NOT_FOR_PATIENTS,
    PRODUCED_KINDS,
    SWITCHED_TEMPLATES,
    always_sent_lines,
)
from carnet.notifications.templates_catalogue import ALWAYS_SENT, CATALOGUE, render
from carnet.records import services as records
from tests.api.conftest import bearer, get_token, make_oauth_client
from tests.fhir.helpers import FHIR, bundle
from tests.messaging.builders import caregiver_of, pro_writes
from tests.records.helpers import PDF, World, add_parent, deposit_pdf, make_world, person_actor

PREFERENCES = "/espace/notifications/preferences/"


@pytest.fixture(autouse=True)
def _no_delivery(settings: Any) -> None:
    settings.CARNET_TASK_BACKEND = "none"  # what is queued is under test, not its delivery


@pytest.fixture
def world(db: Any, clock: Any) -> World:
    return make_world(birth_date=date(1970, 5, 17))  # 55: due for screenings on the clock's day


def _switch(person: Person, kind: str, on: bool) -> None:
    preferences_update(
        person_id=person.pk,
        actor=person_actor(person),
        enabled={k: (on if k == kind else True) for k in NotificationKind.values},
    )


def _emails(person: Person, kind: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(address=person.email, template__in=SWITCHED_TEMPLATES[kind]))


def _entries(person: Person, kind: str) -> list[InAppNotification]:
    return list(InAppNotification.objects.filter(patient_id=person.pk, template__in=SWITCHED_TEMPLATES[kind]))


# --- one real producer per offered kind ------------------------------------------------------------


def _new_message(world: World) -> None:
    pro_writes(world)


def _new_document(world: World) -> None:
    deposit_pdf(world, world.gp)


def _appointment(world: World) -> None:
    starts = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    agenda.appointment_create(
        actor=world.holder,
        patient_id=world.patient.pk,
        data=agenda.AppointmentData(
            name="Dr Durand", speciality="", starts_at=starts, reminder_offsets=[1440]
        ),
    )
    from carnet.common import clock

    clock.freeze(starts - timedelta(days=1))
    agenda.appointment_reminders_send()


def _screening(world: World) -> None:
    prevention_daily_reminders(today=date(2026, 1, 5))


PRODUCERS: dict[str, Callable[[World], None]] = {
    NotificationKind.NEW_MESSAGE: _new_message,
    NotificationKind.NEW_DOCUMENT: _new_document,
    NotificationKind.APPOINTMENT: _appointment,
    NotificationKind.SCREENING: _screening,
}


@pytest.mark.parametrize("kind", PRODUCED_KINDS)
def test_a_kind_switched_on_queues_its_email_when_its_event_happens(world: World, kind: str) -> None:
    PRODUCERS[kind](world)
    assert len(_emails(world.patient, kind)) == 1
    assert len(_entries(world.patient, kind)) == 1


@pytest.mark.parametrize("kind", PRODUCED_KINDS)
def test_a_kind_switched_off_queues_no_email_but_keeps_the_centre_entry(world: World, kind: str) -> None:
    _switch(world.patient, kind, on=False)
    PRODUCERS[kind](world)
    assert _emails(world.patient, kind) == []
    assert len(_entries(world.patient, kind)) == 1


@pytest.mark.parametrize("kind", PRODUCED_KINDS)
def test_switching_another_kind_off_does_not_silence_this_one(world: World, kind: str) -> None:
    for other in NotificationKind.values:
        if other != kind:
            _switch(world.patient, other, on=False)
    PRODUCERS[kind](world)
    assert len(_emails(world.patient, kind)) == 1


# --- each recipient's own switch ---------------------------------------------------------------------


def test_each_recipient_of_a_new_message_has_his_own_switch(db: Any, clock: Any) -> None:
    child = make_world(birth_date=date(2014, 3, 1))
    parent = add_parent(child)
    helper = caregiver_of(child)
    _switch(parent, NotificationKind.NEW_MESSAGE, on=False)
    pro_writes(child)
    assert _emails(parent, NotificationKind.NEW_MESSAGE) == []
    assert len(_entries(parent, NotificationKind.NEW_MESSAGE)) == 1  # his centre still has it
    assert len(_emails(child.patient, NotificationKind.NEW_MESSAGE)) == 1
    assert len(_emails(helper, NotificationKind.NEW_MESSAGE)) == 1  # R-DEL-2: caregivers are told too


# --- "new document": who is told, and how a bulk deposit is grouped --------------------------------


def test_the_holders_own_upload_notifies_nobody(world: World) -> None:
    records.document_deposit(
        actor=world.holder, patient_id=world.patient.pk, content=PDF, filename="scan.pdf", title="Scan"
    )
    assert not OutboxMessage.objects.filter(template="record_new_document").exists()


def test_a_document_invisible_to_the_patient_before_its_release_notifies_nobody_r_mask_6(
    world: World,
) -> None:
    deposit_pdf(world, world.gp, confidentiality=[Confidentiality.INVISIBLE_PATIENT])
    assert not InAppNotification.objects.filter(template="record_new_document").exists()


def test_a_document_hidden_from_the_parents_notifies_the_minor_but_not_them_r_min_5(
    db: Any, clock: Any
) -> None:
    child = make_world(birth_date=date(2010, 6, 1))
    parent = add_parent(child)
    deposit_pdf(child, child.lab, confidentiality=[Confidentiality.INVISIBLE_REPRESENTANTS_LEGAUX])
    assert len(_emails(child.patient, NotificationKind.NEW_DOCUMENT)) == 1
    assert _emails(parent, NotificationKind.NEW_DOCUMENT) == [] and _entries(parent, "NEW_DOCUMENT") == []
    deposit_pdf(child, child.gp)
    assert len(_emails(parent, NotificationKind.NEW_DOCUMENT)) == 1


def test_a_bulk_fhir_deposit_sends_one_email_not_one_per_document(world: World) -> None:
    token = get_token(Client(), make_oauth_client(world.lab_org))
    response = Client().post(
        "/fhir/", json.dumps(bundle(world.patient, documents=12)), content_type=FHIR, headers=bearer(token)
    )
    assert response.status_code == 200, response.content
    assert len(_emails(world.patient, NotificationKind.NEW_DOCUMENT)) == 1
    assert len(_entries(world.patient, NotificationKind.NEW_DOCUMENT)) == 1


def test_further_deposits_wait_until_the_notice_is_opened_or_a_day_has_passed(
    world: World, clock: Any
) -> None:
    deposit_pdf(world, world.gp)
    clock.advance(hours=3)
    deposit_pdf(world, world.lab)
    assert len(_emails(world.patient, NotificationKind.NEW_DOCUMENT)) == 1
    [entry] = _entries(world.patient, NotificationKind.NEW_DOCUMENT)
    inapp_mark_read(patient_id=world.patient.pk, public_id=entry.public_id)
    deposit_pdf(world, world.lab)
    assert len(_emails(world.patient, NotificationKind.NEW_DOCUMENT)) == 2
    clock.advance(hours=25)  # unread, but a day later
    deposit_pdf(world, world.gp)
    assert len(_emails(world.patient, NotificationKind.NEW_DOCUMENT)) == 3


def test_the_new_document_email_names_neither_the_document_nor_its_author(world: World) -> None:
    deposit_pdf(world, world.gp, title="Sérologie VIH")
    [mail] = _emails(world.patient, NotificationKind.NEW_DOCUMENT)
    for language in ("fr", "en"):
        subject, body = render(mail.template, mail.params, language)
        assert "VIH" not in subject + body and world.gp.display_name not in subject + body
    assert "sender" not in CATALOGUE[mail.template].params


# --- the page ----------------------------------------------------------------------------------------


def test_the_page_offers_exactly_the_kinds_an_event_produces(world: World) -> None:
    assert set(PRODUCED_KINDS) == set(PRODUCERS)
    assert NotificationKind.SERVICE_ACTIVITY not in PRODUCED_KINDS  # no connected services yet
    client = Client()
    client.force_login(world.patient.account)
    form = client.get(PREFERENCES).context["form"]
    assert list(form.fields) == [*PRODUCED_KINDS, *(f"push_{kind}" for kind in PRODUCED_KINDS)]


def test_saving_the_page_keeps_the_stored_choice_of_a_kind_it_does_not_offer(world: World) -> None:
    _switch(world.patient, NotificationKind.SERVICE_ACTIVITY, on=False)
    client = Client()
    client.force_login(world.patient.account)
    assert client.post(PREFERENCES, {kind: "on" for kind in PRODUCED_KINDS}).status_code == 302
    from carnet.notifications.selectors import preferences_for_person

    assert preferences_for_person(person_id=world.patient.pk)[NotificationKind.SERVICE_ACTIVITY] is False


def test_the_page_lists_every_message_that_cannot_be_switched_off(world: World) -> None:
    client = Client()
    client.force_login(world.patient.account)
    html = client.get(PREFERENCES).content.decode()
    listed = html[html.index('data-testid="always-sent"') :]
    for line in always_sent_lines():
        assert str(line).replace("'", "&#x27;") in listed


def test_every_message_a_patient_may_receive_is_either_switchable_or_listed_as_always_sent() -> None:
    import importlib

    from tests.notifications.test_templates import _modules_registering_templates

    for module in _modules_registering_templates():
        importlib.import_module(module)
    switched = set().union(*SWITCHED_TEMPLATES.values())
    for key in CATALOGUE:
        assert (key in switched) + (key in ALWAYS_SENT_LABELS) + (key in NOT_FOR_PATIENTS) == 1, key
    assert set(ALWAYS_SENT_LABELS) | NOT_FOR_PATIENTS >= ALWAYS_SENT
    assert not (ALWAYS_SENT & switched)


def test_no_template_that_could_reveal_a_confidential_exchange_names_its_sender() -> None:
    """R-NOT-2, R-MIN-5: the notice of a conversation hidden from the legal representatives and the notice
    of a new document (a centre's name alone may say what it is about) name nobody."""
    for key in ("messaging_new_message_discreet", "record_new_document"):
        template = CATALOGUE[key]
        assert "sender" not in template.params
        assert not any("{sender}" in text for text in (*template.subject.values(), *template.body.values()))
