"""Decisions beyond consultation: feeding, replacing, deleting, masking, blocking, consents, emergency
details, lifecycle states and fail-closed defaults (SPEC §2.6–2.10, §3, R-LC-14, Appendix A)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from carnet.access.facts import (
    AccessMode,
    Action,
    ActorFacts,
    Consent,
    ConsentKind,
    DocumentFacts,
    DocumentStatus,
    SpaceStatus,
)
from carnet.access.policy import decide, decide_many, filter_documents
from carnet.common.actors import ActorKind
from tests.access import builders as b
from tests.conftest import ClockControl


def _rule(decision: object) -> tuple[bool, str]:
    return (decision.allowed, decision.rule)  # type: ignore[attr-defined]


# --- fail closed ------------------------------------------------------------------------------------------


def test_an_unknown_action_is_denied_by_default() -> None:
    decision = decide(b.holder(), b.patient(), b.lab_report(), b.ctx("export_everything"))
    assert _rule(decision) == (False, "DEFAULT-DENY")


def test_an_unknown_access_mode_is_denied_by_default() -> None:
    context = b.ctx(mode="PANIC")
    assert _rule(decide(b.gp(), b.patient(), b.lab_report(), context)) == (False, "DEFAULT-DENY")


def test_an_unknown_actor_kind_is_denied_by_default() -> None:
    robot = ActorFacts(kind="ROBOT", id="r2d2")
    assert _rule(decide(robot, b.patient(), b.lab_report(), b.ctx())) == (False, "DEFAULT-DENY")


def test_a_document_action_without_a_document_is_denied_by_default() -> None:
    assert _rule(decide(b.holder(), b.patient(), None, b.ctx(Action.CONSULT))) == (False, "DEFAULT-DENY")


def test_a_patient_actor_who_is_not_the_holder_is_denied() -> None:
    stranger = ActorFacts(kind=ActorKind.PATIENT, id="someone-else")
    assert _rule(decide(stranger, b.patient(), b.lab_report(), b.ctx())) == (False, "DEFAULT-DENY")


def test_a_legal_representative_without_active_representation_is_denied() -> None:
    """R-MIN-1 / R-MIN-7: at majority the caller stops listing the parents."""
    adult = b.patient(legal_representative_ids=frozenset())
    assert _rule(decide(b.legal_rep(), adult, b.lab_report(), b.ctx())) == (False, "R-MIN-1")


def test_a_caregiver_without_active_delegation_is_denied() -> None:
    """R-DEL-2: a revoked or expired delegation is not listed."""
    alone = b.patient(caregiver_ids=frozenset())
    assert _rule(decide(b.caregiver(), alone, b.lab_report(), b.ctx())) == (False, "R-DEL-2")


# --- lifecycle (R-LC-*) -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "rule"),
    [
        (SpaceStatus.OPPOSED, "R-LC-1"),
        (SpaceStatus.INFORMED, "R-LC-3"),
        (SpaceStatus.CLOSED, "R-LC-21"),
        (SpaceStatus.DELETED, "R-LC-22"),
        (SpaceStatus.SUSPENDED, "R-LC-24"),
    ],
)
@pytest.mark.parametrize("action", [Action.CONSULT, Action.DEPOSIT])
def test_spaces_that_are_not_open_deny_everyone(status: SpaceStatus, rule: str, action: Action) -> None:
    patient = b.patient(space_status=status, consents=(b.explicit(b.GP_ID),))
    document = b.lab_report() if action == Action.CONSULT else None
    for actor in (b.gp(), b.holder(), b.lab_biologist()):
        assert _rule(decide(actor, patient, document, b.ctx(action))) == (False, rule)


def test_before_activation_professionals_read_per_matrix_and_consent() -> None:
    """R-LC-14: the space is fed and read by professionals before the holder activates it."""
    patient = b.patient(space_status=SpaceStatus.OPEN_NOT_ACTIVATED, consents=(b.explicit(b.GP_ID),))
    assert _rule(decide(b.gp(), patient, b.lab_report(), b.ctx())) == (True, "R-AC-12")
    assert decide(b.lab_biologist(), patient, None, b.ctx(Action.DEPOSIT)).allowed


@pytest.mark.parametrize("action", [Action.CONSULT, Action.MASK, Action.UNMASK, Action.BLOCK])
def test_before_activation_the_patient_side_cannot_act(action: Action) -> None:
    """R-LC-14: the holder changes confidentiality only after activation."""
    patient = b.patient(space_status=SpaceStatus.OPEN_NOT_ACTIVATED)
    document = None if action == Action.BLOCK else b.lab_report()
    assert _rule(decide(b.holder(), patient, document, b.ctx(action))) == (False, "R-LC-14")


# --- feeding (R-DEP-*) ------------------------------------------------------------------------------------


def test_a_professional_deposits_without_consent_to_consult() -> None:
    """R-DEP-5."""
    assert _rule(decide(b.dentist(), b.patient(), None, b.ctx(Action.DEPOSIT))) == (True, "R-DEP-5")


def test_a_blocked_professional_can_still_deposit() -> None:
    """R-BLK-2 [I]: a blocked PS keeps being able to send documents."""
    patient = b.patient(blocked_actor_ids=frozenset({b.GP_ID}))
    assert decide(b.gp(), patient, None, b.ctx(Action.DEPOSIT)).allowed


def test_the_samu_regulator_does_not_feed_the_record() -> None:
    """R-EM-2: consultation only."""
    assert _rule(decide(b.regulator(), b.patient(), None, b.samu(Action.DEPOSIT))) == (False, "R-EM-2")


def test_an_occupational_doctor_feeds_only_with_express_consent() -> None:
    """R-AC-2."""
    refused = decide(b.occupational_doctor(), b.patient(), None, b.ctx(Action.DEPOSIT))
    assert _rule(refused) == (False, "R-AC-2")
    consenting = b.patient(consents=(b.explicit(b.OCCUPATIONAL_ID),))
    assert decide(b.occupational_doctor(), consenting, None, b.ctx(Action.DEPOSIT)).allowed


def test_the_insurance_feed_deposits_only_reimbursement_data() -> None:
    """R-DEP-3 1°d: class 60 from ALIM_AM; no read path (R-AC-4)."""
    feed = ActorFacts(kind=ActorKind.INSURANCE, id="assurance-maladie")
    remb = DocumentFacts(document_id="r", type_code="REMB", class_code="60")
    assert _rule(decide(feed, b.patient(), remb, b.ctx(Action.DEPOSIT))) == (True, "R-DEP-3")
    assert _rule(decide(feed, b.patient(), b.lab_report(), b.ctx(Action.DEPOSIT))) == (False, "R-DEP-3")
    assert _rule(decide(feed, b.patient(), remb, b.ctx(Action.CONSULT))) == (False, "R-AC-4")


def test_the_platform_deposits_only_its_own_system_documents() -> None:
    """R-DOC-10: documents "ajoutés par Mon espace santé"."""
    system = ActorFacts(kind=ActorKind.SYSTEM, id="caregiver-attestation")
    attestation = b.patient_upload(patient_uploaded=False, system_document=True)
    assert decide(system, b.patient(), attestation, b.ctx(Action.DEPOSIT)).allowed
    assert not decide(system, b.patient(), b.lab_report(), b.ctx(Action.DEPOSIT)).allowed


def test_a_minor_cannot_deposit_advance_directives_but_an_adult_can() -> None:
    """R-MIN-3."""
    directives = b.patient_upload(type_code="EXPPAT_3")
    minor = b.patient(is_minor=True)
    assert _rule(decide(b.holder(), minor, directives, b.ctx(Action.DEPOSIT))) == (False, "R-MIN-3")
    assert _rule(decide(b.holder(), b.patient(), directives, b.ctx(Action.DEPOSIT))) == (True, "R-DEP-3")


# --- replacement, metadata, deletion (R-VER-*, R-DOC-10) ---------------------------------------------------


@pytest.mark.parametrize(
    ("action", "rule"),
    [(Action.REPLACE, "R-VER-1"), (Action.UPDATE_METADATA, "R-VER-1"), (Action.DELETE, "R-VER-2")],
)
def test_the_author_or_its_establishment_changes_its_document_and_nobody_else(
    action: Action, rule: str
) -> None:
    report = b.lab_report()
    assert _rule(decide(b.lab_biologist(), b.patient(), report, b.ctx(action))) == (True, rule)
    assert _rule(decide(b.lab_software(), b.patient(), report, b.ctx(action))) == (True, rule)
    consenting = b.patient(consents=(b.explicit(b.GP_ID),))
    assert _rule(decide(b.gp(), consenting, report, b.ctx(action))) == (False, "R-VER-2")


def test_a_deprecated_version_cannot_be_replaced() -> None:
    """R-VER-1: only the Approved entry is replaced."""
    old = b.lab_report(status=DocumentStatus.DEPRECATED)
    assert _rule(decide(b.lab_biologist(), b.patient(), old, b.ctx(Action.REPLACE))) == (False, "R-VER-1")


def test_system_documents_cannot_be_deleted_even_by_the_holder() -> None:
    """R-DOC-10: "Ce document a été ajouté par Mon espace santé. Il ne peut pas être modifié ou supprimé"."""
    attestation = b.patient_upload(system_document=True)
    assert _rule(decide(b.holder(), b.patient(), attestation, b.ctx(Action.DELETE))) == (False, "R-DOC-10")


def test_a_caregiver_deletes_uploads_of_the_patient_side() -> None:
    """R-DEL-2: the aidant can add, modify and delete documents."""
    assert decide(b.caregiver(), b.patient(), b.patient_upload(), b.ctx(Action.DELETE)).allowed


# --- masking, blocking, sharing --------------------------------------------------------------------------


@pytest.mark.parametrize("action", [Action.MASK, Action.UNMASK])
def test_holder_and_legal_representative_mask_any_document_but_a_caregiver_does_not(action: Action) -> None:
    """R-MASK-1 for the holder's side; R-DEL-2: a caregiver does not manage sharing."""
    report = b.lab_report()
    assert _rule(decide(b.holder(), b.patient(), report, b.ctx(action))) == (True, "R-MASK-1")
    assert _rule(decide(b.legal_rep(), b.patient(), report, b.ctx(action))) == (True, "R-MASK-1")
    assert _rule(decide(b.caregiver(), b.patient(), report, b.ctx(action))) == (False, "R-DEL-2")


