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
    AGENDA_ACTIONS,
    BTG_SESSION_DURATION,
    DOCUMENT_ACTIONS,
    EXPRESS_CONSENT_KINDS,
    MESSAGE_ACTIONS,
    MESSAGE_SECRECY_ACTIONS,
    PROFILE_ACTIONS,
    PROFILE_ADULT_ONLY_SECTIONS,
    PROFILE_HOLDER_ONLY_SECTIONS,
    PROFILE_SECTION_TYPES,
    PROFILE_SHARED_SECTIONS,
    READ_ACTIONS,
    AccessMode,
    Action,
    ActorFacts,
    ConsentKind,
    ConversationFacts,
    DocumentFacts,
    DocumentStatus,
    EmergencySetting,
    PatientFacts,
    ProfileSection,
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
    {
        Action.MASK,
        Action.UNMASK,
        Action.BLOCK,
        Action.UNBLOCK,
        Action.MANAGE_SHARING,
        Action.MANAGE_EMERGENCY,
        Action.VIEW_TRACES,
    }
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
    if action in MESSAGE_ACTIONS:
        return _decide_message_patient_side(actor, patient, action, context.conversation)
    if action in PROFILE_ACTIONS:
        return _decide_profile_patient_side(actor, patient, action, context)
    if action == Action.VACCINATION_WRITE:
        return _decide_vaccination_write_patient_side(actor, document)
    if action in AGENDA_ACTIONS:
        rule, reason = _AGENDA_RULE[ActorKind(kind)]
        return _allow(rule, reason)

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
    if action == Action.MANAGE_EMERGENCY:
        return _allow("R-EM-4", "the holder sets his three emergency consents (SAMU, BTG, masked)")
    if action == Action.VIEW_TRACES:
        return _allow("R-TR-2", "the holder sees the traces of his record at any time")
    return _deny(DEFAULT_DENY, f"action {action} is not foreseen for the patient side")


_AGENDA_RULE = {
    ActorKind.PATIENT: ("R-AG-1", "the holder keeps his own diary"),
    ActorKind.LEGAL_REPRESENTATIVE: ("R-MIN-1", "the legal representative keeps the minor's diary"),
    ActorKind.CAREGIVER: ("R-DEL-2", "the caregiver manages the helped person's appointments"),
}

_PROFILE_RULE = {
    ActorKind.PATIENT: ("R1111-27", "the holder fills his own health questionnaire"),
    ActorKind.LEGAL_REPRESENTATIVE: ("R-MIN-1", "the legal representative acts for the minor"),
    ActorKind.CAREGIVER: ("R-DEL-2", "the caregiver consults, adds, modifies and deletes the holder's data"),
}


def _profile_section(context: RequestContext) -> ProfileSection | None:
    try:
        return ProfileSection(context.section)
    except ValueError:
        return None


def _decide_profile_patient_side(
    actor: ActorFacts, patient: PatientFacts, action: Action, context: RequestContext
) -> Decision:
    """The medical profile on the holder's side (SPEC §4): read and write every section, except
    advance directives (R-MIN-3) and the trusted person (CSP L1111-6) for minors, and the holder's
    personal acts for caregivers (advance directives, trusted person, organ donation; [I] R-DEL-2)."""
    section = _profile_section(context)
    if section is None:
        return _deny(DEFAULT_DENY, "unknown profile section")
    if action == Action.PROFILE_WRITE:
        if patient.is_minor and section in PROFILE_ADULT_ONLY_SECTIONS:
            rule = PROFILE_ADULT_ONLY_SECTIONS[section]
            return _deny(rule, f"a minor's profile has no {section.lower()} section")
        if actor.kind == ActorKind.CAREGIVER and section in PROFILE_HOLDER_ONLY_SECTIONS:
            return _deny(
                "R-DEL-2", f"{section.lower()} is a personal act of the holder, not of his caregiver"
            )
    rule, reason = _PROFILE_RULE[ActorKind(actor.kind)]
    return _allow(rule, reason)


# --------------------------------------------------------------------------------------------------
# Professional side: health professionals and establishments' software


