"""THE access decision (ARCHITECTURE invariant 1): ``decide(actor, patient, document, context) -> Decision``.

A pure function over the plain facts of ``carnet.access.facts`` and the versioned matrix of
``carnet.access.matrix``. It implements SPEC Appendix A, extended with §2.10 (masking), §3 (forbidden
actors, consent kinds, matrix, blocking, emergency modes), R-LC-14 (before activation) and R-MIN-5.
Every decision names the SPEC rule that decided it; anything not foreseen is denied with ``DEFAULT-DENY``.

Order of the checks (first match wins), documented in ``docs/subsystems/access.md``:

1. unknown action / mode / actor kind, document missing for a document action → ``DEFAULT-DENY``
2. forbidden actors (insurer, mutuelle, employer), even with consent → ``R-AC-1``
3. space status: OPPOSED ``R-LC-1``, INFORMED ``R-LC-3``, CLOSED ``R-LC-21``, DELETED ``R-LC-22``,
   SUSPENDED ``R-LC-24``; before activation only professionals act (``R-LC-14``)
4. the actor kind's own rules (patient side, professional side, operator, insurance feed, system).

The decision's ``reason`` is for developers and traces (English, no health data); pages show their own
French message and must not reveal whether a document exists (STYLE "fail closed").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from zoneinfo import ZoneInfo

from carnet.access.facts import (
    BTG_SESSION_DURATION,
    DOCUMENT_ACTIONS,
    EXPRESS_CONSENT_KINDS,
    READ_ACTIONS,
    AccessMode,
    Action,
    ActorFacts,
    ConsentKind,
    DocumentFacts,
    DocumentStatus,
    EmergencySetting,
    PatientFacts,
    RequestContext,
    SpaceStatus,
)
from carnet.access.matrix import AuthorisationMatrix, load_matrix
from carnet.common.actors import ActorKind

PARIS = ZoneInfo("Europe/Paris")
DEFAULT_DENY = "DEFAULT-DENY"
ADVANCE_DIRECTIVES_TYPE = "EXPPAT_3"  # J07: Directives anticipées
REIMBURSEMENT_CLASS = "60"  # J57: Données de remboursement


class Obligation(StrEnum):
    """What the caller must do when it acts on an allowing decision (besides tracing it, always)."""

    NOTIFY_EMERGENCY_ACCESS = "notify_emergency_access"  # R-EM-3: patient and médecin traitant, a posteriori
    SHOW_EMERGENCY_BANNER = "show_emergency_banner"  # R-EM-6: shown during the whole access


EMERGENCY_OBLIGATIONS = frozenset({Obligation.NOTIFY_EMERGENCY_ACCESS, Obligation.SHOW_EMERGENCY_BANNER})


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule: str  # the SPEC rule id that decided (R-MASK-2, R-AC-1...) or DEFAULT-DENY
    reason: str
    obligations: frozenset[Obligation] = frozenset()

    def __bool__(self) -> bool:
        return self.allowed


def _allow(rule: str, reason: str, obligations: frozenset[Obligation] = frozenset()) -> Decision:
    return Decision(True, rule, reason, obligations)


def _deny(rule: str, reason: str) -> Decision:
    return Decision(False, rule, reason)


_STATUS_DENIALS: dict[SpaceStatus, tuple[str, str]] = {
    SpaceStatus.OPPOSED: ("R-LC-1", "the person opposed the creation of the space"),
    SpaceStatus.INFORMED: ("R-LC-3", "the space is not open yet (opposition window)"),
    SpaceStatus.CLOSED: ("R-LC-21", "the space is closed (archived)"),
    SpaceStatus.DELETED: ("R-LC-22", "the space is deleted"),
    SpaceStatus.SUSPENDED: ("R-LC-24", "the space is suspended"),
}


def decide(
    actor: ActorFacts,
    patient: PatientFacts,
    document: DocumentFacts | None,
    context: RequestContext,
    *,
    matrix: AuthorisationMatrix | None = None,
) -> Decision:
    """May ``actor`` do ``context.action`` on ``document`` (or on the record, if None) of ``patient``?"""
    try:
        action = Action(context.action)
        mode = AccessMode(context.mode)
    except ValueError:
        return _deny(DEFAULT_DENY, "unknown action or access mode")
    if action in DOCUMENT_ACTIONS and document is None:
        return _deny(DEFAULT_DENY, f"action {action} needs a document")
    if actor.is_forbidden:
        return _deny("R-AC-1", f"{actor.kind} may never access a DMP, even with the holder's consent")
    try:
        status = SpaceStatus(patient.space_status)
    except ValueError:
        return _deny(DEFAULT_DENY, "unknown space status")
    if status in _STATUS_DENIALS:
        rule, reason = _STATUS_DENIALS[status]
        return _deny(rule, reason)

    kind = actor.kind
    if kind in (ActorKind.PATIENT, ActorKind.LEGAL_REPRESENTATIVE, ActorKind.CAREGIVER):
        if status != SpaceStatus.ACTIVATED:
            return _deny("R-LC-14", "the space is not activated: only professionals act on it")
        return _decide_patient_side(actor, patient, document, action, mode, context)
    if kind in (ActorKind.PROFESSIONAL, ActorKind.ORGANISATION):
        return _decide_professional(actor, patient, document, action, mode, context, matrix)
    if kind == ActorKind.OPERATOR:
        return _deny("R-AC-4", "operator staff have no access to medical content")
    if kind == ActorKind.INSURANCE:
        if action == Action.DEPOSIT and mode == AccessMode.NORMAL:
            if document is None or document.class_code == REIMBURSEMENT_CLASS:
                return _allow("R-DEP-3", "the health-insurance feed deposits reimbursement data")
            return _deny("R-DEP-3", "the health-insurance feed only deposits reimbursement data (class 60)")
        return _deny("R-AC-4", "the health-insurance organisation has no access path to the record")
    if kind == ActorKind.SYSTEM:
        if (
            action == Action.DEPOSIT
            and mode == AccessMode.NORMAL
            and (document is None or document.system_document)
        ):
            return _allow("R-DOC-10", "the platform deposits its own documents")
        return _deny(DEFAULT_DENY, "scheduled jobs do not act on documents through the policy")
    return _deny(DEFAULT_DENY, "unknown actor kind")


# --------------------------------------------------------------------------------------------------
# Patient side: the holder, his legal representatives, his caregivers


_CAREGIVER_FORBIDDEN = frozenset(
    {Action.MASK, Action.UNMASK, Action.BLOCK, Action.UNBLOCK, Action.MANAGE_SHARING, Action.VIEW_TRACES}
)
_READ_RULE = {
    ActorKind.PATIENT: ("L1111-19", "the holder sees the content of his record"),
    ActorKind.LEGAL_REPRESENTATIVE: ("R-MIN-1", "the legal representative acts for the holder"),
    ActorKind.CAREGIVER: ("R-DEL-2", "the caregiver consults the holder's documents"),
}


def _decide_patient_side(
    actor: ActorFacts,
    patient: PatientFacts,
    document: DocumentFacts | None,
    action: Action,
    mode: AccessMode,
    context: RequestContext,
) -> Decision:
    kind = actor.kind
    if kind == ActorKind.PATIENT and actor.id != patient.holder_id:
        return _deny(DEFAULT_DENY, "the actor is not the holder of this record")
    if kind == ActorKind.LEGAL_REPRESENTATIVE and actor.id not in patient.legal_representative_ids:
        return _deny("R-MIN-1", "no active legal representation of this holder")
    if kind == ActorKind.CAREGIVER and actor.id not in patient.caregiver_ids:
        return _deny("R-DEL-2", "no active caregiving delegation from this holder")
    if mode != AccessMode.NORMAL:
        return _deny("R-EM-1", "emergency access modes are for health professionals")
    if action == Action.RECORD_CONSENT:
        return _deny(DEFAULT_DENY, "consent is recorded by professionals")
    if kind == ActorKind.CAREGIVER and action in _CAREGIVER_FORBIDDEN:
        return _deny("R-DEL-2", "a caregiver does not manage sharing, masking, blocking or the history")

    if action == Action.DEPOSIT:
        if document is not None and patient.is_minor and document.type_code == ADVANCE_DIRECTIVES_TYPE:
            return _deny("R-MIN-3", "minors cannot write advance directives")
        return _allow("R-DEP-3", "the holder's side feeds the record")

    if document is not None:
        if kind == ActorKind.LEGAL_REPRESENTATIVE and document.is_invisible_to_legal_representatives:
            return _deny("R-MIN-5", "the document is not visible to legal representatives")
        if document.is_invisible_to_patient_at(context.now):
            return _deny("R-MASK-6", "the document is not visible to the holder before its announcement")

    if action in READ_ACTIONS:
        rule, reason = _READ_RULE[ActorKind(kind)]
        return _allow(rule, reason)
    if action in (Action.REPLACE, Action.UPDATE_METADATA, Action.DELETE):
        assert document is not None  # checked by decide()
        if document.system_document:
            return _deny("R-DOC-10", "documents added by the platform cannot be modified or deleted")
        if not document.patient_uploaded:
            return _deny("R-DOC-10", "documents added by a professional can only be masked by the holder")
        if action == Action.REPLACE and document.status != DocumentStatus.APPROVED:
            return _deny("R-VER-1", "only the current version of a document can be replaced")
        return _allow("R-DOC-10", "the holder's side manages its own uploads")
    if action in (Action.MASK, Action.UNMASK):
        return _allow("R-MASK-1", "the holder may mask or unmask any document at any time")
    if action in (Action.BLOCK, Action.UNBLOCK, Action.MANAGE_SHARING):
        return _allow("R-BLK-1", "the holder manages who has access to his record")
    if action == Action.VIEW_TRACES:
        return _allow("R-TR-2", "the holder sees the traces of his record at any time")
    return _deny(DEFAULT_DENY, f"action {action} is not foreseen for the patient side")


# --------------------------------------------------------------------------------------------------
# Professional side: health professionals and establishments' software


def _actor_ids(actor: ActorFacts) -> set[str]:
    return {actor.id, actor.organisation_id} - {""}


def _is_author(actor: ActorFacts, document: DocumentFacts) -> bool:
    authors = {document.author_professional_id, document.author_organisation_id} - {""}
    return bool(_actor_ids(actor) & authors)


def _request_day(context: RequestContext) -> date:
    return context.now.astimezone(PARIS).date()


def _decide_professional(
    actor: ActorFacts,
    patient: PatientFacts,
    document: DocumentFacts | None,
    action: Action,
    mode: AccessMode,
    context: RequestContext,
    matrix: AuthorisationMatrix | None,
) -> Decision:
    if action in READ_ACTIONS:
        assert document is not None  # checked by decide()
        return _decide_professional_read(actor, patient, document, mode, context, matrix)

    writes = (Action.DEPOSIT, Action.REPLACE, Action.UPDATE_METADATA, Action.DELETE)
    if action in writes and mode == AccessMode.SAMU:
        return _deny("R-EM-2", "the SAMU regulator consults only; he does not feed the record")
    if action == Action.DEPOSIT:
        if actor.is_occupational_doctor and not _has_express_consent(actor, patient, context):
            return _deny("R-AC-2", "an occupational doctor feeds the record only with express consent")
        return _allow("R-DEP-5", "professionals feed the record, even without consent to consult")
    if action in (Action.REPLACE, Action.UPDATE_METADATA, Action.DELETE):
        assert document is not None
        if document.system_document:
            return _deny("R-DOC-10", "documents added by the platform cannot be modified or deleted")
        if not _is_author(actor, document):
            return _deny("R-VER-2", "only the author (professional or establishment) changes a document")
        if action in (Action.REPLACE, Action.UPDATE_METADATA) and document.status != DocumentStatus.APPROVED:
            return _deny("R-VER-1", "only the current version of a document can be replaced or updated")
        if action == Action.DELETE:
            return _allow("R-VER-2", "the author may delete its own document")
        return _allow("R-VER-1", "the author may replace its document or update its metadata")
    if action in (Action.MASK, Action.UNMASK):
        return _deny("R-MASK-1", "masking is the holder's choice; authors set confidentiality as metadata")
    if action == Action.RECORD_CONSENT:
        if actor.kind != ActorKind.PROFESSIONAL:
            return _deny(DEFAULT_DENY, "consent is recorded by a professional")
        return _allow("R-AC-14", "the professional records the consent he collected")
    if action in (Action.BLOCK, Action.UNBLOCK):
        if patient.is_blocked(actor):
            return _deny("R-BLK-2", "a blocked professional has no access to the record")
        if actor.is_administrator and mode == AccessMode.NORMAL:
            return _allow("R-BLK-3", "an administrateur may block or unblock another professional")
        return _deny("R-BLK-3", "only the holder or an administrateur blocks professionals")
    if action == Action.MANAGE_SHARING:
        return _deny("R-BLK-1", "only the holder's side manages sharing")
    if action == Action.VIEW_TRACES:
        if patient.is_blocked(actor):
            return _deny("R-BLK-2", "a blocked professional has no access to the record")
        if (actor.is_medecin_traitant or actor.is_administrator) and mode == AccessMode.NORMAL:
            return _allow("R-TR-2", "the médecin traitant and administrateurs see the record's traces")
        return _deny("R-TR-2", "only the holder, the médecin traitant and administrateurs see all traces")
    return _deny(DEFAULT_DENY, f"action {action} is not foreseen for professionals")


def _has_express_consent(actor: ActorFacts, patient: PatientFacts, context: RequestContext) -> bool:
    return any(c.kind in EXPRESS_CONSENT_KINDS for c in patient.valid_consents(actor, context.now))


_CONSENT_RULES = (
    (ConsentKind.EXPLICIT, "R-AC-12", "explicit consent of the holder"),
    (ConsentKind.CARE_TEAM, "R-AC-11", "member of the care team the holder consented to"),
    (ConsentKind.TEMPORARY, "R-AC-16", "temporary access given by the holder"),
)


def _decide_professional_read(
    actor: ActorFacts,
    patient: PatientFacts,
    document: DocumentFacts,
    mode: AccessMode,
    context: RequestContext,
    matrix: AuthorisationMatrix | None,
) -> Decision:
    # Appendix A, in order.
    if _is_author(actor, document):
        return _allow("R-MASK-1", "the depositing professional or establishment keeps access")
    if patient.is_blocked(actor):
        return _deny("R-BLK-2", "the holder blocked this professional")
    if actor.is_occupational_doctor:
        if mode != AccessMode.NORMAL:
            return _deny("R-AC-2", "an occupational doctor has no emergency access")
        if not _has_express_consent(actor, patient, context):
            return _deny("R-AC-2", "an occupational doctor consults only with the holder's express consent")

    if mode != AccessMode.NORMAL and actor.kind != ActorKind.PROFESSIONAL:
        return _deny("R-EM-1", "emergency access is for a health professional in person")

    version = (matrix or load_matrix()).version_at(_request_day(context))
    if version is None:
        return _deny("R-MAT-1", "no authorisation matrix is in force on this date")
    answer = version.lookup(
        actor.profession_code,
        actor.specialty_code,
        type_code=document.type_code,
        class_code=document.class_code,
    )
    if not answer.consult:
        return _deny("R-MAT-1", f"refused by the authorisation matrix ({answer.row})")

    masked = document.is_masked_for_professionals
    if mode == AccessMode.NORMAL:
        consents = patient.valid_consents(actor, context.now)
        kinds = {c.kind for c in consents}
        granted = next(((rule, why) for kind, rule, why in _CONSENT_RULES if kind in kinds), None)
        if granted is None and (actor.is_administrator or actor.is_medecin_traitant):
            granted = ("R-AC-15", "designated by the holder (médecin traitant or administrateur)")
        if granted is None:
            expired = any(c.subject_id in _actor_ids(actor) for c in patient.consents)
            if expired:
                return _deny("R-AC-16", "the holder's authorisation has expired")
            return _deny("R-AC-12", "no consent of the holder for this professional")
        if masked:
            if actor.is_administrator:
                return _allow("R-MASK-2", "an administrateur sees masked documents")
            return _deny("R-MASK-1", "the holder masked this document from professionals")
        return _allow(*granted)

    if mode == AccessMode.BTG:
        if patient.emergency.btg != EmergencySetting.PERMIT:
            return _deny("R-EM-1", "the holder objected to break-the-glass access")
        if not context.reason.strip():
            return _deny("R-EM-6", "break-the-glass access needs a written justification")
        started = context.emergency_started_at or context.now
        if context.now - started > BTG_SESSION_DURATION:
            return _deny("R-EM-6", "the break-the-glass session expired: justify again")
        granted_rule, granted_reason = "R-EM-1", "break-the-glass access to a person unable to consent"
    else:  # AccessMode.SAMU
        if not actor.is_samu_regulator:
            return _deny("R-EM-2", "SAMU access is reserved to the médecin régulateur")
        if patient.emergency.etreat != EmergencySetting.PERMIT:
            return _deny("R-EM-2", "the holder objected to SAMU access")
        granted_rule, granted_reason = "R-EM-2", "SAMU regulator access"
    if masked:
        if patient.emergency.masked == EmergencySetting.PERMIT or actor.is_administrator:
            return _allow(
                "R-MASK-5", "the holder allows masked documents in emergency", EMERGENCY_OBLIGATIONS
            )
        return _deny("R-MASK-5", "masked documents are not shown in emergency (MASKED=deny)")
    return _allow(granted_rule, granted_reason, EMERGENCY_OBLIGATIONS)


# --------------------------------------------------------------------------------------------------
# Many documents at once (list queries)


def decide_many(
    actor: ActorFacts,
    patient: PatientFacts,
    documents: Iterable[DocumentFacts],
    context: RequestContext,
    *,
    matrix: AuthorisationMatrix | None = None,
) -> list[tuple[DocumentFacts, Decision]]:
    """One decision per document, in order (the matrix is loaded once)."""
    matrix = matrix or load_matrix()
    return [(doc, decide(actor, patient, doc, context, matrix=matrix)) for doc in documents]


def filter_documents(
    actor: ActorFacts,
    patient: PatientFacts,
    documents: Iterable[DocumentFacts],
    context: RequestContext,
    *,
    matrix: AuthorisationMatrix | None = None,
) -> list[DocumentFacts]:
    """The documents ``actor`` may consult (context's action is forced to CONSULT), in order."""
    consult = replace(context, action=Action.CONSULT)
    return [
        doc for doc, decision in decide_many(actor, patient, documents, consult, matrix=matrix) if decision
    ]
