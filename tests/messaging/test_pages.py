"""The messaging pages (Django test client): French, DSFR, POST + CSRF forms, errors next to their field,
404 for missing and forbidden alike (SPEC §5)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from carnet.accounts.models import Role, User
from carnet.identity.models import Professional
from carnet.messaging.models import Attachment, Conversation, Message
from carnet.records.models import Document
from tests.messaging.builders import SUBJECT, pdf_file, pro_writes
from tests.records.helpers import EXE, PDF, World


def _patient(world: World) -> Client:
    client = Client()
    client.force_login(User.objects.get(person=world.patient))
    return client


def _pro(professional: Professional) -> Client:
    user = User.objects.filter(professional=professional).first() or User.objects.create_user(
        username=f"pro-{professional.rpps}",
        password="x-Motdepasse-1234",
        role=Role.PROFESSIONAL,
        professional=professional,
    )
    client = Client()
    client.force_login(user)
    return client


def test_the_patient_inbox_shows_unread_conversations_in_bold(world: World) -> None:
    pro_writes(world)
    page = _patient(world).get("/espace/messagerie/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"<strong>{SUBJECT}</strong>" in html
    assert "1 non lu" in html


def test_the_search_is_posted_and_the_query_never_goes_in_the_url(world: World) -> None:
    pro_writes(world, subject="Thyroïde", body="TSH normale")
    client = _patient(world)
    page = client.post("/espace/messagerie/recherche/", {"q": "tsh"})
    assert page.status_code == 200
    assert "1 conversation trouvée." in page.content.decode()
    assert client.get("/espace/messagerie/recherche/").status_code == 405


def test_the_conversation_page_shows_the_end_and_no_reply_box_r_msg_3(world: World) -> None:
    message = pro_writes(world)
    _pro(world.gp).post(f"/pro/messagerie/{message.conversation.public_id}/terminer/")
    html = _patient(world).get(f"/espace/messagerie/{message.conversation.public_id}/").content.decode()
    assert f"{world.gp.display_name} a mis fin à vos échanges." in html
    assert "Envoyer la réponse" not in html


def test_the_patient_replies_with_an_attachment_through_the_page(world: World) -> None:
    message = pro_writes(world)
    url = f"/espace/messagerie/{message.conversation.public_id}/"
    response = _patient(world).post(
        url,
        {
            "body": "Voici mon scan",
            "action": "send",
            "attachments": SimpleUploadedFile("scan.pdf", PDF, "application/pdf"),
        },
    )
    assert response.status_code == 302
    reply = Message.objects.get(side="PATIENT")
    assert reply.attachments.count() == 1


def test_a_disguised_executable_is_shown_as_an_error_next_to_the_attachments_field(world: World) -> None:
    message = pro_writes(world)
    page = _patient(world).post(
        f"/espace/messagerie/{message.conversation.public_id}/",
        {
            "body": "Voici",
            "action": "send",
            "attachments": SimpleUploadedFile("cr.pdf", EXE, "application/pdf"),
        },
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="id_attachments-error"' in html and "fr-input-group--error" in html
    assert Message.objects.count() == 1


def test_the_compose_page_offers_only_professionals_who_wrote_r_msg_2(world: World) -> None:
    pro_writes(world)
    html = _patient(world).get("/espace/messagerie/nouveau/").content.decode()
    assert world.gp.display_name in html
    assert world.dentist.display_name not in html


def test_posting_another_recipient_is_refused_next_to_the_field(world: World) -> None:
    pro_writes(world)
    page = _patient(world).post(
        "/espace/messagerie/nouveau/",
        {
            "recipient": str(world.dentist.public_id),
            "subject": "Question",
            "body": "Bonjour",
            "action": "send",
        },
    )
    assert page.status_code == 200
    assert 'id="id_recipient-error"' in page.content.decode()
    assert Conversation.objects.count() == 1


def test_saving_an_attachment_redirects_to_the_new_document(world: World) -> None:
    pro_writes(world, files=[pdf_file("ordonnance.pdf")])
    attachment = Attachment.objects.get()
    response = _patient(world).post(
        f"/espace/messagerie/pieces-jointes/{attachment.public_id}/enregistrer/", {"category": "ORD_SOIN"}
    )
    document = Document.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/espace/documents/{document.public_id}/"
    assert document.patient_category == "ORD_SOIN"


def test_an_attachment_is_served_as_a_download_with_nosniff(world: World) -> None:
    pro_writes(world, files=[pdf_file()])
    attachment = Attachment.objects.get()
    response = _patient(world).get(f"/espace/messagerie/pieces-jointes/{attachment.public_id}/")
    assert response.status_code == 200 and response.content == PDF
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_another_professional_gets_a_404_on_the_conversation_and_its_attachment(world: World) -> None:
    message = pro_writes(world, files=[pdf_file()])
    dentist = _pro(world.dentist)
    assert dentist.get(f"/pro/messagerie/{message.conversation.public_id}/").status_code == 404
    attachment = Attachment.objects.get()
    assert dentist.get(f"/pro/messagerie/pieces-jointes/{attachment.public_id}/").status_code == 404


def test_a_professional_finds_a_patient_by_ins_and_writes_to_him(world: World) -> None:
    client = _pro(world.dentist)
    found = client.post(
        "/pro/messagerie/ecrire/", {"nir": world.patient.ins_matricule, "birth_date": "17/05/1980"}
    )
    assert found.status_code == 302
    compose_url = found["Location"]
    assert compose_url == f"/pro/messagerie/ecrire/{world.patient.public_id}/"
    assert world.patient.ins_matricule not in compose_url
    sent = client.post(
        compose_url, {"subject": "Rendez-vous", "body": "Merci de rappeler le cabinet.", "action": "send"}
    )
    assert sent.status_code == 302
    assert Conversation.objects.get().professional == world.dentist


def test_a_wrong_birth_date_gives_the_same_answer_as_an_unknown_patient(world: World) -> None:
    client = _pro(world.dentist)
    wrong = client.post(
        "/pro/messagerie/ecrire/", {"nir": world.patient.ins_matricule, "birth_date": "18/05/1980"}
    )
    assert wrong.status_code == 200
    assert "Aucun patient joignable" in wrong.content.decode()


def test_the_patient_pages_answer_404_to_a_professional_and_vice_versa(world: World) -> None:
    assert _pro(world.gp).get("/espace/messagerie/").status_code == 404
    assert _patient(world).get("/pro/messagerie/").status_code == 404


def test_a_draft_is_saved_then_sent_from_its_page(world: World) -> None:
    client = _pro(world.gp)
    client.post(
        f"/pro/messagerie/ecrire/{world.patient.public_id}/",
        {"subject": "Brouillon", "body": "À compléter", "action": "draft"},
    )
    draft = Message.objects.get(is_draft=True)
    page = client.get(f"/pro/messagerie/brouillons/{draft.public_id}/")
    assert "À compléter" in page.content.decode()
    sent = client.post(
        f"/pro/messagerie/brouillons/{draft.public_id}/",
        {"subject": "Résultat", "body": "Complet", "action": "send"},
    )
    assert sent.status_code == 302
    assert not Message.objects.get().is_draft


def test_the_delete_page_asks_for_confirmation_then_erases_r_msg_6(world: World) -> None:
    message = pro_writes(world)
    client = _patient(world)
    url = f"/espace/messagerie/{message.conversation.public_id}/supprimer/"
    assert "définitive" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert Conversation.objects.get().deleted_by_patient_at is not None


def test_the_messaging_traces_have_french_labels_in_the_history_r_tr_3(world: World) -> None:
    from carnet.audit.labels import action_label

    assert str(action_label("MESSAGE_SEND")) == "Envoi d'un message"
    assert (
        str(action_label("MESSAGE_ATTACHMENT_SAVE")) == "Enregistrement d'une pièce jointe dans les documents"
    )