def _decide_profile_professional(
    actor: ActorFacts,
    patient: PatientFacts,
    action: Action,
    mode: AccessMode,
    context: RequestContext,
    matrix: AuthorisationMatrix | None,
) -> Decision:
    """R-PML-1: professionals read "Entourage et volontés" (advance directives and the organ-donation
    statement included) and vaccinations like a document of the matching J07 type (author, blocking,
    consent, matrix, emergency modes: Appendix A); the other sections only through a saved profile summary.
    They do not fill the holder's questionnaire."""
    section = _profile_section(context)
    if section is None:
        return _deny(DEFAULT_DENY, "unknown profile section")
    if action == Action.PROFILE_WRITE:
        return _deny("R-PML-1", "professionals do not fill the holder's health questionnaire")
    if section not in PROFILE_SHARED_SECTIONS:
        return _deny("R-PML-1", "this section reaches professionals only through a saved profile summary")
    type_code, class_code = PROFILE_SECTION_TYPES[section]
    probe = DocumentFacts(document_id=f"profile:{section}", type_code=type_code, class_code=class_code)
    decision = _decide_professional_read(actor, patient, probe, mode, context, matrix)
    if not decision:
        return decision
    return Decision(True, decision.rule, f"R-PML-1 shared section; {decision.reason}", decision.obligations)


def _decide_vaccination_write_patient_side(actor: ActorFacts, entry: DocumentFacts | None) -> Decision:
    """Vaccinations on the holder's side (SPEC §4, R-DEL-2): add any; change or delete only the entries
    the holder's side wrote ([I], like its own uploads, R-DOC-10): a professional's entry is his (R-VER-2)."""
    if entry is not None and not entry.patient_uploaded:
        return _deny("R-VER-2", "a vaccination entered by a professional is changed by its author only")
    rule, reason = _PROFILE_RULE[ActorKind(actor.kind)]
    return _allow(rule, reason)


def _decide_vaccination_write_professional(
    actor: ActorFacts,
    patient: PatientFacts,
    entry: DocumentFacts | None,
    mode: AccessMode,
    context: RequestContext,
    matrix: AuthorisationMatrix | None,
) -> Decision:
    """R-PML-1: authorised professionals add and complete vaccinations (a pharmacist who vaccinates).

    * changing or deleting an entry: its author only (R-VER-2), never in SAMU mode (R-EM-2);
    * adding one: in normal mode only [I], and only if he may read the holder's vaccinations (blocking,
      occupational doctors, matrix cell of the "Note de vaccination" type, consent: Appendix A).
    """
    if mode == AccessMode.SAMU:
        return _deny("R-EM-2", "the SAMU regulator consults only; he does not feed the record")
    if entry is not None:
        if not is_author(actor, entry):
            return _deny("R-VER-2", "only its author (professional or establishment) changes a vaccination")
        return _allow("R-VER-2", "the author completes or deletes his own vaccination entry")
    if mode != AccessMode.NORMAL:
        return _deny("R-EM-1", "[I] vaccinations are added in normal access mode only")
    type_code, class_code = PROFILE_SECTION_TYPES[ProfileSection.VACCINATIONS]
    probe = DocumentFacts(document_id="profile:VACCINATIONS", type_code=type_code, class_code=class_code)
    decision = _decide_professional_read(actor, patient, probe, mode, context, matrix)
    if not decision:
        return decision
    return _allow("R-PML-1", f"an authorised professional adds a vaccination ({decision.rule})")


def _actor_ids(actor: ActorFacts) -> set[str]:
    return {actor.id, actor.organisation_id} - {""}


def is_author(actor: ActorFacts, document: DocumentFacts) -> bool:
    """R-MASK-1: the depositing professional or establishment (the actor's own id or the establishment he
    acts for) is the document's author; he keeps access to it whatever the holder decided."""
    if not actor.is_professional_side:
        return False
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
    if action in AGENDA_ACTIONS:
        return _deny("R-AG-6", "[I] professionals feed the diary through the agenda API, not the policy")
    if action in MESSAGE_ACTIONS:
        return _decide_message_professional(actor, patient, action, mode, context.conversation)
    if action in PROFILE_ACTIONS:
        return _decide_profile_professional(actor, patient, action, mode, context, matrix)
    if action == Action.VACCINATION_WRITE:
        return _decide_vaccination_write_professional(actor, patient, document, mode, context, matrix)
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
        if not is_author(actor, document):
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
    if action == Action.MANAGE_EMERGENCY:
        return _deny("R-EM-4", "only the holder's side sets the emergency consents")
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
    if is_author(actor, document):
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


