"""The professional's record page says why he sees what he sees (issue 12, item 5; R-EM-6, R-AC-12..16,
R-BLK-2): during break-the-glass it must not claim "no consent: you only see your own documents" while
listing everybody's, and each other access mode gets its own text, in French and in English."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.test import Client

from carnet.access import services as access
from carnet.access.models import ProfessionalQualification
from carnet.identity.models import Professional
from tests.api.conftest import professional_client
from tests.records.helpers import World, deposit_pdf, pro_actor

NO_CONSENT = "Aucun consentement enregistré"


def _page(world: World, professional: Professional, client: Client | None = None) -> str:
    client = client or professional_client(professional)
    response = client.get(f"/pro/patients/{world.patient.public_id}/")
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _access(body: str) -> str:
    """The data-access attribute of the "your access to this record" box."""
    marker = 'data-access="'
    return body.split(marker, 1)[1].split('"', 1)[0]


@pytest.fixture
def record(world: World) -> World:
    deposit_pdf(world, world.gp, title="Compte rendu du généraliste")
    deposit_pdf(world, world.dentist, type_code="28617-9", title="Bilan dentaire")
    return world


def test_during_break_the_glass_the_page_says_emergency_and_not_no_consent(record: World) -> None:
    access.break_the_glass_start(
        actor=pro_actor(record.dentist),
        patient_id=record.patient.pk,
        reason="Patient inconscient",
        mode="BTG",
    )
    body = _page(record, record.dentist)
    assert "Compte rendu du généraliste" in body  # others' documents are listed...
    assert NO_CONSENT not in body  # ...so the page must not say he sees only his own
    assert "ne voyez que les documents que vous avez déposés" not in body
    assert _access(body) == "emergency"
    assert "Accès en urgence : vous voyez les documents que le patient autorise en cas d'urgence" in body
    assert 'id="emergency-banner"' in body


def test_the_samu_regulators_access_is_an_emergency_access_too(record: World) -> None:
    ProfessionalQualification.objects.create(
        professional=record.hospital, is_samu_regulator=True, updated_at=record.space.created_at
    )
    access.break_the_glass_start(
        actor=pro_actor(record.hospital), patient_id=record.patient.pk, reason="", mode="SAMU"
    )
    body = _page(record, record.hospital)
    assert _access(body) == "emergency" and NO_CONSENT not in body


def test_without_consent_he_is_told_he_sees_only_his_own_documents(record: World) -> None:
    body = _page(record, record.dentist)
    assert _access(body) == "own_documents" and NO_CONSENT in body
    assert "Compte rendu du généraliste" not in body and "Bilan dentaire" in body


def test_a_blocked_professional_is_told_he_is_blocked(record: World) -> None:
    access.care_relation_record(
        actor=pro_actor(record.dentist), patient_id=record.patient.pk, kind="EXPLICIT"
    )
    access.professional_block(actor=record.holder, patient_id=record.patient.pk, professional=record.dentist)
    body = _page(record, record.dentist)
    assert _access(body) == "own_documents"
    assert "Le patient a bloqué votre accès à son dossier" in body and NO_CONSENT not in body


def test_an_expired_temporary_access_is_named_as_such(record: World, clock: Any) -> None:
    code, _row = access.temporary_access_code_create(actor=record.holder, patient_id=record.patient.pk)
    access.care_relation_record(
        actor=pro_actor(record.dentist), patient_id=record.patient.pk, kind="TEMPORARY", access_code=code
    )
    assert _access(_page(record, record.dentist)) == "consent"
    clock.advance(hours=25)
    body = _page(record, record.dentist)
    assert "L'accès temporaire que le patient vous avait donné a expiré" in body


def test_a_consented_professional_sees_his_consent(record: World) -> None:
    access.care_relation_record(
        actor=pro_actor(record.dentist), patient_id=record.patient.pk, kind="EXPLICIT"
    )
    body = _page(record, record.dentist)
    assert _access(body) == "consent" and "Le patient a consenti à votre accès" in body
    assert NO_CONSENT not in body and "Compte rendu du généraliste" in body


def test_the_medecin_traitant_designated_by_the_patient_needs_no_consent(record: World) -> None:
    access.professional_role_set(
        actor=record.holder,
        patient_id=record.patient.pk,
        professional=record.hospital,
        role="medecin_traitant",
        enabled=True,
    )
    body = _page(record, record.hospital)
    assert _access(body) == "designated" and NO_CONSENT not in body
    assert "vous a désigné comme médecin traitant ou administrateur" in body


def test_the_texts_are_in_english_for_an_english_speaking_professional(record: World) -> None:
    access.break_the_glass_start(
        actor=pro_actor(record.dentist), patient_id=record.patient.pk, reason="Unconscious", mode="BTG"
    )
    client = professional_client(record.dentist)
    client.cookies["django_language"] = "en"
    body = _page(record, record.dentist, client)
    assert "Your access to this record" in body
    assert "Emergency access: you see the documents the patient allows in an emergency" in body
    blocked_client = professional_client(record.nurse)
    blocked_client.cookies["django_language"] = "en"
    assert "No consent recorded: you only see the documents you have added." in _page(
        record, record.nurse, blocked_client
    )
