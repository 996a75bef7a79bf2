"""Hypothesis properties of the access policy over random combinations of facts (SPEC §2.10, §3, R-MIN-5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from carnet.access.facts import (
    DOCUMENT_ACTIONS,
    EXPRESS_CONSENT_KINDS,
    READ_ACTIONS,
    AccessMode,
    Action,
    ActorFacts,
    Confidentiality,
    Consent,
    ConsentKind,
    DocumentFacts,
    DocumentStatus,
    EmergencySetting,
    EmergencySettings,
    ForbiddenActorKind,
    PatientFacts,
    RequestContext,
    SpaceStatus,
)
from carnet.access.policy import EMERGENCY_OBLIGATIONS, Decision, decide
from carnet.common.actors import ActorKind
from tests.access import builders as b

IDS = ["patient-1", "parent-1", "aidant-1", "rpps-a", "rpps-b", "rpps-lab", "finess-lab", "finess-x"]
ORGS = ["", "finess-lab", "finess-x"]
PROFESSIONS = ["", "G15_10", "G15_21", "G15_40", "G15_60", "G15_80", "G15_99"]
TYPES = ["11502-2", "EXPPAT_3", "15508-5", "REMB", "ATTEST-RESID", "DOCPAT03", "68599-0", "UNKNOWN"]
CLASSES = ["10", "11", "60", "90", "95"]
ALL_KINDS: list[ActorKind | ForbiddenActorKind] = [*ActorKind, *ForbiddenActorKind]
SETTING = st.sampled_from(list(EmergencySetting))
OFFSET = st.integers(min_value=-60, max_value=60).map(lambda d: b.NOW + timedelta(days=d))

actors = st.builds(
    ActorFacts,
    kind=st.sampled_from(ALL_KINDS),
    id=st.sampled_from(IDS),
    organisation_id=st.sampled_from(ORGS),
    profession_code=st.sampled_from(PROFESSIONS),
    specialty_code=st.sampled_from(["", "G15_10/SM25", "G15_10/SM59"]),
    is_samu_regulator=st.booleans(),
    is_occupational_doctor=st.booleans(),
    is_medecin_traitant=st.booleans(),
    is_administrator=st.booleans(),
)


@st.composite
def consents(draw: st.DrawFn) -> Consent:
    kind = draw(st.sampled_from(list(ConsentKind)))
    expires = draw(OFFSET) if kind == ConsentKind.TEMPORARY else draw(st.none() | OFFSET)
    return Consent(subject_id=draw(st.sampled_from(IDS)), kind=kind, expires_at=expires)


id_sets = st.frozensets(st.sampled_from(IDS), max_size=4)
patients = st.builds(
    PatientFacts,
    patient_id=st.just("p-1"),
    holder_id=st.just("patient-1"),
    space_status=st.sampled_from(list(SpaceStatus)),
    is_minor=st.booleans(),
    legal_representative_ids=id_sets,
    caregiver_ids=id_sets,
    blocked_actor_ids=id_sets,
    consents=st.lists(consents(), max_size=3).map(tuple),
    emergency=st.builds(EmergencySettings, etreat=SETTING, btg=SETTING, masked=SETTING),
)
documents = st.builds(
    DocumentFacts,
    document_id=st.just("doc"),
    type_code=st.sampled_from(TYPES),
    class_code=st.sampled_from(CLASSES),
    confidentiality=st.frozensets(
        st.sampled_from([c.value for c in Confidentiality]), min_size=1, max_size=4
    ),
    author_professional_id=st.sampled_from(["", *IDS]),
    author_organisation_id=st.sampled_from(ORGS),
    patient_uploaded=st.booleans(),
    system_document=st.booleans(),
    status=st.sampled_from(list(DocumentStatus)),
    invisible_until=st.none() | OFFSET,
)
contexts = st.builds(
    RequestContext,
    action=st.sampled_from([*Action, "export_everything"]),
    now=st.just(b.NOW),
    mode=st.sampled_from(list(AccessMode)),
    reason=st.sampled_from(["", "  ", "Patient inconscient"]),
    emergency_started_at=st.none()
    | st.integers(min_value=0, max_value=48).map(lambda h: b.NOW - timedelta(hours=h)),
)
maybe_documents = st.none() | documents


def _with_code(document: DocumentFacts, code: str) -> DocumentFacts:
    """The same document, certainly carrying ``code`` (still at most 4 codes)."""
    others = sorted(document.confidentiality - {code})[:3]
    return replace(document, confidentiality=frozenset({code, *others}))


def _is_author(actor: ActorFacts, document: DocumentFacts) -> bool:
    mine = {actor.id, actor.organisation_id} - {""}
    return bool(mine & ({document.author_professional_id, document.author_organisation_id} - {""}))


@settings(max_examples=150, deadline=None)
@given(actors, patients, maybe_documents, contexts)
def test_every_decision_names_a_rule_and_a_reason(
    actor: ActorFacts, patient: PatientFacts, document: DocumentFacts | None, context: RequestContext
) -> None:
    decision = decide(actor, patient, document, context)
    assert isinstance(decision, Decision)
    assert isinstance(decision.allowed, bool)
    assert decision.rule.strip()
    assert decision.reason.strip()


@settings(max_examples=150, deadline=None)
@given(actors, patients, maybe_documents, contexts, st.sampled_from(list(ForbiddenActorKind)))
def test_forbidden_actors_are_always_denied(
    actor: ActorFacts,
    patient: PatientFacts,
    document: DocumentFacts | None,
    context: RequestContext,
    kind: ForbiddenActorKind,
) -> None:
    """R-AC-1 (L1111-18): insurers, mutuelles and employers are refused whatever their flags or consents."""
    forbidden = ActorFacts(**{**actor.__dict__, "kind": kind})
    patient = PatientFacts(**{**patient.__dict__, "consents": (*patient.consents, b.explicit(forbidden.id))})
    decision = decide(forbidden, patient, document, context)
    assert not decision.allowed
    assert decision.rule in ("R-AC-1", "DEFAULT-DENY")


@settings(max_examples=150, deadline=None)
@given(actors, patients, documents, contexts)
def test_no_path_returns_a_masked_document_to_an_unauthorised_professional(
    actor: ActorFacts, patient: PatientFacts, document: DocumentFacts, context: RequestContext
) -> None:
    """R-MASK-1/2/5: a masked document reaches a professional only as its author, as administrateur, or in
    emergency with MASKED=permit."""
    document = _with_code(document, Confidentiality.MASQUE_PS)
    decision = decide(actor, patient, document, context)
    if decision.allowed and actor.is_professional_side and context.action in READ_ACTIONS:
        emergency_permit = (
            context.mode != AccessMode.NORMAL and patient.emergency.masked == EmergencySetting.PERMIT
        )
        assert _is_author(actor, document) or actor.is_administrator or emergency_permit


@settings(max_examples=150, deadline=None)
@given(actors, patients, documents, contexts)
def test_a_blocked_professional_reads_only_what_he_authored(
    actor: ActorFacts, patient: PatientFacts, document: DocumentFacts, context: RequestContext
) -> None:
    """R-BLK-2: blocked means no access, in every mode (Appendix A checks blocking before the mode); the
    author keeps access to his own documents (R-MASK-1)."""
    patient = replace(patient, blocked_actor_ids=patient.blocked_actor_ids | {actor.id})
    if actor.is_professional_side and context.action in READ_ACTIONS:
        decision = decide(actor, patient, document, context)
        assert not decision.allowed or _is_author(actor, document)


@settings(max_examples=150, deadline=None)
@given(actors, patients, documents, contexts)
def test_legal_representatives_never_see_documents_hidden_from_them(
    actor: ActorFacts, patient: PatientFacts, document: DocumentFacts, context: RequestContext
) -> None:
    """R-MIN-5: INVISIBLE_REPRESENTANTS_LEGAUX filters every action of a legal-representative session."""
    rep = ActorFacts(kind=ActorKind.LEGAL_REPRESENTATIVE, id=actor.id)
    patient = replace(patient, legal_representative_ids=patient.legal_representative_ids | {rep.id})
    document = _with_code(document, Confidentiality.INVISIBLE_REPRESENTANTS_LEGAUX)
    if context.action in DOCUMENT_ACTIONS:
        assert not decide(rep, patient, document, context).allowed


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from([ActorKind.PATIENT, ActorKind.LEGAL_REPRESENTATIVE, ActorKind.CAREGIVER]),
    patients,
    documents,
    contexts,
)
def test_the_patient_side_never_sees_a_document_before_its_announcement(
    kind: ActorKind, patient: PatientFacts, document: DocumentFacts, context: RequestContext
) -> None:
    """R-MASK-6: INVISIBLE_PATIENT hides the document from the patient side until invisible_until."""
    actor = ActorFacts(kind=kind, id=patient.holder_id)
    patient = replace(
        patient,
        legal_representative_ids=patient.legal_representative_ids | {actor.id},
        caregiver_ids=patient.caregiver_ids | {actor.id},
    )
    document = _with_code(document, Confidentiality.INVISIBLE_PATIENT)
    if document.is_invisible_to_patient_at(context.now) and context.action in DOCUMENT_ACTIONS:
        assert not decide(actor, patient, document, context).allowed


@settings(max_examples=150, deadline=None)
@given(actors, patients, documents, contexts)
def test_an_occupational_doctor_reads_only_with_express_consent(
    actor: ActorFacts, patient: PatientFacts, document: DocumentFacts, context: RequestContext
) -> None:
    """R-AC-2."""
    doctor = ActorFacts(**{**actor.__dict__, "kind": ActorKind.PROFESSIONAL, "is_occupational_doctor": True})
    decision = decide(doctor, patient, document, context)
    if decision.allowed and context.action in READ_ACTIONS and not _is_author(doctor, document):
        valid = patient.valid_consents(doctor, context.now)
        assert any(c.kind in EXPRESS_CONSENT_KINDS for c in valid)
        assert context.mode == AccessMode.NORMAL


@settings(max_examples=150, deadline=None)
@given(actors, patients, maybe_documents, contexts)
def test_nothing_is_allowed_on_a_space_that_is_not_open(
    actor: ActorFacts, patient: PatientFacts, document: DocumentFacts | None, context: RequestContext
) -> None:
    """R-LC-1, R-LC-3, R-LC-21, R-LC-22, R-LC-24."""
    if patient.space_status not in (SpaceStatus.ACTIVATED, SpaceStatus.OPEN_NOT_ACTIVATED):
        assert not decide(actor, patient, document, context).allowed


@settings(max_examples=150, deadline=None)
@given(actors, patients, documents, contexts)
def test_an_allowed_emergency_read_always_carries_notification_and_banner(
    actor: ActorFacts, patient: PatientFacts, document: DocumentFacts, context: RequestContext
) -> None:
    """R-EM-3, R-EM-6: emergency access is notified a posteriori and shown during the whole access."""
    decision = decide(actor, patient, document, context)
    emergency_read = context.mode != AccessMode.NORMAL and context.action in READ_ACTIONS
    if decision.allowed and emergency_read and not _is_author(actor, document):
        assert decision.obligations == EMERGENCY_OBLIGATIONS
