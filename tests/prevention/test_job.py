"""The daily prevention reminder job (SPEC §6, R-AG-3, R-AG-5; invariant 5): idempotent, resumable,
set-based (a constant number of queries per batch), content-free."""

from __future__ import annotations

from datetime import date

import pytest
from django.test.utils import CaptureQueriesContext

from carnet.agenda.prevention import services, tasks
from carnet.agenda.prevention.models import PreventionJobRun, ReminderSent
from carnet.agenda.prevention.tasks import prevention_daily_reminders
from carnet.notifications.models import InAppNotification, NotificationPreference, OutboxMessage
from carnet.notifications.templates_catalogue import render
from carnet.spaces.models import SpaceStatus
from tests.prevention.conftest import patient
from tests.records.helpers import give_space, new_person, person_actor

pytestmark = pytest.mark.django_db
TODAY = date(2026, 1, 5)


@pytest.fixture(autouse=True)
def _no_delivery(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_TASK_BACKEND = "none"  # the outbox worker is not under test here


def _reminders() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(template="prevention_reminder"))


def test_a_due_screening_is_reminded_through_the_outbox_r_ag_3(clock) -> None:  # type: ignore[no-untyped-def]
    person = patient()
    result = prevention_daily_reminders(today=TODAY)
    assert result["persons"] == 1
    assert [m.patient_id for m in _reminders()] == [person.pk]
    assert ReminderSent.objects.filter(patient_id=person.pk, item_code="SCREEN_BREAST_50").exists()
    assert InAppNotification.objects.filter(patient_id=person.pk, kind="RAPPEL_RDV_PREV").count() == 1


def test_running_the_job_twice_sends_nothing_twice_r_ag_3(clock) -> None:  # type: ignore[no-untyped-def]
    patient()
    patient(birth_date=date(1960, 2, 2), sex="M")
    prevention_daily_reminders(today=TODAY)
    first = (len(_reminders()), ReminderSent.objects.count())
    PreventionJobRun.objects.all().delete()  # even a forgotten progress row cannot resend
    prevention_daily_reminders(today=TODAY)
    assert (len(_reminders()), ReminderSent.objects.count()) == first


def test_the_next_day_only_new_items_are_reminded_r_ag_3(clock) -> None:  # type: ignore[no-untyped-def]
    patient(birth_date=date(1976, 1, 6))  # turns 50 tomorrow: screenings open then
    prevention_daily_reminders(today=TODAY)
    before = len(_reminders())
    prevention_daily_reminders(today=date(2026, 1, 6))
    assert len(_reminders()) == before + 1
    assert ReminderSent.objects.filter(item_code="SCREEN_COLORECTAL_50").count() == 1


