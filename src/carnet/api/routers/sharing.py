"""Access-state endpoints (SPEC §3): emergency settings, blocking, declared professionals, consent,
one-time access codes and break-the-glass. Thin calls to ``carnet.access.services``: the policy decides."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from carnet.access import services as access

from ..auth import caller_of
from ..resolvers import organisation_by_public_id, patient_by_public_id, professional_by_public_id
from ..schemas import (
    AccessCodeOut,
    BreakGlassIn,
    BreakGlassOut,
    ConsentIn,
    DeclareIn,
    EmergencySettingsIn,
    EmergencySettingsOut,
    ErrorOut,
    RelationOut,
    StandingOut,
)

router = Router(tags=["sharing"])
ERRORS: dict[int | frozenset[int], Any] = {frozenset({400, 401, 403, 404, 422}): ErrorOut}


def _relation_out(relation: Any) -> RelationOut:
    return RelationOut(
        id=relation.public_id,
        kind=relation.kind,
        started_at=relation.started_at,
        expires_at=relation.expires_at,
    )


def _standing_out(standing: Any, professional_id: uuid.UUID) -> StandingOut:
    return StandingOut(
        professional_id=professional_id,
        blocked=standing.blocked_at is not None,
        medecin_traitant=standing.is_medecin_traitant,
        administrator=standing.is_administrator,
    )


@router.put("/patients/{patient_id}/emergency-settings", response={200: EmergencySettingsOut, **ERRORS})
def emergency_settings_update(
    request: HttpRequest, patient_id: uuid.UUID, body: EmergencySettingsIn
) -> EmergencySettingsOut:
    """R-EM-4: the holder's side sets ETREAT (SAMU regulator), BTG and MASKED (permit|deny)."""
    patient = patient_by_public_id(patient_id)
    row = access.emergency_settings_update(
        actor=caller_of(request).actor_for(patient),
        patient_id=patient.pk,
        etreat=body.etreat,
        btg=body.btg,
        masked=body.masked,
    )
    return EmergencySettingsOut(etreat=row.etreat, btg=row.btg, masked=row.masked)


@router.post(
    "/patients/{patient_id}/professionals/{professional_id}/block", response={200: StandingOut, **ERRORS}
)
def professional_block(
    request: HttpRequest, patient_id: uuid.UUID, professional_id: uuid.UUID
) -> StandingOut:
    """R-BLK-1/3: the holder's side (or an administrateur) blocks a professional."""
    patient = patient_by_public_id(patient_id)
    professional = professional_by_public_id(professional_id)
    standing = access.professional_block(
        actor=caller_of(request).actor_for(patient), patient_id=patient.pk, professional=professional
    )
    return _standing_out(standing, professional.public_id)


@router.post(
    "/patients/{patient_id}/professionals/{professional_id}/unblock", response={200: StandingOut, **ERRORS}
)
def professional_unblock(
    request: HttpRequest, patient_id: uuid.UUID, professional_id: uuid.UUID
) -> StandingOut:
    """R-BLK-1/3."""
    patient = patient_by_public_id(patient_id)
    professional = professional_by_public_id(professional_id)
    standing = access.professional_unblock(
        actor=caller_of(request).actor_for(patient), patient_id=patient.pk, professional=professional
    )
    return _standing_out(standing, professional.public_id)


@router.post(
    "/patients/{patient_id}/professionals/{professional_id}/declare", response={201: RelationOut, **ERRORS}
)
def professional_declare(
    request: HttpRequest, patient_id: uuid.UUID, professional_id: uuid.UUID, body: DeclareIn
) -> Status[RelationOut]:
    """R-AC-15: the holder's side pre-declares a professional (optionally as médecin traitant)."""
    patient = patient_by_public_id(patient_id)
    professional = professional_by_public_id(professional_id)
    relation = access.professional_declare(
        actor=caller_of(request).actor_for(patient),
        patient_id=patient.pk,
        professional=professional,
        medecin_traitant=body.medecin_traitant,
    )
    return Status(201, _relation_out(relation))


@router.post("/patients/{patient_id}/consents", response={201: RelationOut, **ERRORS})
def consent_record(request: HttpRequest, patient_id: uuid.UUID, body: ConsentIn) -> Status[RelationOut]:
    """R-AC-14: a professional records the patient's consent (care team R-AC-11, explicit R-AC-12,
    temporary with the patient's one-time code R-AC-16)."""
    patient = patient_by_public_id(patient_id)
    organisation = organisation_by_public_id(body.organisation_id) if body.organisation_id else None
    relation = access.care_relation_record(
        actor=caller_of(request).actor_for(patient),
        patient_id=patient.pk,
        kind=body.kind,
        access_code=body.access_code,
        organisation=organisation,
    )
    return Status(201, _relation_out(relation))


@router.post("/patients/{patient_id}/access-codes", response={201: AccessCodeOut, **ERRORS})
def access_code_create(request: HttpRequest, patient_id: uuid.UUID) -> Status[AccessCodeOut]:
    """R-AC-16: the holder's side creates a one-time code to give to a professional (shown once)."""
    patient = patient_by_public_id(patient_id)
    code, row = access.temporary_access_code_create(
        actor=caller_of(request).actor_for(patient), patient_id=patient.pk
    )
    return Status(201, AccessCodeOut(code=code, expires_at=row.expires_at))


@router.post("/patients/{patient_id}/emergency-access", response={201: BreakGlassOut, **ERRORS})
def break_the_glass_start(
    request: HttpRequest, patient_id: uuid.UUID, body: BreakGlassIn
) -> Status[BreakGlassOut]:
    """R-EM-1/2/6: a professional opens an emergency access; a written reason is required (BTG). Reads in
    that mode are then made with ``?mode=BTG`` on the document endpoints; the patient and his médecin
    traitant are informed (R-EM-3)."""
    patient = patient_by_public_id(patient_id)
    session = access.break_the_glass_start(
        actor=caller_of(request).actor_for(patient), patient_id=patient.pk, reason=body.reason, mode=body.mode
    )
    return Status(
        201,
        BreakGlassOut(
            id=session.public_id,
            mode=session.mode,
            started_at=session.started_at,
            expires_at=session.expires_at,
        ),
    )