# --------------------------------------------------------------------------------------------------
# Secure messaging (SPEC §5)

_MESSAGE_READ_RULE = {
    ActorKind.PATIENT: ("R-MSG-1", "the holder reads his secure messaging"),
    ActorKind.LEGAL_REPRESENTATIVE: ("R-MIN-1", "the legal representative acts for the minor"),
    ActorKind.CAREGIVER: ("R-DEL-2", "the caregiver reads and sends messages to the holder's professionals"),
}


def conversation_hidden_from(viewer_kind: str, conversation: ConversationFacts | None) -> bool:
    """R-MIN-5 [I]: a conversation marked confidential is hidden from the minor's legal representatives:
    its content, its sender, its notifications, its traces. The one predicate behind the answers below and
    behind what the messaging leaves out of a representative's lists, notifications and history."""
    return bool(
        conversation is not None
        and conversation.confidential
        and viewer_kind == ActorKind.LEGAL_REPRESENTATIVE
    )


def _decide_message_secrecy(
    actor: ActorFacts, patient: PatientFacts, action: Action, conversation: ConversationFacts | None
) -> Decision | None:
    """R-MIN-5 [I]: who keeps a minor's conversation from his legal representatives, and who lifts that.

    * the professional or establishment taking part in it (at the minor's request, as for a document's
      ``INVISIBLE_REPRESENTANTS_LEGAUX``), at creation or later; he lifts only what his side set;
    * the minor himself, logged in with his own access, once he is old enough
      (``PatientFacts.minor_may_ask_secrecy``); he may lift it whoever set it;
    * never his legal representatives or a caregiver; only while the holder is a minor; not once deleted.

    None when ``action`` is not a secrecy action (the caller goes on with its own checks)."""
    if action not in MESSAGE_SECRECY_ACTIONS:
        return None
    if conversation is None:
        return _deny(DEFAULT_DENY, f"action {action} needs a conversation")
    if actor.is_patient_side and actor.kind != ActorKind.PATIENT:
        return _deny("R-MIN-5", "only the minor or his professional decides on the secrecy of an exchange")
    if not patient.is_minor:
        return _deny("R-MIN-5", "only a minor's exchanges are kept from legal representatives")
    if conversation.deleted_by_patient:
        return _deny("R-MSG-6", "the conversation was deleted for good")
    if actor.kind == ActorKind.PATIENT:
        if not patient.minor_may_ask_secrecy:
            return _deny("R-MIN-5", "[I] the minor is not old enough to decide this himself")
        return _allow("R-MIN-5", "the minor decides the secrecy of his own exchange")
    if action == Action.MESSAGE_LIFT_CONFIDENTIAL and conversation.confidential_set_by_holder:
        return _deny("R-MIN-5", "the minor asked for this secrecy himself: only he lifts it")
    return _allow("R-MIN-5", "the professional keeps the minor's exchange from his legal representatives")