def test_professionals_do_not_mask_documents_through_the_mask_action() -> None:
    """R-MASK-1: masking is the holder's; the author sets MASQUE_PS as metadata at deposit."""
    assert _rule(decide(b.lab_biologist(), b.patient(), b.lab_report(), b.ctx(Action.MASK))) == (
        False,
        "R-MASK-1",
    )


def test_the_holder_and_an_administrator_block_professionals_but_a_plain_professional_does_not() -> None:
    """R-BLK-1, R-BLK-3."""
    assert _rule(decide(b.holder(), b.patient(), None, b.ctx(Action.BLOCK))) == (True, "R-BLK-1")
    assert _rule(decide(b.administrator(), b.patient(), None, b.ctx(Action.BLOCK))) == (True, "R-BLK-3")
    assert _rule(decide(b.gp(), b.patient(), None, b.ctx(Action.UNBLOCK))) == (False, "R-BLK-3")
    assert _rule(decide(b.caregiver(), b.patient(), None, b.ctx(Action.BLOCK))) == (False, "R-DEL-2")


def test_only_the_holders_side_manages_sharing() -> None:
    """R-BLK-1: list of professionals, emergency settings, administrateur role."""
    assert decide(b.holder(), b.patient(), None, b.ctx(Action.MANAGE_SHARING)).allowed
    assert _rule(decide(b.administrator(), b.patient(), None, b.ctx(Action.MANAGE_SHARING))) == (
        False,
        "R-BLK-1",
    )


