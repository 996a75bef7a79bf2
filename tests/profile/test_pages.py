"""Pages of the medical profile (French, DSFR, errors next to their field, POST + CSRF) and the
professional's "Entourage et volontés" page (R-PML-1)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from carnet.accounts.models import User
from carnet.profile import services
from carnet.profile.models import AdvanceDirectives, Allergy, NotConcerned, Treatment
from tests.pages.conftest import Pages
from tests.profile.conftest import PDF, consent
from tests.records.helpers import give_account, give_space, make_world, new_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(db: Any, clock: Any) -> Pages:
    return Pages(world=make_world())


def test_the_overview_lists_every_section(pages: Pages) -> None:
    response = pages.patient_client().get("/espace/profil/")
    body = response.content.decode()
    assert response.status_code == 200
    for title in (
        "Traitements",
        "Allergies",
        "Groupe sanguin",
        "Entourage et volontés",
        "Directives anticipées",
    ):
        assert title in body


@pytest.mark.parametrize(
    "url",
    [
        "/espace/profil/traitements/",
        "/espace/profil/allergies/",
        "/espace/profil/maladies/",
        "/espace/profil/hospitalisations/",
        "/espace/profil/antecedents-familiaux/",
        "/espace/profil/handicaps/",
        "/espace/profil/contacts-urgence/",
        "/espace/profil/habitudes-de-vie/",
        "/espace/profil/groupe-sanguin/",
        "/espace/profil/entourage/",
        "/espace/profil/directives-anticipees/?formulaire=FORM_HEALTHY",
    ],
)
def test_every_profile_page_renders_with_labelled_fields(pages: Pages, url: str) -> None:
    response = pages.patient_client().get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="fr-label"' in body and "csrfmiddlewaretoken" in body


def test_an_unknown_section_slug_answers_404(pages: Pages) -> None:
    assert pages.patient_client().get("/espace/profil/inconnu/").status_code == 404


def test_the_holder_adds_a_treatment_from_the_page(pages: Pages) -> None:
    response = pages.patient_client().post(
        "/espace/profil/traitements/", {"name": "Metformine", "start_year": "2020", "posology": "1 cp"}
    )
    assert response.status_code == 302
    assert Treatment.objects.get(patient_id=pages.world.patient.pk).name == "Metformine"


def test_an_error_is_shown_next_to_its_field(pages: Pages) -> None:
    response = pages.patient_client().post("/espace/profil/traitements/", {"name": "Metformine"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "fr-input-group--error" in body
    assert "L&#x27;année de « Date de début » est obligatoire." in body
    assert not Treatment.objects.exists()


def test_the_holder_edits_and_deletes_an_item_from_the_pages(pages: Pages) -> None:
    row = services.profile_item_create(
        actor=pages.world.holder,
        patient_id=pages.world.patient.pk,
        section="ALLERGIES",
        data={"name": "Latex"},
    )
    client = pages.patient_client()
    edit = client.post(f"/espace/profil/allergies/{row.public_id}/modifier/", {"name": "Latex naturel"})
    assert edit.status_code == 302
    assert Allergy.objects.get(pk=row.pk).name == "Latex naturel"
    assert client.get(f"/espace/profil/allergies/{row.public_id}/supprimer/").status_code == 405
    assert client.post(f"/espace/profil/allergies/{row.public_id}/supprimer/").status_code == 302
    assert not Allergy.objects.exists()


def test_the_not_concerned_button_sets_the_flag_r_pml_2(pages: Pages) -> None:
    response = pages.patient_client().post("/espace/profil/allergies/non-concerne/", {"value": "1"})
    assert response.status_code == 302
    assert NotConcerned.objects.filter(patient_id=pages.world.patient.pk, section="ALLERGIES").exists()


def test_another_patients_item_answers_404(pages: Pages) -> None:
    other = make_world()
    row = services.profile_item_create(
        actor=other.holder, patient_id=other.patient.pk, section="ALLERGIES", data={"name": "Latex"}
    )
    response = pages.patient_client().get(f"/espace/profil/allergies/{row.public_id}/modifier/")
    assert response.status_code == 404


def test_the_directives_page_generates_the_document_from_the_guided_form(pages: Pages) -> None:
    response = pages.patient_client().post(
        "/espace/profil/directives-anticipees/?formulaire=FORM_END_OF_LIFE",
        {
            "action": "write",
            "form_kind": "FORM_END_OF_LIFE",
            "life_support": "REFUSE",
            "resuscitation": "REFUSE",
            "sedation": "WISH",
            "place": "À la maison",
            "confirm": "on",
        },
    )
    assert response.status_code == 302
    assert AdvanceDirectives.objects.get(patient_id=pages.world.patient.pk).source == "FORM_END_OF_LIFE"


def test_the_directives_page_accepts_an_uploaded_document(pages: Pages) -> None:
    upload = SimpleUploadedFile("da.pdf", PDF, content_type="application/pdf")
    response = pages.patient_client().post(
        "/espace/profil/directives-anticipees/", {"action": "upload", "file": upload}
    )
    assert response.status_code == 302
    assert AdvanceDirectives.objects.get().source == "UPLOAD"


def test_the_directives_page_is_disabled_for_a_minor_with_the_reason_r_min_3(db: Any, clock: Any) -> None:
    world = make_world(birth_date=date(2012, 1, 1))
    parent = new_person(birth_date=date(1980, 1, 1))
    give_space(parent)
    give_account(parent)
    from tests.factories import DelegationFactory

    DelegationFactory(kind="LEGAL_REPRESENTATION", subject=world.patient, delegate=parent, is_primary=True)
    client = Client()
    client.force_login(User.objects.get(person=parent))
    session = client.session
    session["acting_for"] = str(world.patient.public_id)
    session.save()
    page = client.get("/espace/profil/directives-anticipees/")
    assert "Les mineurs ne peuvent pas rédiger de directives anticipées" in page.content.decode()
    refused = client.post(
        "/espace/profil/directives-anticipees/?formulaire=FORM_HEALTHY", {"action": "write"}
    )
    assert refused.status_code == 404
    assert not AdvanceDirectives.objects.exists()


def test_the_entourage_page_says_mes_records_no_refusal_of_organ_donation(pages: Pages) -> None:
    body = pages.patient_client().get("/espace/profil/entourage/").content.decode()
    assert "Registre national des refus" in body


def test_the_holder_designates_his_trusted_person_and_acknowledges_organ_donation(pages: Pages) -> None:
    client = pages.patient_client()
    trusted = client.post(
        "/espace/profil/entourage/",
        {
            "action": "trusted",
            "name": "Claire Dubois",
            "relationship": "OTHER",
            "phone": "0601020304",
            "designated_on": "02/01/2026",
        },
    )
    organ = client.post("/espace/profil/entourage/", {"action": "organ"})
    assert (trusted.status_code, organ.status_code) == (302, 302)
    body = client.get("/espace/profil/entourage/").content.decode()
    assert "Claire Dubois" in body and "2 janvier 2026" in body


def test_the_lifestyle_page_saves_one_section(pages: Pages) -> None:
    response = pages.patient_client().post(
        "/espace/profil/habitudes-de-vie/", {"section": "SLEEP", "sleep-choice": "GOOD", "sleep-comment": ""}
    )
    assert response.status_code == 302


def test_the_blood_group_page_saves_the_group(pages: Pages) -> None:
    response = pages.patient_client().post("/espace/profil/groupe-sanguin/", {"group": "AB-"})
    assert response.status_code == 302


# --- professionals -------------------------------------------------------------------------------------------


def _entourage(pages: Pages) -> str:
    return f"/pro/patients/{pages.world.patient.public_id}/entourage/"


def test_an_authorised_gp_sees_the_entourage_page(pages: Pages) -> None:
    services.trusted_person_set(
        actor=pages.world.holder,
        patient_id=pages.world.patient.pk,
        data={"name": "Claire Dubois", "relationship": "OTHER", "phone": "0601020304"},
    )
    consent(pages.world, pages.world.gp)
    response = pages.pro_client(pages.world.gp).get(_entourage(pages))
    assert response.status_code == 200
    assert "Claire Dubois" in response.content.decode()


def test_the_pro_record_links_to_the_entourage_page(pages: Pages) -> None:
    consent(pages.world, pages.world.gp)
    body = (
        pages.pro_client(pages.world.gp)
        .get(f"/pro/patients/{pages.world.patient.public_id}/")
        .content.decode()
    )
    assert _entourage(pages) in body


def test_a_professional_without_consent_gets_404_on_the_entourage_page(pages: Pages) -> None:
    assert pages.pro_client(pages.world.gp).get(_entourage(pages)).status_code == 404


def test_a_patient_cannot_open_the_professional_page(pages: Pages) -> None:
    assert pages.patient_client().get(_entourage(pages)).status_code == 404


def test_the_edit_page_shows_the_current_links(pages: Pages) -> None:
    document = pages.patient_upload(title="Compte rendu cardio")
    treatment = services.profile_item_create(
        actor=pages.world.holder,
        patient_id=pages.world.patient.pk,
        section="TREATMENTS",
        data={"name": "Bisoprolol", "start_year": 2024},
    )
    disease = services.profile_item_create(
        actor=pages.world.holder,
        patient_id=pages.world.patient.pk,
        section="DISEASES",
        data={
            "name": "Hypertension",
            "linked_documents": [str(document.public_id)],
            "linked_treatments": [str(treatment.public_id)],
        },
    )
    client = pages.patient_client()
    body = client.get(f"/espace/profil/maladies/{disease.public_id}/modifier/").content.decode()
    assert f'value="{document.public_id}"' in body and "checked" in body
    listing = client.get("/espace/profil/maladies/").content.decode()
    assert "Compte rendu cardio" in listing and "Bisoprolol" in listing
