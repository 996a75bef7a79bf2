"""Browser journey of the agenda (issue 6): a patient adds an appointment through the page, creates his
private subscription URL, and the .ics feed fetched at that URL carries the appointment (R-AG-2)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import icalendar
import pytest

from tests.agenda.conftest import make_holder
from tests.factories import PATIENT_PASSWORD

from .journeys import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_appointment_added_on_the_page_appears_in_the_ics_feed(page: Any) -> None:
    holder = make_holder()
    login(page, holder.person, holder.user.username, PATIENT_PASSWORD)  # type: ignore[attr-defined]
    page.wait_for_url(re.compile("/espace/$"))

    page.goto("/agenda/")
    page.get_by_role("link", name="Ajouter un rendez-vous").click()
    page.get_by_label(re.compile(r"^Professionnel ou établissement")).fill("Dr Anne Durand")
    page.get_by_label(re.compile(r"^Date et heure")).fill("2030-03-12T10:30")
    page.get_by_label(re.compile(r"^Adresse")).fill("3 rue de la Paix, Paris")
    page.locator("label", has_text="2 heures avant").click()  # DSFR: the label covers the box
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(re.compile("/agenda/$"))
    assert page.get_by_role("cell", name="Dr Anne Durand", exact=True).is_visible()

    page.get_by_role("link", name="Abonnement calendrier").click()
    page.get_by_role("button", name="Créer mon adresse d’abonnement").click()
    url = page.get_by_label("Adresse d’abonnement (iCalendar)").input_value()
    assert re.search(r"/agenda/[\w-]{20,}\.ics$", url)

    response = page.request.get(url)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/calendar")
    [event] = icalendar.Calendar.from_ical(response.body()).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Dr Anne Durand"
    assert str(event["LOCATION"]) == "3 rue de la Paix, Paris"
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2030, 3, 12, 9, 30, tzinfo=UTC)


def test_the_agenda_works_at_mobile_width(mobile_page: Any) -> None:
    holder = make_holder()
    login(mobile_page, holder.person, holder.user.username, PATIENT_PASSWORD)  # type: ignore[attr-defined]
    mobile_page.wait_for_url(re.compile("/espace/$"))
    mobile_page.goto("/agenda/mois/")
    assert mobile_page.get_by_role("heading", name="Agenda", level=1).is_visible()
    width = mobile_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400