def test_a_professional_records_the_consent_he_collected_and_the_patient_side_cannot() -> None:
    """R-AC-14: consent is oral and recorded by the professional in his software."""
    assert _rule(decide(b.gp(), b.patient(), None, b.ctx(Action.RECORD_CONSENT))) == (True, "R-AC-14")
    assert not decide(b.holder(), b.patient(), None, b.ctx(Action.RECORD_CONSENT)).allowed


def test_the_medecin_traitant_sees_the_traces_unless_blocked_and_a_plain_professional_does_not() -> None:
    """R-TR-2."""
    mt = b.professional("rpps-mt", "G15_10", is_medecin_traitant=True)
    assert _rule(decide(mt, b.patient(), None, b.ctx(Action.VIEW_TRACES))) == (True, "R-TR-2")
    blocked = b.patient(blocked_actor_ids=frozenset({"rpps-mt"}))
    assert _rule(decide(mt, blocked, None, b.ctx(Action.VIEW_TRACES))) == (False, "R-BLK-2")
    assert _rule(decide(b.gp(), b.patient(), None, b.ctx(Action.VIEW_TRACES))) == (False, "R-TR-2")


# --- consent kinds (R-AC-11/12/15/16) ---------------------------------------------------------------------


def test_a_care_team_consent_given_to_an_establishment_covers_its_professionals() -> None:
    """R-AC-11: deemed authorised for all members of the team once the patient consented."""
    patient = b.patient(consents=(Consent(subject_id=b.HOSPITAL_ORG_ID, kind=ConsentKind.CARE_TEAM),))
    assert _rule(decide(b.hospital_doctor(), patient, b.lab_report(), b.ctx())) == (True, "R-AC-11")


