"""R-MIN-5 through the pages, two sessions side by side: the parent (acting for his child, as the
"agir pour" switch puts him) probes every page before and after the professional hides the conversation;
the minor keeps seeing everything. Django test clients, real views."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.test import Client

from carnet.accounts.models import Role, User
from carnet.identity.models import Person, Professional
from carnet.messaging.models import Attachment, Conversation
from tests.messaging.builders import pdf_file, pro_writes
from tests.records.helpers import World, add_parent, make_world

SECRET_SUBJECT = "Consultation au centre de planification"


def _login(person: Person) -> Client:
    client = Client()
    client.force_login(User.objects.get(person=person))
    return client


def _pro(professional: Professional) -> Client:
    user = User.objects.create_user(
        username=f"pro-{professional.rpps}",
        password="x-Motdepasse-1234",
        role=Role.PROFESSIONAL,
        professional=professional,
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def minor(db: Any, clock: Any) -> World:
    return make_world(birth_date=date(2010, 6, 1))  # 15 on the test clock's day


@pytest.fixture
def parent_browser(minor: World) -> Client:
    parent = add_parent(minor)
    client = _login(parent)
    switched = client.post("/espace/agir-pour/", {"person": str(minor.patient.public_id)})
    assert switched.status_code == 302
    return client


def _urls(conversation: Conversation) -> dict[str, str]:
    attachment = Attachment.objects.get(message__conversation=conversation)
    return {
        "conversation": f"/espace/messagerie/{conversation.public_id}/",
        "delete": f"/espace/messagerie/{conversation.public_id}/supprimer/",
        "attachment": f"/espace/messagerie/pieces-jointes/{attachment.public_id}/",
    }


def _history_text(client: Client) -> str:
    page = client.get("/espace/historique/").content.decode()
    download = client.post("/espace/historique/telecharger/")
    assert download.status_code == 200
    return page + json.dumps(json.loads(download.content), ensure_ascii=False)


def test_the_parent_sees_the_conversation_until_the_professional_hides_it_then_nothing_at_all(
    minor: World, parent_browser: Client
) -> None:
    message = pro_writes(minor, subject=SECRET_SUBJECT, files=[pdf_file()])
    conversation = message.conversation
    urls = _urls(conversation)
    # before: an ordinary conversation, the parent reads it like the rest of his child's space
    assert SECRET_SUBJECT in parent_browser.get("/espace/messagerie/").content.decode()
    assert all(parent_browser.get(url).status_code == 200 for url in urls.values())
    assert (
        "Vous avez reçu un nouveau message" in parent_browser.get("/espace/notifications/").content.decode()
    )

    hidden = _pro(minor.gp).post(
        f"/pro/messagerie/{conversation.public_id}/confidentialite/", {"action": "mark"}
    )
    assert hidden.status_code == 302
    assert Conversation.objects.get().is_confidential

    # after: the inbox, every direct URL, the notification centre and its badge, the history
    inbox = parent_browser.get("/espace/messagerie/").content.decode()
    assert SECRET_SUBJECT not in inbox and minor.gp.display_name not in inbox
    assert "Aucun message pour le moment." in inbox
    assert all(parent_browser.get(url).status_code == 404 for url in urls.values())
    assert parent_browser.post(urls["conversation"], {"body": "?", "action": "send"}).status_code == 404
    centre = parent_browser.get("/espace/notifications/")
    assert "Vous avez reçu un nouveau message" not in centre.content.decode()
    assert centre.context["notification_unread_count"] == 0
    history = _history_text(parent_browser)
    assert minor.gp.display_name not in history and str(conversation.public_id) not in history


def test_the_minor_keeps_every_page_and_sees_that_it_is_hidden_from_his_parents(
    minor: World, parent_browser: Client
) -> None:
    message = pro_writes(minor, subject=SECRET_SUBJECT, files=[pdf_file()], confidential=True)
    conversation = message.conversation
    me = _login(minor.patient)
    inbox = me.get("/espace/messagerie/").content.decode()
    assert SECRET_SUBJECT in inbox and "Cachée aux représentants légaux" in inbox
    for name, url in _urls(conversation).items():
        assert me.get(url).status_code == 200, name
    page = me.get(f"/espace/messagerie/{conversation.public_id}/").content.decode()
    assert "Conversation cachée aux représentants légaux" in page
    assert "La rendre visible aux représentants légaux" in page  # 15: he may lift it himself
    assert minor.gp.display_name in _history_text(me)
    assert SECRET_SUBJECT not in parent_browser.get("/espace/messagerie/").content.decode()


def test_the_minor_of_fifteen_hides_an_exchange_from_the_conversation_page(
    minor: World, parent_browser: Client
) -> None:
    message = pro_writes(minor, subject=SECRET_SUBJECT)
    me = _login(minor.patient)
    url = f"/espace/messagerie/{message.conversation.public_id}/"
    assert "Cacher aux représentants légaux" in me.get(url).content.decode()
    assert me.post(f"{url}confidentialite/", {"action": "mark"}).status_code == 302
    assert parent_browser.get(url).status_code == 404
    assert parent_browser.post(f"{url}confidentialite/", {"action": "lift"}).status_code == 404
    assert Conversation.objects.get().is_confidential


def test_the_professional_is_offered_the_secrecy_only_for_a_minor(minor: World) -> None:
    adult = make_world()
    client = _pro(minor.gp)
    assert (
        "Cacher cette conversation"
        in client.get(f"/pro/messagerie/ecrire/{minor.patient.public_id}/").content.decode()
    )
    page = client.get(f"/pro/messagerie/ecrire/{adult.patient.public_id}/").content.decode()
    assert "Cacher cette conversation" not in page
    sent = client.post(
        f"/pro/messagerie/ecrire/{minor.patient.public_id}/",
        {"subject": SECRET_SUBJECT, "body": "Bonjour", "confidential": "on", "action": "send"},
    )
    assert sent.status_code == 302
    assert Conversation.objects.get(patient_id=minor.patient.pk).confidential_by_side == "PROFESSIONAL"


def test_a_parent_is_not_offered_to_hide_anything(minor: World, parent_browser: Client) -> None:
    message = pro_writes(minor)
    page = parent_browser.get(f"/espace/messagerie/{message.conversation.public_id}/").content.decode()
    assert "Cacher aux représentants légaux" not in page