def _decide_message_patient_side(
    actor: ActorFacts, patient: PatientFacts, action: Action, conversation: ConversationFacts | None
) -> Decision:
    """The holder, his legal representative (R-MIN-1) or his caregiver (R-DEL-2) in the messaging:

    * never a conversation kept from legal representatives when he is one (R-MIN-5), whatever the act;
    * reads the space's conversations (not the ones the holder's side deleted, R-MSG-6);
    * starts a new conversation only with a professional who already wrote and did not end the exchange,
      never with a no-reply sender (R-MSG-2); replies unless the professional ended the exchange
      (``REPLY_BLOCKED``) or the sender is a no-reply address (``NO_REPLY``, R-MSG-3);
    * never ends a conversation (the professional's act, R-MSG-3);
    * deletes a conversation for good (R-MSG-6); [I] not a caregiver: R-DEL-2 lets him read and send
      messages, not destroy the holder's correspondence.
    """
    kind = ActorKind(actor.kind)
    if conversation_hidden_from(kind, conversation):
        return _deny("R-MIN-5", "the minor's confidential exchange is hidden from legal representatives")
    secrecy = _decide_message_secrecy(actor, patient, action, conversation)
    if secrecy is not None:
        return secrecy
    if action == Action.MESSAGE_END:
        return _deny("R-MSG-3", "only the professional ends an exchange")
    if action == Action.MESSAGE_READ:
        if conversation is not None and conversation.deleted_by_patient:
            return _deny("R-MSG-6", "the conversation was deleted for good")
        return _allow(*_MESSAGE_READ_RULE[kind])
    if conversation is None:
        return _deny(DEFAULT_DENY, f"action {action} needs a conversation")
    if conversation.deleted_by_patient:
        return _deny("R-MSG-6", "the conversation was deleted for good")
    if action == Action.MESSAGE_DELETE:
        if kind == ActorKind.CAREGIVER:
            return _deny("R-DEL-2", "[I] a caregiver reads and sends messages but does not delete them")
        return _allow("R-MSG-6", "the holder's side deletes a conversation permanently")
    if conversation.no_reply:
        return _deny("R-MSG-3", "NO_REPLY: the sender does not accept answers")
    if action == Action.MESSAGE_START:
        if not conversation.counterpart_has_written:
            return _deny("R-MSG-2", "the patient writes only to professionals who already wrote to him")
        if conversation.ended:
            return _deny("R-MSG-2", "the professional ended the exchanges")
        return _allow("R-MSG-2", "the professional already wrote and did not end the exchanges")
    if conversation.ended:
        return _deny("R-MSG-3", "REPLY_BLOCKED: the professional ended the exchange")
    rule, reason = _MESSAGE_READ_RULE[kind]
    return _allow("R-MSG-3" if kind == ActorKind.PATIENT else rule, reason)


def _decide_message_professional(
    actor: ActorFacts,
    patient: PatientFacts,
    action: Action,
    mode: AccessMode,
    conversation: ConversationFacts | None,
) -> Decision:
    """Professionals and establishments in the messaging (SPEC §5):

    * start a conversation with any patient whose space is open, without consent to consult the record and
      even when blocked (R-MSG-2, R-DEP-5, R-BLK-2 [I]);
    * read, write in and end only the conversations they take part in (R-MSG-1, R-MSG-3); nobody writes in
      an ended conversation (a new one is started instead) or in one the holder deleted (R-MSG-6);
    * never delete the holder's conversations (R-MSG-6); messaging is not an emergency access mode;
    * keep a minor's conversation they take part in from his legal representatives (R-MIN-5 [I]).
    """
    if mode != AccessMode.NORMAL:
        return _deny("R-MSG-1", "the messaging is not an emergency access")
    if action == Action.MESSAGE_START:
        return _allow("R-MSG-2", "professionals and establishments start conversations, without consent")
    if action == Action.MESSAGE_DELETE:
        return _deny("R-MSG-6", "only the holder's side deletes a conversation")
    if conversation is None:
        return _deny(DEFAULT_DENY, f"action {action} needs a conversation")
    if not (_actor_ids(actor) & set(conversation.counterpart_ids)):
        return _deny("R-MSG-1", "the professional does not take part in this conversation")
    if action == Action.MESSAGE_READ:
        return _allow("R-MSG-1", "the professional reads his own conversation with the patient")
    secrecy = _decide_message_secrecy(actor, patient, action, conversation)
    if secrecy is not None:
        return secrecy
    if conversation.deleted_by_patient:
        return _deny("R-MSG-6", "the holder deleted this conversation")
    if action == Action.MESSAGE_END:
        return _allow("R-MSG-3", "the professional ends the exchange")
    if conversation.ended:
        return _deny("R-MSG-3", "the exchange is ended: start a new conversation")
    return _allow("R-MSG-1", "the professional writes in his conversation with the patient")
