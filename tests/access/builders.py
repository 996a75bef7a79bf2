"""Small builders of policy facts for the access tests (plain data, no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from carnet.access.facts import (
    AccessMode,
    Action,
    ActorFacts,
    Consent,
    ConsentKind,
    DocumentFacts,
    EmergencySetting,
    EmergencySettings,
    ForbiddenActorKind,
    PatientFacts,
    RequestContext,
    SpaceStatus,
)
from carnet.common.actors import ActorKind

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

HOLDER_ID = "patient-1"
PARENT_ID = "parent-1"
CAREGIVER_ID = "aidant-1"
LAB_PS_ID = "rpps-lab"
LAB_ORG_ID = "finess-lab"
GP_ID = "rpps-gp"
DENTIST_ID = "rpps-dentist"
ADMIN_ID = "rpps-admin"
REGULATOR_ID = "rpps-samu"
OCCUPATIONAL_ID = "rpps-travail"
HOSPITAL_PS_ID = "rpps-hopital"
HOSPITAL_ORG_ID = "finess-hopital"

PERMIT, DENY = EmergencySetting.PERMIT, EmergencySetting.DENY


def holder() -> ActorFacts:
    return ActorFacts(kind=ActorKind.PATIENT, id=HOLDER_ID)


def legal_rep() -> ActorFacts:
    return ActorFacts(kind=ActorKind.LEGAL_REPRESENTATIVE, id=PARENT_ID)


def caregiver() -> ActorFacts:
    return ActorFacts(kind=ActorKind.CAREGIVER, id=CAREGIVER_ID)


def professional(id: str = GP_ID, profession: str = "G15_10", **kwargs: Any) -> ActorFacts:
    return ActorFacts(kind=ActorKind.PROFESSIONAL, id=id, profession_code=profession, **kwargs)


def gp(**kwargs: Any) -> ActorFacts:
    return professional(GP_ID, "G15_10", specialty_code="G15_10/SM54", **kwargs)


def dentist(**kwargs: Any) -> ActorFacts:
    return professional(DENTIST_ID, "G15_40", **kwargs)


def administrator(**kwargs: Any) -> ActorFacts:
    return professional(ADMIN_ID, "G15_10", is_administrator=True, **kwargs)


def lab_biologist() -> ActorFacts:
    return professional(LAB_PS_ID, "G15_10", specialty_code="G15_10/SM03", organisation_id=LAB_ORG_ID)


def lab_software() -> ActorFacts:
    return ActorFacts(kind=ActorKind.ORGANISATION, id=LAB_ORG_ID, organisation_id=LAB_ORG_ID)


def regulator() -> ActorFacts:
    return professional(REGULATOR_ID, "G15_10", specialty_code="G15_10/SM59", is_samu_regulator=True)


def occupational_doctor() -> ActorFacts:
    return professional(OCCUPATIONAL_ID, "G15_10", specialty_code="G15_10/SM25", is_occupational_doctor=True)


def hospital_doctor() -> ActorFacts:
    return professional(HOSPITAL_PS_ID, "G15_10", organisation_id=HOSPITAL_ORG_ID)


def forbidden(kind: ForbiddenActorKind) -> ActorFacts:
    return ActorFacts(kind=kind, id=f"{kind.lower()}-1")


def patient(**kwargs: Any) -> PatientFacts:
    values: dict[str, Any] = {
        "patient_id": "p-1",
        "holder_id": HOLDER_ID,
        "space_status": SpaceStatus.ACTIVATED,
        "legal_representative_ids": frozenset({PARENT_ID}),
        "caregiver_ids": frozenset({CAREGIVER_ID}),
    }
    values.update(kwargs)
    return PatientFacts(**values)


def explicit(subject_id: str) -> Consent:
    return Consent(subject_id=subject_id, kind=ConsentKind.EXPLICIT, granted_at=NOW)


def emergency(etreat: EmergencySetting, btg: EmergencySetting, masked: EmergencySetting) -> EmergencySettings:
    return EmergencySettings(etreat=etreat, btg=btg, masked=masked)


def lab_report(*codes: str, **kwargs: Any) -> DocumentFacts:
    """A biology report (J07 11502-2, J57 class 10) deposited by the lab biologist and his lab."""
    values: dict[str, Any] = {
        "document_id": "doc-1",
        "type_code": "11502-2",
        "class_code": "10",
        "confidentiality": frozenset(codes or ("N",)),
        "author_professional_id": LAB_PS_ID,
        "author_organisation_id": LAB_ORG_ID,
    }
    values.update(kwargs)
    return DocumentFacts(**values)


def patient_upload(**kwargs: Any) -> DocumentFacts:
    values: dict[str, Any] = {
        "document_id": "doc-up",
        "type_code": "DOCPAT03",
        "class_code": "90",
        "patient_uploaded": True,
    }
    values.update(kwargs)
    return DocumentFacts(**values)


def ctx(
    action: Action | str = Action.CONSULT,
    mode: AccessMode = AccessMode.NORMAL,
    reason: str = "",
    now: datetime = NOW,
    **kwargs: Any,
) -> RequestContext:
    return RequestContext(action=action, now=now, mode=mode, reason=reason, **kwargs)


def btg(action: Action = Action.CONSULT, reason: str = "Patient inconscient aux urgences") -> RequestContext:
    return ctx(action, AccessMode.BTG, reason)


def samu(action: Action = Action.CONSULT) -> RequestContext:
    return ctx(action, AccessMode.SAMU)
