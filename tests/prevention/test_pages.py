"""Pages of the prevention calendar (R-AG-3, R-AG-4): statuses, explanations, opt-out, family view."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from carnet.accounts.models import User
from carnet.agenda.prevention.models import PreventionOptOut, PreventionStatus
from carnet.identity.models import Person
from tests.factories import DelegationFactory
from tests.prevention.conftest import patient

pytestmark = pytest.mark.django_db


def _main(html: str) -> str:
    """The page's own content: the header names every person one may act for (the profile switch)."""
    return html[html.index("<main") : html.index("</main>")]


def _client(person: Person) -> Client:
    client = Client()
    client.force_login(User.objects.get(person=person))
    return client


def test_the_prevention_page_lists_due_items_with_why_am_i_seeing_this_r_ag_3(clock) -> None:  # type: ignore[no-untyped-def]
    person = patient()
    page = _client(person).get("/espace/prevention/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Dépistage organisé du cancer du sein (50 ans)" in html
    assert "Pourquoi je vois ceci ?" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<label class="fr-label" for="status-SCREEN_BREAST_50">' in html


def test_the_status_form_records_the_patients_choice_r_ag_4(clock) -> None:  # type: ignore[no-untyped-def]
    person = patient()
    response = _client(person).post(
        "/espace/prevention/statut/", {"item": "SCREEN_BREAST_50", "status": "DONE"}
    )
    assert response.status_code == 302
    assert PreventionStatus.objects.get(patient_id=person.pk, item_code="SCREEN_BREAST_50").status == "DONE"


def test_a_bad_status_shows_an_error_and_writes_nothing_r_ag_4(clock) -> None:  # type: ignore[no-untyped-def]
    person = patient()
    client = _client(person)
    response = client.post(
        "/espace/prevention/statut/", {"item": "SCREEN_BREAST_50", "status": "X"}, follow=True
    )
    assert "Statut" in response.content.decode() and "fr-alert--error" in response.content.decode()
    assert not PreventionStatus.objects.exists()


def test_opting_out_from_the_page_hides_the_kind_r_ag_3(clock) -> None:  # type: ignore[no-untyped-def]
    person = patient()
    client = _client(person)
    client.post("/espace/prevention/desinscription/", {"kind": "SCREENING"})
    assert PreventionOptOut.objects.filter(patient_id=person.pk, kind="SCREENING").exists()
    assert "cancer du sein" not in client.get("/espace/prevention/").content.decode()


def test_the_page_requires_a_logged_in_patient(clock) -> None:  # type: ignore[no-untyped-def]
    response = Client().get("/espace/prevention/")
    assert response.status_code in {302, 403, 404}


def test_a_parent_sees_his_childs_due_items_in_the_family_view_r_min_1(clock) -> None:  # type: ignore[no-untyped-def]
    parent = patient(birth_date=date(1990, 1, 1))
    child = patient(birth_date=date(2025, 11, 1), sex="M", account=False)
    DelegationFactory(kind="LEGAL_REPRESENTATION", subject=child, delegate=parent)
    html = _main(_client(parent).get("/espace/prevention/famille/").content.decode())
    assert child.display_name in html
    assert "Hexavalent" in html


def test_a_caregiver_does_not_see_the_helped_person_in_the_family_view_r_min_1(clock) -> None:  # type: ignore[no-untyped-def]
    helper = patient(birth_date=date(1990, 1, 1))
    helped = patient(birth_date=date(1940, 1, 1), account=False)
    DelegationFactory(kind="CAREGIVING", subject=helped, delegate=helper)
    html = _main(_client(helper).get("/espace/prevention/famille/").content.decode())
    assert helped.display_name not in html
