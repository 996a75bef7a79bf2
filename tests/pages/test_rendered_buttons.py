"""The rendered pages of the record, messaging, agenda, prevention, profile and notifications (issue 14):
every button has a name, and no icon button sits in a group that would shrink it to its icon.

The static check (``test_icon_buttons_keep_their_text.py``) reads each template alone; this one sees the
pages as served, includes and conditions resolved, on the demo population made long and full
(``tests.pages.realistic``). Fast: Django's test client, no browser.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from carnet.accounts.models import User
from carnet.agenda.models import Appointment
from carnet.messaging.models import Conversation
from carnet.records.models import Document
from tests.pages.buttons import icon_only_buttons, unnamed_buttons
from tests.pages.realistic import Demo, enrich_demo, load_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings: Any) -> Demo:
    settings.CARNET_DEMO = True
    load_demo()
    return enrich_demo()


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _patient_paths(demo: Demo) -> list[str]:
    documents = Document.objects.filter(patient_id=demo.claire.pk).order_by("id")
    conversation = Conversation.objects.filter(patient_id=demo.claire.pk).order_by("id").first()
    appointment = Appointment.objects.filter(patient_id=demo.claire.pk).order_by("id").first()
    assert conversation is not None and appointment is not None
    return [
        "/espace/documents/",
        "/espace/documents/ajouter/",
        f"/espace/documents/{documents[0].public_id}/",  # masked by Claire: "Ne plus masquer"
        f"/espace/documents/{documents[3].public_id}/",
        "/espace/messagerie/",
        "/espace/messagerie/nouveau/",
        "/espace/messagerie/brouillons/",
        f"/espace/messagerie/{conversation.public_id}/",
        f"/espace/messagerie/{conversation.public_id}/supprimer/",
        "/agenda/",
        "/agenda/mois/",
        "/agenda/rendez-vous/nouveau/",
        f"/agenda/rendez-vous/{appointment.public_id}/modifier/",
        "/agenda/rappels/nouveau/",
        "/agenda/abonnement/",
        "/agenda/import/",
        "/espace/prevention/",
        "/espace/prevention/famille/",
        "/espace/profil/",
        "/espace/profil/traitements/",
        "/espace/profil/contacts-urgence/",
        "/espace/profil/groupe-sanguin/",
        "/espace/profil/habitudes-de-vie/",
        "/espace/profil/entourage/",
        "/espace/profil/directives-anticipees/",
        "/espace/profil/vaccinations/",
        "/espace/profil/vaccinations/ajouter/",
        "/espace/profil/mesures/",
        "/espace/profil/synthese/",
        "/espace/notifications/",
        "/espace/notifications/preferences/",
        "/espace/acces/",
        "/demo/outbox/",
    ]


def _pro_paths(demo: Demo) -> list[str]:
    patient = demo.claire.public_id
    document = Document.objects.filter(patient_id=demo.claire.pk).order_by("id")[3]
    conversation = Conversation.objects.filter(patient_id=demo.claire.pk).order_by("id").first()
    assert conversation is not None
    return [
        "/pro/patients/",
        f"/pro/patients/{patient}/",
        f"/pro/patients/{patient}/deposer/",
        f"/pro/patients/{patient}/documents/{document.public_id}/",
        f"/pro/patients/{patient}/documents/{document.public_id}/remplacer/",
        f"/pro/patients/{patient}/vaccinations/",
        f"/pro/patients/{patient}/vaccinations/ajouter/",
        f"/pro/patients/{patient}/entourage/",
        f"/pro/patients/{patient}/consentement/",
        f"/pro/patients/{patient}/urgence/",
        "/pro/messagerie/",
        "/pro/messagerie/ecrire/",
        "/pro/messagerie/brouillons/",
        f"/pro/messagerie/{conversation.public_id}/",
    ]


def _problems(client: Client, paths: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        html = response.content.decode()
        problems = [f"icon only: {f}" for f in icon_only_buttons(html)]
        problems += [f"no name: {f}" for f in unnamed_buttons(html)]
        if problems:
            found[path] = problems
    return found


def test_patient_pages_name_every_button_and_keep_the_text_of_icon_buttons(demo: Demo) -> None:
    client = _client("claire.martin")
    assert _problems(client, _patient_paths(demo)) == {}
    served = client.get("/espace/profil/vaccinations/").content.decode()  # the check is not vacuous:
    assert icon_only_buttons(served.replace("fr-btns-group--icon-left ", "")) != []


def test_professional_pages_name_every_button_and_keep_the_text_of_icon_buttons(demo: Demo) -> None:
    assert _problems(_client("dr.durand"), _pro_paths(demo)) == {}