def test_a_temporary_consent_expires(clock: ClockControl) -> None:
    """R-AC-16: temporary access with a one-time means, valid until its expiry."""
    from carnet.access.facts import RequestContext

    start = clock.now()
    patient = b.patient(
        consents=(
            Consent(subject_id=b.GP_ID, kind=ConsentKind.TEMPORARY, expires_at=start + timedelta(hours=2)),
        )
    )
    assert _rule(
        decide(b.gp(), patient, b.lab_report(), RequestContext(action=Action.CONSULT, now=clock.now()))
    ) == (
        True,
        "R-AC-16",
    )
    clock.advance(hours=2)
    assert _rule(
        decide(b.gp(), patient, b.lab_report(), RequestContext(action=Action.CONSULT, now=clock.now()))
    ) == (
        False,
        "R-AC-16",
    )


def test_the_medecin_traitant_designated_by_the_holder_needs_no_further_consent() -> None:
    """R-AC-15: the holder pre-declares his médecin traitant."""
    mt = b.professional("rpps-mt", "G15_10", is_medecin_traitant=True)
    assert _rule(decide(mt, b.patient(), b.lab_report(), b.ctx())) == (True, "R-AC-15")


def test_the_medecin_traitant_does_not_see_masked_documents_unless_administrator() -> None:
    """R-MASK-2: in MES it is the "administrateur", not the médecin traitant as such, who sees masked data."""
    mt = b.professional("rpps-mt", "G15_10", is_medecin_traitant=True)
    masked = b.lab_report("MASQUE_PS")
    assert _rule(decide(mt, b.patient(), masked, b.ctx())) == (False, "R-MASK-1")


def test_an_occupational_doctor_is_not_covered_by_a_care_team_consent() -> None:
    """R-AC-2: express consent only."""
    doctor = b.occupational_doctor()
    team = b.patient(consents=(Consent(subject_id=doctor.id, kind=ConsentKind.CARE_TEAM),))
    assert _rule(decide(doctor, team, b.lab_report(), b.ctx())) == (False, "R-AC-2")
    express = b.patient(consents=(b.explicit(doctor.id),))
    assert _rule(decide(doctor, express, b.lab_report(), b.ctx())) == (True, "R-AC-12")


