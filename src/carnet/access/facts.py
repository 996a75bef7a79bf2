"""The plain, immutable facts the access policy decides over (no database, no Django models).

Callers (records, profile, audit selectors, API handlers) build these from their models, then ask
``carnet.access.policy.decide``. Keeping the policy over plain data makes it exhaustively testable
and keeps ARCHITECTURE invariant 1 ("one policy") cheap to honour everywhere.

Relations between the actor and *this* patient (médecin traitant, administrateur, consent, blocking,
legal representation, caregiving) are computed by the caller for the patient at hand: an actor's
facts are only meaningful together with one ``PatientFacts``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from carnet.common.actors import ActorKind

# --------------------------------------------------------------------------------------------------
# Actors


class ForbiddenActorKind(StrEnum):
    """Actors that may never access a DMP, even with the holder's written consent (R-AC-1, CSP L1111-18).

    Kept apart from ``carnet.common.actors.ActorKind``: nobody of these kinds can log in to Carnet, but an
    API client or an operator workflow may still try to ask on their behalf, and the policy must say no.
    """

    INSURER = "INSURER"  # assureur (contract requiring a health assessment, loans included)
    MUTUELLE = "MUTUELLE"  # complementary health cover
    EMPLOYER = "EMPLOYER"


AnyActorKind = ActorKind | ForbiddenActorKind
_FORBIDDEN_VALUES = frozenset(k.value for k in ForbiddenActorKind)


@dataclass(frozen=True)
class ActorFacts:
    """Who asks. For professionals, the flags describe the relation to the patient being decided on.

    * ``profession_code``: TRE_G15 code as in JDV_J01 (``G15_10`` médecin, ``G15_40`` dentiste, ...);
      ``specialty_code`` the J01 specialty (``G15_10/SM26``) or "".
    * ``organisation_id``: the establishment the professional acts for (FINESS or public id), or, for an
      ``ORGANISATION`` actor (establishment software), its own id.
    * ``is_samu_regulator``: médecin régulateur of a centre 15 (R-EM-2).
    * ``is_occupational_doctor``: médecin du travail or médecin de sapeurs-pompiers (R-AC-2).
    * ``is_medecin_traitant`` / ``is_administrator``: roles the patient gave this professional
      (R-AC-15, R-MASK-2).
    """

    kind: AnyActorKind
    id: str
    organisation_id: str = ""
    profession_code: str = ""
    specialty_code: str = ""
    is_samu_regulator: bool = False
    is_occupational_doctor: bool = False
    is_medecin_traitant: bool = False
    is_administrator: bool = False

    @property
    def is_forbidden(self) -> bool:
        return str(self.kind) in _FORBIDDEN_VALUES

    @property
    def is_professional_side(self) -> bool:
        return self.kind in (ActorKind.PROFESSIONAL, ActorKind.ORGANISATION)

    @property
    def is_patient_side(self) -> bool:
        return self.kind in (ActorKind.PATIENT, ActorKind.LEGAL_REPRESENTATIVE, ActorKind.CAREGIVER)


# --------------------------------------------------------------------------------------------------
# Patient


class SpaceStatus(StrEnum):
    """Mirror of ``carnet.spaces.models.SpaceStatus`` (R-LC-28), kept here so the policy stays pure.

    A test checks the two stay identical.
    """

    INFORMED = "INFORMED"
    OPEN_NOT_ACTIVATED = "OPEN_NOT_ACTIVATED"
    ACTIVATED = "ACTIVATED"
    OPPOSED = "OPPOSED"
    CLOSED = "CLOSED"
    SUSPENDED = "SUSPENDED"
    DELETED = "DELETED"


class ConsentKind(StrEnum):
    """How a professional (or an establishment) was authorised by the patient (§3.2)."""

    CARE_TEAM = "CARE_TEAM"  # member of the care team, deemed authorised after initial consent (R-AC-11)
    EXPLICIT = "EXPLICIT"  # explicit consent collected by the professional (R-AC-12, R-AC-14) or pre-declared
    TEMPORARY = "TEMPORARY"  # access-specific one-time means, with an expiry (R-AC-16)


# Consents that count as the *express* consent an occupational doctor needs (R-AC-2).
EXPRESS_CONSENT_KINDS = frozenset({ConsentKind.EXPLICIT, ConsentKind.TEMPORARY})


@dataclass(frozen=True)
class Consent:
    """An active authorisation. ``subject_id`` is a professional id or an organisation id.

    ``expires_at`` is mandatory for ``TEMPORARY`` consents; a consent is no longer valid from that instant.
    Revoked consents are simply not passed to the policy.
    """

    subject_id: str
    kind: ConsentKind
    granted_at: datetime | None = None
    expires_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.kind == ConsentKind.TEMPORARY and self.expires_at is None:
            raise ValueError("a TEMPORARY consent needs an expires_at (R-AC-16)")

    def is_valid_at(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


class EmergencySetting(StrEnum):
    PERMIT = "permit"
    DENY = "deny"


@dataclass(frozen=True)
class EmergencySettings:
    """The three emergency consents of R-EM-4, each permit|deny.

    Defaults (R-EM-5): ETREAT (SAMU) = permit and BTG = permit by law (opt-out regime); MASKED = deny is
    our documented [I] default (SPEC §12 gap 5). Change ``DEFAULT_EMERGENCY_SETTINGS`` to reconfigure.
    """

    etreat: EmergencySetting = EmergencySetting.PERMIT
    btg: EmergencySetting = EmergencySetting.PERMIT
    masked: EmergencySetting = EmergencySetting.DENY


DEFAULT_EMERGENCY_SETTINGS = EmergencySettings()


@dataclass(frozen=True)
class PatientFacts:
    """The holder of the record, as far as access is concerned.

    * ``holder_id``: the actor id the holder himself logs in with (``ActorFacts.id`` of a ``PATIENT`` actor).
    * ``legal_representative_ids`` / ``caregiver_ids``: actor ids of the *active* delegations
      (R-MIN-1, R-DEL-2); at majority (R-MIN-7) the caller stops listing the parents.
    * ``blocked_actor_ids``: professionals (or establishments) the patient or an administrateur blocked
      (R-BLK-1/3).
    * ``consents``: active consents (revoked ones are left out); expiry is checked by the policy.
    * ``minor_may_ask_secrecy``: the holder is a minor old enough to ask himself that an exchange be kept
      from his legal representatives (R-MIN-5; the age is ``CARNET_MINOR_SECRECY_AGE``, [I] 15).
    """

    patient_id: str
    holder_id: str
    space_status: SpaceStatus
    is_minor: bool = False
    legal_representative_ids: frozenset[str] = frozenset()
    caregiver_ids: frozenset[str] = frozenset()
    blocked_actor_ids: frozenset[str] = frozenset()
    consents: tuple[Consent, ...] = ()
    emergency: EmergencySettings = DEFAULT_EMERGENCY_SETTINGS
    minor_may_ask_secrecy: bool = False

    def is_blocked(self, actor: ActorFacts) -> bool:
        ids = {actor.id, actor.organisation_id} - {""}
        return bool(ids & self.blocked_actor_ids)

    def valid_consents(self, actor: ActorFacts, now: datetime) -> list[Consent]:
        ids = {actor.id, actor.organisation_id} - {""}
        return [c for c in self.consents if c.subject_id in ids and c.is_valid_at(now)]


# --------------------------------------------------------------------------------------------------
# Documents


class Confidentiality(StrEnum):
    """Confidentiality codes of J08/J58 (§2.4)."""

    NORMAL = "N"
    RESTRICTED = "R"  # legacy HL7, not used by the MES UI: treated as MASQUE_PS (fail closed) [I]
    VERY_RESTRICTED = "V"  # idem
    MASQUE_PS = "MASQUE_PS"
    INVISIBLE_PATIENT = "INVISIBLE_PATIENT"
    INVISIBLE_REPRESENTANTS_LEGAUX = "INVISIBLE_REPRESENTANTS_LEGAUX"


MAX_CONFIDENTIALITY_CODES = 4  # PDSm confidentiality 1..4 (§2.4)

# Codes that hide a document from professionals who are neither authors nor administrateurs.
MASKING_CODES = frozenset(
    {Confidentiality.MASQUE_PS, Confidentiality.RESTRICTED, Confidentiality.VERY_RESTRICTED}
)


class DocumentStatus(StrEnum):
    """J52 availability status (§2.1, R-VER-1)."""

    APPROVED = "Approved"
    DEPRECATED = "Deprecated"


@dataclass(frozen=True)
class DocumentFacts:
    """One DMP entry's metadata, as far as access is concerned.

    * ``type_code`` (J07) and ``class_code`` (J57) drive the matrix.
    * ``author_professional_id`` / ``author_organisation_id``: the depositing professional and establishment,
      "" when not applicable; they keep access whatever happens (R-MASK-1).
    * ``patient_uploaded``: deposited from the patient side (holder, representative or caregiver,
      R-DEP-3 1°c); only those can be deleted by the patient (R-DOC-10).
    * ``system_document``: added by the platform itself (caregiver attestation...): nobody modifies or
      deletes it.
    * ``invisible_until``: for ``INVISIBLE_PATIENT``, the instant it becomes visible (deposit + 1 month,
      R-MASK-6); ``None`` with the code present means "until the author lifts it".
    """

    document_id: str
    type_code: str
    class_code: str
    confidentiality: frozenset[str] = frozenset({Confidentiality.NORMAL})
    author_professional_id: str = ""
    author_organisation_id: str = ""
    patient_uploaded: bool = False
    system_document: bool = False
    status: DocumentStatus = DocumentStatus.APPROVED
    invisible_until: datetime | None = None

    def __post_init__(self) -> None:
        if not self.confidentiality:
            raise ValueError("a document carries at least one confidentiality code (§2.4)")
        if len(self.confidentiality) > MAX_CONFIDENTIALITY_CODES:
            raise ValueError("a document carries at most 4 confidentiality codes (§2.4)")
        unknown = set(self.confidentiality) - set(Confidentiality)
        if unknown:
            raise ValueError(f"unknown confidentiality codes: {sorted(unknown)}")

    @property
    def authored_by_patient(self) -> bool:
        return self.patient_uploaded

    @property
    def is_masked_for_professionals(self) -> bool:
        return bool(self.confidentiality & MASKING_CODES)

    def is_invisible_to_patient_at(self, now: datetime) -> bool:
        """R-MASK-6: hidden from the patient side until ``invisible_until``."""
        if Confidentiality.INVISIBLE_PATIENT not in self.confidentiality:
            return False
        return self.invisible_until is None or now < self.invisible_until

    @property
    def is_invisible_to_legal_representatives(self) -> bool:
        """R-MIN-5."""
        return Confidentiality.INVISIBLE_REPRESENTANTS_LEGAUX in self.confidentiality


def confidentiality(*codes: str | Iterable[str]) -> frozenset[str]:
    """Small helper: ``confidentiality("MASQUE_PS", "INVISIBLE_PATIENT")``."""
    out: set[str] = set()
    for code in codes:
        out.update([code] if isinstance(code, str) else code)
    return frozenset(out)


# --------------------------------------------------------------------------------------------------
# Request


class Action(StrEnum):
    """What the actor wants to do. Anything else is denied (``DEFAULT-DENY``)."""

    CONSULT = "consult"  # see a document (also: see it in a list, see its trace)
    DOWNLOAD = "download"
    DEPOSIT = "deposit"
    REPLACE = "replace"
    UPDATE_METADATA = "update_metadata"
    DELETE = "delete"
    MASK = "mask"
    UNMASK = "unmask"
    BLOCK = "block"  # block or unblock a professional (document is None)
    UNBLOCK = "unblock"
    RECORD_CONSENT = "record_consent"  # a professional records the patient's (oral) consent (R-AC-14)
    MANAGE_SHARING = "manage_sharing"  # patient side: revoke consents, declarations, roles, access codes
    MANAGE_EMERGENCY = "manage_emergency"  # patient side: the three emergency consents (R-EM-4)
    VIEW_TRACES = "view_traces"  # the patient's activity history (R-TR-2)
    PROFILE_READ = "profile_read"  # read one section of the medical profile (``RequestContext.section``)
    PROFILE_WRITE = "profile_write"  # create / edit / delete in one section of the medical profile
    # Add a vaccination (no document) or change / delete one (the entry passed as ``DocumentFacts``):
    # the holder's side and authorised professionals, a professional only his own entries (R-PML-1).
    VACCINATION_WRITE = "vaccination_write"
    # Secure messaging (SPEC §5): the conversation, when there is one, is ``RequestContext.conversation``.
    MESSAGE_START = "message_start"  # open a new conversation (R-MSG-2)
    MESSAGE_SEND = "message_send"  # write in an existing conversation: reply, draft (R-MSG-3)
    MESSAGE_READ = "message_read"  # read a conversation, its attachments, the inbox (R-MSG-1)
    MESSAGE_END = "message_end"  # the professional ends the exchange: REPLY_BLOCKED (R-MSG-3)
    MESSAGE_DELETE = "message_delete"  # permanent deletion of a conversation by the holder's side (R-MSG-6)
    # R-MIN-5 [I]: keep a minor's conversation from his legal representatives, or lift that again.
    MESSAGE_MARK_CONFIDENTIAL = "message_mark_confidential"
    MESSAGE_LIFT_CONFIDENTIAL = "message_lift_confidential"
    # Agenda (SPEC §6): appointments, free reminders, the calendar feed (R-AG-1, R-AG-2).
    AGENDA_READ = "agenda_read"
    AGENDA_WRITE = "agenda_write"


DOCUMENT_ACTIONS = frozenset(
    {
        Action.CONSULT,
        Action.DOWNLOAD,
        Action.REPLACE,
        Action.UPDATE_METADATA,
        Action.DELETE,
        Action.MASK,
        Action.UNMASK,
    }
)
READ_ACTIONS = frozenset({Action.CONSULT, Action.DOWNLOAD})
PROFILE_ACTIONS = frozenset({Action.PROFILE_READ, Action.PROFILE_WRITE})
AGENDA_ACTIONS = frozenset({Action.AGENDA_READ, Action.AGENDA_WRITE})


class ProfileSection(StrEnum):
    """Sections of the medical profile (SPEC §4), the ``section`` of a ``PROFILE_*`` request."""

    TREATMENTS = "TREATMENTS"
    ALLERGIES = "ALLERGIES"
    DISEASES = "DISEASES"
    HOSPITALIZATIONS = "HOSPITALIZATIONS"
    FAMILY_HISTORIES = "FAMILY_HISTORIES"
    LIFESTYLE = "LIFESTYLE"
    DISABILITIES = "DISABILITIES"
    BLOOD_GROUP = "BLOOD_GROUP"
    ENTOURAGE = "ENTOURAGE"  # "Entourage et volontés": emergency contacts, caregivers / helped persons
    TRUSTED_PERSON = "TRUSTED_PERSON"  # personne de confiance (R-PML-4, CSP L1111-6)
    ORGAN_DONATION = "ORGAN_DONATION"  # acknowledgement of the organ-donation rules (R-PML-4)
    ADVANCE_DIRECTIVES = "ADVANCE_DIRECTIVES"  # directives anticipées (R-PML-4, R-MIN-3)
    VACCINATIONS = "VACCINATIONS"
    MEASUREMENTS = "MEASUREMENTS"


# R-PML-1: what authorised professionals see of the profile directly ("Entourage et volontés", including
# advance directives and the organ-donation statement, and vaccinations). Every other section reaches them
# only through a saved profile summary document (DOCPAT08).
PROFILE_SHARED_SECTIONS = frozenset(
    {
        ProfileSection.ENTOURAGE,
        ProfileSection.TRUSTED_PERSON,
        ProfileSection.ORGAN_DONATION,
        ProfileSection.ADVANCE_DIRECTIVES,
        ProfileSection.VACCINATIONS,
    }
)
# [I] The J07 type whose matrix cell governs a professional's reading of a shared section (R-MAT-1 applied
# to the profile): "Volontés et droits du patient", "Directives anticipées" (so a dentist does not read
# them, R-MAT-3), "Note de vaccination".
PROFILE_SECTION_TYPES: dict[ProfileSection, tuple[str, str]] = {
    ProfileSection.ENTOURAGE: ("EXPPAT_1", "90"),
    ProfileSection.TRUSTED_PERSON: ("EXPPAT_1", "90"),
    ProfileSection.ORGAN_DONATION: ("EXPPAT_1", "90"),
    ProfileSection.ADVANCE_DIRECTIVES: ("EXPPAT_3", "90"),
    ProfileSection.VACCINATIONS: ("87273-9", "45"),
}
# [I] Personal acts of the holder that a caregiver does not make for him (R-DEL-2 read with CSP L1111-11,
# L1111-6 and L1232-1): writing advance directives, designating the trusted person, the organ-donation
# acknowledgement. The caregiver still reads them.
PROFILE_HOLDER_ONLY_SECTIONS = frozenset(
    {ProfileSection.ADVANCE_DIRECTIVES, ProfileSection.TRUSTED_PERSON, ProfileSection.ORGAN_DONATION}
)
# Sections a minor's profile cannot hold: advance directives (R-MIN-3) and, [I] by CSP L1111-6 ("toute
# personne majeure"), the trusted person.
PROFILE_ADULT_ONLY_SECTIONS: dict[ProfileSection, str] = {
    ProfileSection.ADVANCE_DIRECTIVES: "R-MIN-3",
    ProfileSection.TRUSTED_PERSON: "L1111-6",
}

MESSAGE_ACTIONS = frozenset(
    {
        Action.MESSAGE_START,
        Action.MESSAGE_SEND,
        Action.MESSAGE_READ,
        Action.MESSAGE_END,
        Action.MESSAGE_DELETE,
        Action.MESSAGE_MARK_CONFIDENTIAL,
        Action.MESSAGE_LIFT_CONFIDENTIAL,
    }
)
MESSAGE_SECRECY_ACTIONS = frozenset({Action.MESSAGE_MARK_CONFIDENTIAL, Action.MESSAGE_LIFT_CONFIDENTIAL})


@dataclass(frozen=True)
class ConversationFacts:
    """One conversation of the secure messaging (SPEC §5), as far as access is concerned.

    * ``counterpart_ids``: the professional's and/or establishment's public ids on the other side of the
      patient (the participants of the professional side).
    * ``counterpart_has_written``: the counterpart already wrote to the patient (R-MSG-2); for a
      ``MESSAGE_START`` by the patient side, about the counterpart being written to.
    * ``ended``: the professional ended the exchange (R-MSG-3 ``REPLY_BLOCKED``); ``no_reply``: a no-reply
      sender (R-MSG-3 ``NO_REPLY``); ``deleted_by_patient``: the holder's side deleted it (R-MSG-6).
    * ``confidential``: kept from the minor's legal representatives (R-MIN-5 [I]);
      ``confidential_set_by_holder``: the minor asked for it himself (then only he lifts it).
    """

    conversation_id: str
    counterpart_ids: frozenset[str]
    counterpart_has_written: bool = True
    ended: bool = False
    no_reply: bool = False
    deleted_by_patient: bool = False
    confidential: bool = False
    confidential_set_by_holder: bool = False


class AccessMode(StrEnum):
    NORMAL = "NORMAL"
    BTG = "BTG"  # bris de glace (R-EM-1)
    SAMU = "SAMU"  # médecin régulateur of a centre 15 (R-EM-2)


# R-EM-6 [I]: a break-the-glass session lasts at most this long, then must be re-justified.
BTG_SESSION_DURATION = timedelta(hours=24)


@dataclass(frozen=True)
class RequestContext:
    """The circumstances of the request. ``now`` is read by the caller from ``carnet.common.clock.now()``
    (ARCHITECTURE invariant 6): the policy receives the time like every other fact, it reads no clock.

    ``reason`` is the professional's written justification for an emergency access (R-EM-6);
    ``emergency_started_at`` is when the current BTG/SAMU session was opened (None: opened now).
    ``section`` is the ``ProfileSection`` of a ``PROFILE_READ`` / ``PROFILE_WRITE`` request.
    ``conversation`` describes the conversation of a ``MESSAGE_*`` request (``ConversationFacts``).
    """

    action: Action | str
    now: datetime
    mode: AccessMode = AccessMode.NORMAL
    reason: str = ""
    emergency_started_at: datetime | None = None
    section: str = ""
    conversation: ConversationFacts | None = None  # MESSAGE_* requests (SPEC §5)

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("RequestContext.now must be timezone-aware")
