"""Pages of vaccinations and measurements: the record grouped by disease with its honest "due" note, the
author shown to the patient, form errors next to their field, the professional side through the policy
(same 404 without consent), and role gating."""

from __future__ import annotations

import re
from datetime import date

import pytest

from carnet.common.errors import NotFoundOrForbidden
from carnet.profile.vitals import selectors
from carnet.profile.vitals.models import Measurement, Vaccination
from tests.records.helpers import pro_actor
from tests.vitals.conftest import Vitals

pytestmark = pytest.mark.django_db


def test_the_vaccination_record_groups_by_disease_and_says_the_due_part_is_not_computed_yet(
    vitals: Vitals,
) -> None:
    vitals.add_vaccination(vaccine_code="DTP_ADULT", effective_date=date(2025, 5, 1))
    body = vitals.patient_client().get("/espace/profil/vaccinations/").content.decode()
    assert body.index("Diphtérie") < body.index("Tétanos") < body.index("Poliomyélite")
    assert "Les vaccins à prévoir ne sont pas encore calculés." in body
    assert "Calendrier des vaccinations et recommandations vaccinales 2025" in body


def test_the_patient_sees_the_pharmacists_vaccination_with_its_author_on_the_page(vitals: Vitals) -> None:
    vitals.consent(vitals.pharmacist)
    vitals.add_vaccination(actor=pro_actor(vitals.pharmacist), vaccine_code="COVID19")
    body = vitals.patient_client().get("/espace/profil/vaccinations/").content.decode()
    author = re.escape(f"{vitals.pharmacist.display_name} (Pharmacien)")
    assert re.search(rf'<td class="vaccination-author"[^>]*>{author}</td>', body)


def test_the_holder_adds_a_vaccination_through_the_form(vitals: Vitals) -> None:
    response = vitals.patient_client().post(
        "/espace/profil/vaccinations/ajouter/",
        {
            "effective_date": "01/10/2025",
            "vaccine_code": "INFLUENZA",
            "lot_number": "GR25",
            "dose_type": "IMMUNIZ",
        },
    )
    assert response.status_code == 302
    vaccination = Vaccination.objects.get()
    assert (vaccination.lot_number, vaccination.author_kind) == ("GR25", "PATIENT")


def test_a_refused_form_shows_the_error_next_to_its_field_and_writes_nothing(vitals: Vitals) -> None:
    response = vitals.patient_client().post(
        "/espace/profil/vaccinations/ajouter/", {"effective_date": "01/10/2099", "vaccine_code": "INFLUENZA"}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_effective_date-error"' in body and "dans le futur" in body
    assert "fr-input-group--error" in body
    assert not Vaccination.objects.exists()


def test_the_holder_edits_and_deletes_through_the_pages(vitals: Vitals) -> None:
    vaccination = vitals.add_vaccination(lot_number="A1")
    client = vitals.patient_client()
    edit = f"/espace/profil/vaccinations/{vaccination.public_id}/modifier/"
    assert client.get(edit).status_code == 200
    client.post(edit, {"effective_date": "02/10/2025", "vaccine_code": "INFLUENZA", "lot_number": "B2"})
    vaccination.refresh_from_db()
    assert vaccination.lot_number == "B2"
    client.post(f"/espace/profil/vaccinations/{vaccination.public_id}/supprimer/")
    assert not Vaccination.objects.exists()


def test_the_holder_cannot_open_the_edit_page_of_another_patients_vaccination(vitals: Vitals) -> None:
    from tests.vitals.conftest import make_vitals

    theirs = make_vitals().add_vaccination()
    response = vitals.patient_client().get(f"/espace/profil/vaccinations/{theirs.public_id}/modifier/")
    assert response.status_code == 404


def test_a_measure_out_of_range_is_shown_next_to_the_value_field(vitals: Vitals) -> None:
    response = vitals.patient_client().post(
        "/espace/profil/mesures/ajouter/", {"code": "HEART_RATE", "value": "500"}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_value-error"' in body and "de 20 à 300 bpm" in body
    assert not Measurement.objects.exists()


def test_the_holder_records_a_measure_through_the_form(vitals: Vitals) -> None:
    response = vitals.patient_client().post(
        "/espace/profil/mesures/ajouter/", {"code": "BLOOD_PRESSURE", "value": "125", "second_value": "78"}
    )
    assert response.status_code == 302
    assert Measurement.objects.get().second_value == 78


# --- professionals -----------------------------------------------------------------------------------


def test_a_pharmacist_with_consent_adds_a_vaccination_through_his_page(vitals: Vitals) -> None:
    vitals.consent(vitals.pharmacist)
    client = vitals.pro_client(vitals.pharmacist)
    url = f"/pro/patients/{vitals.patient.public_id}/vaccinations/ajouter/"
    response = client.post(
        url, {"effective_date": "04/01/2026", "vaccine_code": "COVID19", "lot_number": "FX1"}
    )
    assert response.status_code == 302
    assert Vaccination.objects.get().author_professional == vitals.pharmacist
    listing = client.get(f"/pro/patients/{vitals.patient.public_id}/vaccinations/").content.decode()
    assert "FX1" in listing and "Compléter" in listing


def test_a_pharmacist_without_consent_gets_404_on_the_vaccination_pages(vitals: Vitals) -> None:
    vitals.add_vaccination()
    client = vitals.pro_client(vitals.pharmacist)
    base = f"/pro/patients/{vitals.patient.public_id}/vaccinations/"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}ajouter/").status_code == 404
    assert (
        client.post(
            f"{base}ajouter/", {"effective_date": "04/01/2026", "vaccine_code": "COVID19"}
        ).status_code
        == 404
    )
    assert Vaccination.objects.count() == 1


def test_a_professional_cannot_open_the_edit_page_of_a_patient_authored_entry(vitals: Vitals) -> None:
    vaccination = vitals.add_vaccination()
    vitals.consent(vitals.pharmacist)
    url = f"/pro/patients/{vitals.patient.public_id}/vaccinations/{vaccination.public_id}/modifier/"
    assert vitals.pro_client(vitals.pharmacist).get(url).status_code == 404


def test_professionals_do_not_see_measurements_r_pml_1(vitals: Vitals) -> None:
    """R-PML-1: measurements reach professionals only through a saved profile summary (DOCPAT08)."""
    vitals.consent(vitals.world.gp)
    with pytest.raises(NotFoundOrForbidden):
        selectors.measurement_list_for_actor(actor=pro_actor(vitals.world.gp), patient_id=vitals.patient.pk)


def test_a_professional_account_cannot_open_the_patients_measure_pages(vitals: Vitals) -> None:
    client = vitals.pro_client(vitals.world.gp)
    assert client.get("/espace/profil/mesures/").status_code == 404
    assert client.get("/espace/profil/vaccinations/").status_code == 404


def test_an_anonymous_visitor_is_sent_to_the_login_page(vitals: Vitals) -> None:
    from django.test import Client

    response = Client().get("/espace/profil/vaccinations/")
    assert response.status_code == 302 and "/connexion/" in response["Location"]
