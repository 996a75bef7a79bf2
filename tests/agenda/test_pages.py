"""Agenda pages (SPEC §6): list, month view, add / edit / cancel, reminder, subscription, import."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from carnet.agenda import services
from carnet.agenda.models import Appointment, AppointmentStatus, FreeReminder
from carnet.agenda.services import AppointmentData
from tests.agenda.conftest import make_holder

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged(client, holder):  # type: ignore[no-untyped-def]
    client.force_login(holder.user)
    return client


def test_anonymous_visitor_is_sent_to_login(client, clock) -> None:
    response = client.get("/agenda/")
    assert response.status_code == 302
    assert "/connexion/" in response["Location"]


def test_adding_an_appointment_through_the_form_r_ag_2(logged, holder) -> None:
    response = logged.post(
        "/agenda/rendez-vous/nouveau/",
        {
            "name": "Dr Anne Durand",
            "kind": "PRACTITIONER",
            "starts_at": "2026-01-20T10:30",
            "reminder_offsets": ["1440", "120"],
        },
    )
    assert response.status_code == 302
    a = Appointment.objects.get(patient_id=holder.person.pk)
    assert a.starts_at == datetime(2026, 1, 20, 9, 30, tzinfo=UTC)  # entered in Paris time
    assert a.reminder_offsets == [1440, 120]
    page = logged.get("/agenda/").content.decode()
    assert "Dr Anne Durand" in page


def test_form_error_is_shown_next_to_the_field_and_nothing_is_written(logged) -> None:
    response = logged.post(
        "/agenda/rendez-vous/nouveau/",
        {
            "name": "Dr X",
            "kind": "PRACTITIONER",
            "starts_at": "2026-01-20T10:30",
            "ends_at": "2026-01-20T10:00",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "fr-input-group--error" in html
    assert "Heure de fin" in html
    assert not Appointment.objects.exists()


def test_cancelling_from_the_edit_page_r_ag_2(logged, holder) -> None:
    a = services.appointment_create(
        actor=holder.actor,
        patient_id=holder.person.pk,
        data=AppointmentData(name="Dr Y", starts_at=datetime(2026, 1, 20, 9, tzinfo=UTC)),
    )
    assert logged.get(f"/agenda/rendez-vous/{a.public_id}/modifier/").status_code == 200
    logged.post(f"/agenda/rendez-vous/{a.public_id}/annuler/")
    a.refresh_from_db()
    assert a.status == AppointmentStatus.CANCELLED


def test_someone_elses_appointment_answers_404(logged) -> None:
    other = make_holder()
    a = services.appointment_create(
        actor=other.actor,
        patient_id=other.person.pk,
        data=AppointmentData(name="Dr Y", starts_at=datetime(2026, 1, 20, 9, tzinfo=UTC)),
    )
    assert logged.get(f"/agenda/rendez-vous/{a.public_id}/modifier/").status_code == 404
    assert logged.post(f"/agenda/rendez-vous/{a.public_id}/annuler/").status_code == 404
    a.refresh_from_db()
    assert a.status == AppointmentStatus.PLANNED


def test_month_view_shows_the_month_and_its_appointments(logged, holder) -> None:
    services.appointment_create(
        actor=holder.actor,
        patient_id=holder.person.pk,
        data=AppointmentData(name="Dr Z", starts_at=datetime(2026, 2, 3, 9, tzinfo=UTC)),
    )
    html = logged.get("/agenda/mois/?annee=2026&mois=2").content.decode()
    assert "Février 2026" in html
    assert "Dr Z" in html
    assert "annee=2026&amp;mois=1" in html and "annee=2026&amp;mois=3" in html


def test_month_view_tolerates_a_bad_month(logged) -> None:
    assert logged.get("/agenda/mois/?annee=2026&mois=13").status_code == 200


def test_free_reminder_through_the_form_r_ag_2(logged, holder) -> None:
    logged.post(
        "/agenda/rappels/nouveau/", {"title": "Renouveler l'ordonnance", "remind_at": "2026-01-08T08:00"}
    )
    assert FreeReminder.objects.get(patient_id=holder.person.pk).remind_at == datetime(
        2026, 1, 8, 7, tzinfo=UTC
    )


def test_subscription_page_shows_a_working_url_once_and_regenerating_revokes_it(logged, client) -> None:
    first = logged.post("/agenda/abonnement/", {"action": "regenerate"})
    assert "no-store" in first["Cache-Control"]
    url = first.context["feed_url"]
    path = url[url.index("/agenda/") :]
    assert logged.get(path).status_code == 200
    assert url not in logged.get("/agenda/abonnement/").content.decode()  # shown once only
    second = logged.post("/agenda/abonnement/", {"action": "regenerate"}).context["feed_url"]
    assert logged.get(path).status_code == 404
    assert logged.get(second[second.index("/agenda/") :]).status_code == 200


def test_import_page_reports_created_and_duplicates_r_ag_6(logged, holder) -> None:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//test//")
    cal.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", "abc@booking")
    event.add("dtstart", datetime(2026, 3, 1, 9, tzinfo=UTC))
    event.add("summary", "Kiné")
    cal.add_component(event)
    content = cal.to_ical()
    html = logged.post(
        "/agenda/import/", {"file": SimpleUploadedFile("rdv.ics", content, "text/calendar")}
    ).content.decode()
    assert "1 rendez-vous ajouté" in html
    html = logged.post(
        "/agenda/import/", {"file": SimpleUploadedFile("rdv.ics", content, "text/calendar")}
    ).content.decode()
    assert "1 doublon ignoré" in html
    assert Appointment.objects.filter(patient_id=holder.person.pk).count() == 1


def test_import_page_refuses_a_bad_file_next_to_the_field(logged) -> None:
    html = logged.post(
        "/agenda/import/", {"file": SimpleUploadedFile("x.ics", b"hello", "text/calendar")}
    ).content.decode()
    assert "fr-input-group--error" in html
    assert "iCalendar" in html
    assert not Appointment.objects.exists()