def test_a_crash_after_the_first_batch_is_resumed_by_the_next_run_r_ag_3(clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    people = [patient(birth_date=date(1970 - i, 3, 1)) for i in range(5)]
    real = tasks.process_batch
    calls = {"n": 0}

    def crash_on_second(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(tasks, "process_batch", crash_on_second)
    with pytest.raises(RuntimeError):
        prevention_daily_reminders(today=TODAY, batch_size=2)
    run = PreventionJobRun.objects.get(run_date=TODAY)
    assert run.persons_processed == 2 and run.finished_at is None
    assert {m.patient_id for m in _reminders()} == {p.pk for p in people[:2]}

    monkeypatch.setattr(tasks, "process_batch", real)
    result = prevention_daily_reminders(today=TODAY, batch_size=2)
    assert result["persons"] == 5
    assert sorted(m.patient_id for m in _reminders()) == sorted(p.pk for p in people)


def test_a_finished_day_returns_at_once(clock, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    patient()
    prevention_daily_reminders(today=TODAY)
    with django_assert_num_queries(1):
        prevention_daily_reminders(today=TODAY)


def test_the_number_of_queries_per_batch_does_not_depend_on_its_size(
    clock, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for i in range(3):
        patient(birth_date=date(1950 + i, 3, 1), account=False)
    # SQLite: progress row (get_or_create: 4), the batch (1), its vaccinations, statuses, opt-outs, sent
    # reminders and e-mail preferences (5), one transaction with 3 bulk inserts, the batch's Web Push
    # subscriptions (1) and the progress (7), the empty next batch (1), the finished mark (1): 19. PostgreSQL streams each bulk insert through COPY into a
    # temporary table (a few more statements). Either way the count does not depend on the number of persons.
    from django.db import connection

    expected = 19 if connection.vendor == "sqlite" else None
    with django_assert_num_queries(expected) if expected else CaptureQueriesContext(connection) as small:
        prevention_daily_reminders(today=TODAY, batch_size=1000)
    assert 0 < len(small.captured_queries) <= 40
    for i in range(40):
        patient(birth_date=date(1940 + i, 1 + i % 12, 1 + i % 28), sex="F" if i % 2 else "M", account=False)
    with django_assert_num_queries(len(small.captured_queries)):
        prevention_daily_reminders(today=date(2026, 1, 6), batch_size=1000)


def _forget_runs() -> None:
    ReminderSent.objects.all().delete()
    PreventionJobRun.objects.all().delete()
    OutboxMessage.objects.all().delete()
    InAppNotification.objects.all().delete()


def test_each_extra_batch_costs_the_same_few_queries(clock) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(12):
        patient(birth_date=date(1950 + i, 3, 1), account=False)
    with CaptureQueriesContext(connection) as two_batches:
        prevention_daily_reminders(today=TODAY, batch_size=6)
    _forget_runs()  # the same work again, cut into three batches instead of two
    with CaptureQueriesContext(connection) as three_batches:
        prevention_daily_reminders(today=TODAY, batch_size=4)
    per_batch = len(three_batches.captured_queries) - len(two_batches.captured_queries)
    # SQLite: bulk_create statements and the batch's Web Push subscriptions; PostgreSQL: COPY into a
    # temporary table, then INSERT … ON CONFLICT.
    assert 0 < per_batch <= (13 if connection.vendor == "sqlite" else 31)


def test_messages_carry_no_health_data_r_not_2(clock) -> None:  # type: ignore[no-untyped-def]
    patient()
    prevention_daily_reminders(today=TODAY)
    (message,) = _reminders()
    subject, body = render(message.template, message.params, message.language)
    text = (subject + body).lower()
    for word in ["sein", "dépistage", "cancer", "vaccin", "mammograph", "50 ans"]:
        assert word not in text
    assert "mot de passe" in text and "jamais" in text  # never asks for the password
    assert set(message.params) == {"base_url"}
    assert "SCREEN" not in message.dedup_key  # operators see outbox rows: the key names no item


def test_only_activated_living_persons_are_reminded_r_lc_27(clock) -> None:  # type: ignore[no-untyped-def]
    patient()
    dead = patient()
    dead.deceased_on = date(2025, 12, 1)
    dead.save()
    not_activated = new_person(birth_date=date(1975, 3, 1), sex="F")
    give_space(not_activated, status=SpaceStatus.OPEN_NOT_ACTIVATED)
    no_space = new_person(birth_date=date(1975, 3, 1), sex="F")
    prevention_daily_reminders(today=TODAY)
    reminded = {m.patient_id for m in _reminders()}
    assert dead.pk not in reminded and not_activated.pk not in reminded and no_space.pk not in reminded
    assert len(reminded) == 1


def test_an_opted_out_kind_is_never_reminded_r_ag_3(clock) -> None:  # type: ignore[no-untyped-def]
    person = patient(birth_date=date(1975, 3, 1), sex="F")
    for kind in ["SCREENING", "CHECKUP", "VACCINATION"]:
        services.prevention_opt_out(actor=person_actor(person), person=person, kind=kind)
    prevention_daily_reminders(today=TODAY)
    assert not _reminders()
    assert not ReminderSent.objects.exists()


def test_an_item_the_patient_marked_done_is_not_reminded_r_ag_4(clock) -> None:  # type: ignore[no-untyped-def]
    person = patient()
    services.prevention_status_set(
        actor=person_actor(person), person=person, item_code="SCREEN_BREAST_50", status="DONE"
    )
    prevention_daily_reminders(today=TODAY)
    assert not ReminderSent.objects.filter(item_code="SCREEN_BREAST_50").exists()
    assert ReminderSent.objects.filter(item_code="SCREEN_COLORECTAL_50").exists()


def test_switching_off_screening_e_mails_keeps_the_in_app_reminder_r_not_1(clock) -> None:  # type: ignore[no-untyped-def]
    person = patient()
    NotificationPreference.objects.create(
        person_id=person.pk, kind="SCREENING", email_enabled=False, updated_at=clock.now()
    )
    prevention_daily_reminders(today=TODAY)
    assert not _reminders()
    assert InAppNotification.objects.filter(patient_id=person.pk, template="prevention_reminder").count() == 1


def test_the_job_is_a_registered_task_run_by_the_worker_cycle(clock) -> None:  # type: ignore[no-untyped-def]
    from carnet.config.worker import CYCLE_TASKS
    from carnet.tasks import load_tasks

    patient()
    assert "prevention.daily_reminders" in CYCLE_TASKS
    result = load_tasks()["prevention.daily_reminders"]()
    assert result["date"] == "2026-01-05" and result["reminders"] > 0
