"""Browser journey of the secure messaging (issue 5, SPEC §5): a professional writes to a patient with a PDF
attachment (R-MSG-2), the patient reads it (R-MSG-1), replies (R-MSG-3), saves the attachment into his
record in one action (R-MSG-4) and sees it in his documents; the professional reads the reply. Plus the
inbox at phone width with the reply box used from the keyboard."""

from __future__ import annotations

import re
from typing import Any

import pytest

from carnet.messaging.models import Attachment
from carnet.notifications.models import OutboxMessage
from carnet.records.models import Document
from tests.messaging.builders import pdf_file, pro_writes
from tests.records.helpers import PDF, World, make_world

from .journeys import (
    other_page,
    professional_login,
    world_patient_login,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(db: Any) -> World:
    return make_world()


def test_a_full_exchange_with_an_attachment_saved_into_the_record(  # type: ignore[no-untyped-def]
    page, browser, live_server, world: World
) -> None:
    # The GP writes to the patient, found by INS (POST), with a PDF attachment.
    doctor = other_page(browser, live_server)
    professional_login(doctor, world.gp, "dr.messagerie")
    doctor.goto("/pro/messagerie/")
    doctor.get_by_role("link", name="Écrire à un patient").click()
    doctor.get_by_label(re.compile(r"^Matricule INS")).fill(world.patient.ins_matricule)
    doctor.get_by_label(re.compile(r"^Date de naissance")).fill("17/05/1980")
    doctor.get_by_role("button", name="Continuer").click()
    doctor.wait_for_url(re.compile(rf"/pro/messagerie/ecrire/{world.patient.public_id}/$"))
    assert world.patient.ins_matricule not in doctor.url
    doctor.get_by_label(re.compile(r"^Objet")).fill("Résultats de votre bilan")
    doctor.get_by_label(re.compile(r"^Message")).fill("Bonjour, vos résultats sont joints.")
    doctor.get_by_label(re.compile(r"^Pièces jointes")).set_input_files(
        files=[{"name": "bilan-sanguin.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    doctor.get_by_role("button", name="Envoyer", exact=True).click()
    doctor.get_by_text("Votre message est envoyé.").wait_for()
    assert (
        OutboxMessage.objects.filter(template="messaging_new_message", address=world.patient.email).count()
        == 1
    )

    # The patient reads it (unread first, in bold), replies, and saves the attachment into his record.
    world_patient_login(page, world)
    page.goto("/espace/messagerie/")
    subject_link = page.get_by_role("link", name="Résultats de votre bilan")
    assert subject_link.locator("strong").count() == 1
    subject_link.click()
    assert page.get_by_text("Bonjour, vos résultats sont joints.").is_visible()
    assert page.get_by_role("link", name=re.compile(r"^Télécharger bilan-sanguin\.pdf")).is_visible()
    page.get_by_label(re.compile(r"^Message")).fill("Merci docteur, bien reçu.")
    page.get_by_role("button", name="Envoyer la réponse").click()
    page.get_by_text("Votre réponse est envoyée.").wait_for()
    page.get_by_label("Catégorie du fichier « bilan-sanguin.pdf » dans vos documents").select_option("BIOLOGIE")
    page.get_by_role("button", name="Enregistrer bilan-sanguin.pdf dans mes documents").click()
    page.get_by_text("La pièce jointe est enregistrée dans vos documents.").wait_for()
    page.wait_for_url(re.compile(r"/espace/documents/[0-9a-f-]+/$"))
    page.goto("/espace/documents/")
    assert page.get_by_role("link", name="bilan-sanguin").first.is_visible()
    document = Document.objects.get(patient_id=world.patient.pk)
    assert document.patient_category == "BIOLOGIE" and document.class_code == "90"
    assert Attachment.objects.get().saved_document_id == document.public_id

    # The GP sees the reply.
    doctor.reload()
    assert doctor.get_by_text("Merci docteur, bien reçu.").is_visible()
    doctor.context.close()


def test_the_inbox_fits_a_phone_and_the_reply_is_sent_with_the_keyboard(  # type: ignore[no-untyped-def]
    mobile_page, world: World
) -> None:
    message = pro_writes(world, files=[pdf_file()])
    world_patient_login(mobile_page, world)
    mobile_page.goto("/espace/messagerie/")
    overflow = mobile_page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    mobile_page.goto(f"/espace/messagerie/{message.conversation.public_id}/")
    mobile_page.get_by_label(re.compile(r"^Message")).focus()
    mobile_page.keyboard.type("Réponse au clavier")
    mobile_page.keyboard.press("Tab")  # to the attachments input
    mobile_page.keyboard.press("Tab")  # to "Envoyer la réponse"
    mobile_page.keyboard.press("Enter")
    mobile_page.get_by_text("Votre réponse est envoyée.").wait_for()
    assert mobile_page.get_by_text("Réponse au clavier").is_visible()
