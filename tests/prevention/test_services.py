"""Patient's choices on the prevention calendar (R-AG-3, R-AG-4): statuses, opt-out, traced (invariant 2)."""

from __future__ import annotations

from datetime import date

import pytest

from carnet.agenda.prevention import selectors, services
from carnet.agenda.prevention.models import PreventionOptOut, PreventionStatus
from carnet.audit.models import Trace
from carnet.common.errors import DomainError
from tests.prevention.conftest import patient
from tests.records.helpers import person_actor

pytestmark = pytest.mark.django_db


def test_the_patient_marks_a_screening_done_and_it_shows_done_r_ag_4(clock) -> None:  # type: ignore[no-untyped-def]
    person = patient()
    services.prevention_status_set(
        actor=person_actor(person), person=person, item_code="SCREEN_BREAST_50", status="DONE"
    )
    items = {
        i.code: i for i in selectors.prevention_items_for_actor(actor=person_actor(person), person=person)
    }
    assert items["SCREEN_BREAST_50"].status == "DONE"


def test_setting_a_status_is_traced_without_naming_the_item_r_ag_4(clock) -> None:  # type: ignore[no-untyped-def]
    person = patient()
    services.prevention_status_set(
        actor=person_actor(person), person=person, item_code="SCREEN_BREAST_50", status="NOT_DONE"
    )
    trace = Trace.objects.get(patient_id=person.pk, action="PREVENTION_STATUS_SET")
    assert trace.details == {"kind": "SCREENING", "before": "", "after": "NOT_DONE"}
    assert "BREAST" not in str(trace.details) + trace.object_id


def test_an_unknown_status_is_refused_and_nothing_is_written_r_ag_4(clock) -> None:  # type: ignore[no-untyped-def]
    person = patient()
    with pytest.raises(DomainError) as error:
        services.prevention_status_set(
            actor=person_actor(person), person=person, item_code="SCREEN_BREAST_50", status="MAYBE"
        )
    assert error.value.field == "status"
    assert not PreventionStatus.objects.exists()


def test_a_man_cannot_set_a_status_on_breast_screening_r_ag_3(clock) -> None:  # type: ignore[no-untyped-def]
    person = patient(sex="M", birth_date=date(1975, 3, 1))
    with pytest.raises(DomainError) as error:
        services.prevention_status_set(
            actor=person_actor(person), person=person, item_code="SCREEN_BREAST_50", status="DONE"
        )
    assert error.value.field == "item"


def test_opting_out_of_screenings_needs_no_justification_and_hides_them_r_ag_3(clock) -> None:  # type: ignore[no-untyped-def]
    person = patient()
    assert services.prevention_opt_out(actor=person_actor(person), person=person, kind="SCREENING")
    items = selectors.prevention_items_for_actor(actor=person_actor(person), person=person)
    assert items and all(i.kind != "SCREENING" for i in items)
    assert Trace.objects.filter(patient_id=person.pk, action="PREVENTION_OPT_OUT").count() == 1


def test_opting_back_in_shows_the_kind_again_r_ag_3(clock) -> None:  # type: ignore[no-untyped-def]
    person = patient()
    services.prevention_opt_out(actor=person_actor(person), person=person, kind="SCREENING")
    assert services.prevention_opt_in(actor=person_actor(person), person=person, kind="SCREENING")
    assert not PreventionOptOut.objects.filter(patient_id=person.pk).exists()


def test_an_unknown_kind_is_refused_naming_the_field_r_ag_3(clock) -> None:  # type: ignore[no-untyped-def]
    person = patient()
    with pytest.raises(DomainError) as error:
        services.prevention_opt_out(actor=person_actor(person), person=person, kind="EVERYTHING")
    assert error.value.field == "kind"