@pytest.mark.parametrize("code", ["R", "V"])
def test_legacy_restricted_codes_are_treated_as_masked(code: str) -> None:
    """§2.4: R/V are not used by MES; fail closed by treating them as MASQUE_PS [I]."""
    patient = b.patient(consents=(b.explicit(b.GP_ID),))
    assert _rule(decide(b.gp(), patient, b.lab_report(code), b.ctx())) == (False, "R-MASK-1")


# --- emergency details (R-EM-*) ---------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_break_the_glass_needs_a_written_reason(reason: str) -> None:
    """R-EM-6."""
    decision = decide(b.hospital_doctor(), b.patient(), b.lab_report(), b.btg(reason=reason))
    assert _rule(decision) == (False, "R-EM-6")


def test_a_break_the_glass_session_expires_after_a_day() -> None:
    """R-EM-6 [I]: re-justification per session; sessions last at most 24 hours."""
    context = b.ctx(
        mode=AccessMode.BTG, reason="Inconscient", emergency_started_at=b.NOW - timedelta(hours=24, seconds=1)
    )
    assert _rule(decide(b.hospital_doctor(), b.patient(), b.lab_report(), context)) == (False, "R-EM-6")
    fresh = b.ctx(mode=AccessMode.BTG, reason="Inconscient", emergency_started_at=b.NOW - timedelta(hours=23))
    assert decide(b.hospital_doctor(), b.patient(), b.lab_report(), fresh).allowed


def test_samu_access_is_reserved_to_the_regulator() -> None:
    """R-EM-2."""
    assert _rule(decide(b.hospital_doctor(), b.patient(), b.lab_report(), b.samu())) == (False, "R-EM-2")
    assert _rule(decide(b.regulator(), b.patient(), b.lab_report(), b.samu())) == (True, "R-EM-2")


def test_establishment_software_cannot_break_the_glass() -> None:
    """R-EM-1: the emergency is declared by a professional in person."""
    software = ActorFacts(
        kind=ActorKind.ORGANISATION, id=b.HOSPITAL_ORG_ID, organisation_id=b.HOSPITAL_ORG_ID
    )
    assert _rule(decide(software, b.patient(), b.lab_report(), b.btg())) == (False, "R-EM-1")


def test_the_matrix_still_applies_in_emergency() -> None:
    """R-MAT-6: emergency widens who may enter, not the matrix."""
    directives = DocumentFacts(document_id="da", type_code="EXPPAT_3", class_code="90", patient_uploaded=True)
    assert _rule(decide(b.dentist(), b.patient(), directives, b.btg())) == (False, "R-MAT-1")


def test_a_blocked_professional_is_refused_even_in_emergency() -> None:
    """R-BLK-2 + Appendix A: blocking is checked before the mode; a block is an express objection."""
    patient = b.patient(blocked_actor_ids=frozenset({b.HOSPITAL_PS_ID}))
    assert _rule(decide(b.hospital_doctor(), patient, b.lab_report(), b.btg())) == (False, "R-BLK-2")


def test_the_patient_side_cannot_use_emergency_modes() -> None:
    assert _rule(decide(b.holder(), b.patient(), b.lab_report(), b.btg())) == (False, "R-EM-1")


# --- lists ------------------------------------------------------------------------------------------------


def test_filter_documents_keeps_the_visible_documents_in_order() -> None:
    """List queries: same decisions as one-by-one consultation."""
    patient = b.patient(consents=(b.explicit(b.DENTIST_ID),))
    visible_1 = b.lab_report(document_id="a")
    masked = b.lab_report("MASQUE_PS", document_id="b")
    directives = DocumentFacts(document_id="c", type_code="EXPPAT_3", class_code="90", patient_uploaded=True)
    visible_2 = b.lab_report(document_id="d")
    docs = [visible_1, masked, directives, visible_2]
    kept = filter_documents(b.dentist(), patient, docs, b.ctx(Action.DOWNLOAD))
    assert [d.document_id for d in kept] == ["a", "d"]
    rules = [decision.rule for _, decision in decide_many(b.dentist(), patient, docs, b.ctx())]
    assert rules == ["R-AC-12", "R-MASK-1", "R-MAT-1", "R-AC-12"]
