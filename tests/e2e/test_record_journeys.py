"""Browser journeys of the shared record (issue 3, "API and pages"): a patient masks a document and a
dentist with consent no longer sees it (R-MASK-1); the break-the-glass journey with its required reason,
its banner and the patient's notification (R-EM-1, R-EM-3, R-EM-6); the patient sees the new access in
his "Historique d'activité" (R-TR-3)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from carnet.access import services as access_services
from carnet.notifications.models import OutboxMessage
from tests.records.helpers import World, deposit_pdf, make_world, pro_actor

from .journeys import (
    other_page,
    professional_login,
    world_patient_login,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(db: Any) -> World:
    return make_world()


def test_patient_masks_a_document_and_the_dentist_no_longer_sees_it_r_mask_1(  # type: ignore[no-untyped-def]
    page, browser, live_server, world: World
) -> None:
    document = deposit_pdf(world, world.gp, title="Compte rendu cardiologie")
    access_services.care_relation_record(
        actor=pro_actor(world.dentist), patient_id=world.patient.pk, kind="EXPLICIT"
    )
    record = f"/pro/patients/{world.patient.public_id}/"

    dentist = other_page(browser, live_server)
    professional_login(dentist, world.dentist, "dr.dentiste")
    dentist.goto(record)
    assert dentist.get_by_role("link", name="Compte rendu cardiologie").is_visible()

    world_patient_login(page, world)
    page.get_by_role("link", name="Documents").first.click()
    page.get_by_role("link", name="Compte rendu cardiologie").click()
    page.get_by_role("button", name="Masquer aux professionnels").click()
    confirmation = page.get_by_text("Ce document est masqué aux professionnels de santé.").first
    confirmation.wait_for()
    assert confirmation.is_visible()
    page.goto("/espace/documents/")
    assert page.get_by_text("Masqué aux professionnels").first.is_visible()

    dentist.goto(record)
    assert dentist.get_by_role("link", name="Compte rendu cardiologie").count() == 0
    response = dentist.goto(f"{record}documents/{document.public_id}/")
    assert response is not None and response.status == 404
    dentist.context.close()


def test_break_the_glass_needs_a_reason_shows_a_banner_and_notifies_the_patient_r_em_6(  # type: ignore[no-untyped-def]
    page, world: World
) -> None:
    deposit_pdf(world, world.gp, title="Synthèse des antécédents")
    professional_login(page, world.dentist, "dr.urgence")
    page.get_by_role("link", name="Rechercher un patient").first.click()
    page.get_by_label(re.compile(r"^Matricule INS")).fill(world.patient.ins_matricule)
    page.get_by_label(re.compile(r"^Date de naissance")).fill("17/05/1980")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url(re.compile(rf"/pro/patients/{world.patient.public_id}/$"))
    assert world.patient.ins_matricule not in page.url
    assert page.get_by_role("link", name="Synthèse des antécédents").count() == 0  # no consent yet

    page.get_by_role("link", name="Accès en urgence (bris de glace)").click()
    page.get_by_role("button", name="Accéder au dossier en urgence").click()
    page.locator("#id_reason-error").wait_for()  # the written reason is required
    assert not page.locator("#emergency-banner").count()
    page.get_by_label(re.compile(r"^Motif de l'accès en urgence")).fill("Patient inconscient, appel du SAMU")
    page.get_by_role("button", name="Accéder au dossier en urgence").click()

    banner = page.locator("#emergency-banner")
    banner.wait_for()
    assert (
        "Accès en urgence (bris de glace) — motif : Patient inconscient, appel du SAMU — expire à"
        in banner.inner_text()
    )
    page.get_by_role("link", name="Synthèse des antécédents").click()
    page.wait_for_url(re.compile("/documents/"))
    assert page.locator("#emergency-banner").is_visible()  # on every page of this patient
    assert OutboxMessage.objects.filter(
        patient_id=world.patient.pk, template="record_emergency_access"
    ).exists()


def test_patient_sees_the_professionals_access_in_his_history_r_tr_3(  # type: ignore[no-untyped-def]
    page, browser, live_server, world: World
) -> None:
    deposit_pdf(world, world.gp, title="Bilan annuel")
    dentist = other_page(browser, live_server)
    professional_login(dentist, world.dentist, "dr.historique")
    dentist.goto(f"/pro/patients/{world.patient.public_id}/consentement/")
    dentist.locator("label", has_text="consentement explicite").click()  # DSFR radios: the label is clicked
    dentist.get_by_role("button", name="Enregistrer le consentement").click()
    dentist.get_by_role("link", name="Bilan annuel").click()
    dentist.wait_for_url(re.compile("/documents/"))
    dentist.context.close()

    world_patient_login(page, world)
    page.goto("/espace/historique/")
    assert page.get_by_role("heading", name="Historique d'activité").is_visible()
    assert page.get_by_role("link", name=world.dentist.display_name).first.is_visible()
    assert page.get_by_text("Consultation d'un document").first.is_visible()


def test_documents_page_fits_a_phone_screen_and_the_upload_form_works_with_the_keyboard(  # type: ignore[no-untyped-def]
    mobile_page, world: World
) -> None:
    deposit_pdf(world, world.gp, title="Compte rendu de consultation")
    world_patient_login(mobile_page, world)
    mobile_page.goto("/espace/documents/")
    overflow = mobile_page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    mobile_page.goto("/espace/documents/ajouter/")
    mobile_page.get_by_label(re.compile(r"^Titre du document")).focus()
    mobile_page.keyboard.press("Enter")  # submits the form without a file: the error is next to the field
    mobile_page.locator("#id_file-error").wait_for()
    assert mobile_page.locator("#id_file-error").is_visible()
