"""Sharing endpoints (SPEC §3): emergency settings, block/unblock, declarations, consent, one-time
codes, break-the-glass. The policy decides (invariant 1); refusals answer 404 or name the field."""

from __future__ import annotations

from django.test import Client

from carnet.access.models import BreakGlassSession, CareRelation, EmergencySettings, ProfessionalStanding
from tests.api.conftest import bearer, patient_client, professional_client
from tests.records.helpers import World, deposit_pdf, traces

JSON = "application/json"


def _url(world: World, suffix: str) -> str:
    return f"/api/patients/{world.patient.public_id}/{suffix}"


def test_patient_sets_his_emergency_settings(world: World) -> None:
    """R-EM-4: ETREAT, BTG, MASKED permit|deny; traced."""
    response = patient_client(world).put(
        _url(world, "emergency-settings"), {"btg": "deny"}, content_type=JSON
    )
    assert response.status_code == 200 and response.json()["btg"] == "deny"
    assert EmergencySettings.objects.get(patient_id=world.patient.pk).btg == "deny"
    assert traces(world.patient, action="MODIF_PARAM_ACCESS_URGENCE")


def test_a_wrong_emergency_choice_names_the_field(world: World) -> None:
    response = patient_client(world).put(
        _url(world, "emergency-settings"), {"masked": "peut-etre"}, content_type=JSON
    )
    assert response.status_code == 422 and response.json()["field"] == "masked"


def test_a_professional_cannot_change_the_emergency_settings(world: World) -> None:
    """R-EM-4: the holder's choice; answered 404."""
    response = professional_client(world.gp).put(
        _url(world, "emergency-settings"), {"btg": "deny"}, content_type=JSON
    )
    assert response.status_code == 404
    assert not EmergencySettings.objects.filter(patient_id=world.patient.pk).exists()


def test_patient_blocks_then_unblocks_a_professional(world: World) -> None:
    """R-BLK-1."""
    http = patient_client(world)
    blocked = http.post(_url(world, f"professionals/{world.dentist.public_id}/block"))
    assert blocked.status_code == 200 and blocked.json()["blocked"] is True
    unblocked = http.post(_url(world, f"professionals/{world.dentist.public_id}/unblock"))
    assert unblocked.json()["blocked"] is False
    assert (
        ProfessionalStanding.objects.get(patient_id=world.patient.pk, professional=world.dentist).blocked_at
        is None
    )


def test_blocked_dentist_no_longer_lists_the_record(world: World) -> None:
    """R-BLK-1: a blocked professional consults nothing (his own documents aside)."""
    from tests.api.test_documents import _consent

    _consent(world, world.dentist)
    deposit_pdf(world, world.gp)
    patient_client(world).post(_url(world, f"professionals/{world.dentist.public_id}/block"))
    response = professional_client(world.dentist).get(_url(world, "documents"))
    assert response.status_code == 404 or response.json()["documents"] == []


def test_patient_declares_his_medecin_traitant(world: World) -> None:
    """R-AC-15."""
    response = patient_client(world).post(
        _url(world, f"professionals/{world.gp.public_id}/declare"),
        {"medecin_traitant": True},
        content_type=JSON,
    )
    assert response.status_code == 201 and response.json()["kind"] == "DECLARED_BY_PATIENT"
    assert ProfessionalStanding.objects.get(
        patient_id=world.patient.pk, professional=world.gp
    ).is_medecin_traitant


def test_unknown_professional_answers_404(world: World) -> None:
    response = patient_client(world).post(
        _url(world, "professionals/00000000-0000-0000-0000-000000000000/block")
    )
    assert response.status_code == 404


def test_professional_records_an_explicit_consent(world: World) -> None:
    """R-AC-12 / R-AC-14."""
    response = professional_client(world.dentist).post(
        _url(world, "consents"), {"kind": "EXPLICIT"}, content_type=JSON
    )
    assert response.status_code == 201
    assert CareRelation.objects.filter(
        patient_id=world.patient.pk, professional=world.dentist, kind="EXPLICIT"
    ).exists()


def test_temporary_consent_with_the_patients_one_time_code(world: World) -> None:
    """R-AC-16: the patient creates a code, the professional records a temporary consent with it."""
    code = patient_client(world).post(_url(world, "access-codes")).json()["code"]
    response = professional_client(world.nurse).post(
        _url(world, "consents"), {"kind": "TEMPORARY", "access_code": code}, content_type=JSON
    )
    assert response.status_code == 201 and response.json()["expires_at"]


def test_a_wrong_one_time_code_names_the_field(world: World) -> None:
    """R-AC-16."""
    response = professional_client(world.nurse).post(
        _url(world, "consents"), {"kind": "TEMPORARY", "access_code": "ABCDEFGH"}, content_type=JSON
    )
    assert response.status_code == 422 and response.json()["field"] == "access_code"


def test_a_patient_cannot_record_a_consent_for_a_professional(world: World) -> None:
    """R-AC-14: consent is recorded by professionals."""
    response = patient_client(world).post(_url(world, "consents"), {"kind": "EXPLICIT"}, content_type=JSON)
    assert response.status_code == 404


def test_break_the_glass_needs_a_written_reason(world: World) -> None:
    """R-EM-6: no reason, no emergency access."""
    response = professional_client(world.hospital).post(
        _url(world, "emergency-access"), {"reason": "  ", "mode": "BTG"}, content_type=JSON
    )
    assert response.status_code == 422 and response.json()["field"] == "reason"
    assert not BreakGlassSession.objects.filter(patient_id=world.patient.pk).exists()


def test_break_the_glass_opens_a_session_then_reads_in_btg_mode(world: World) -> None:
    """R-EM-1/6: session with reason; reads with ``mode=BTG`` are traced in that mode."""
    doc = deposit_pdf(world, world.gp)
    http = professional_client(world.hospital)
    started = http.post(
        _url(world, "emergency-access"), {"reason": "Patient inconscient aux urgences"}, content_type=JSON
    )
    assert started.status_code == 201 and started.json()["mode"] == "BTG"
    listed = http.get(_url(world, "documents") + "?mode=BTG")
    assert listed.status_code == 200 and [d["id"] for d in listed.json()["documents"]] == [str(doc.public_id)]
    assert traces(world.patient, action="DOCUMENT_LIST", mode="BTG")


def test_an_establishment_cannot_break_the_glass(world: World, lab_token: str) -> None:
    """R-EM-1: emergency access is a professional's act."""
    response = Client().post(
        _url(world, "emergency-access"), {"reason": "urgence"}, content_type=JSON, headers=bearer(lab_token)
    )
    assert response.status_code == 404
