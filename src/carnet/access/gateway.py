"""THE choke point of ARCHITECTURE invariant 1: from models to the pure policy, and back.

``access_scope(actor=..., patient_id=...)`` reads, in a handful of queries and once per request, what
the policy needs about the actor and the patient (``ActorFacts`` + ``PatientFacts``); ``decide(scope,
facts, action)`` then asks ``carnet.access.policy.decide`` with the document's ``DocumentFacts``, which the
caller built from its own model (``records.facts.document_facts``): the gateway reads the actor's and the
patient's rows, never a document (``access`` sits below ``records``, docs/architecture.md).
Selectors and services never decide access themselves: they build a scope and ask.

Identifiers inside the facts (documented in ``docs/subsystems/records.md``):

* a professional is always his ``Professional.public_id`` (never the RPPS, never the user id). The
  incoming ``Actor.id`` of a professional may be his user's public id (web sessions,
  ``common.users.actor_for_user``, resolved through ``Actor.user_id``) or his RPPS (API clients);
* an establishment is its ``Organisation.public_id`` (an ``ORGANISATION`` actor's id may be its FINESS
  or its public id);
* patient-side actors are the acting ``Person.public_id`` (the holder's for ``holder_id``, the delegates'
  for representatives and caregivers), resolved from ``Actor.person_id`` or ``Actor.user_id``.

Emergency modes need an open ``BreakGlassSession`` of the professional for the patient (started by
``access.services.break_the_glass_start``): its reason and start feed the ``RequestContext`` so the policy
checks the justification and the 24 h expiry (R-EM-6).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from carnet.access import policy
from carnet.access.facts import (
    AccessMode,
    Action,
    ActorFacts,
    Consent,
    ConsentKind,
    DocumentFacts,
    EmergencySetting,
    ForbiddenActorKind,
    PatientFacts,
    RequestContext,
    SpaceStatus,
)
from carnet.access.facts import EmergencySettings as EmergencyFacts
from carnet.access.models import (
    BreakGlassSession,
    CareRelation,
    EmergencySettings,
    ProfessionalStanding,
    RelationKind,
)
from carnet.access.policy import Decision
from carnet.common import clock
from carnet.common.actors import Actor, ActorKind
from carnet.common.rawsql import Columns, fetchall, per_vendor, table
from carnet.identity.models import Organisation, Person, Professional

_RELATION_TO_CONSENT = {
    RelationKind.CARE_TEAM: ConsentKind.CARE_TEAM,
    RelationKind.EXPLICIT: ConsentKind.EXPLICIT,
    RelationKind.TEMPORARY: ConsentKind.TEMPORARY,
    RelationKind.DECLARED_BY_PATIENT: ConsentKind.EXPLICIT,  # pre-declared by the holder (R-AC-15)
}
_M = TypeVar("_M", bound=Model)
_FORBIDDEN = {k.value for k in ForbiddenActorKind}
_PATIENT_SIDE = {ActorKind.PATIENT, ActorKind.LEGAL_REPRESENTATIVE, ActorKind.CAREGIVER}

# A neutral document used to ask "may this professional enter this record in this mode at all?" when
# an emergency session starts (a consultation report, normal confidentiality, someone else's).
_ENTRY_PROBE = DocumentFacts(document_id="entry-probe", type_code="11488-4", class_code="10")

NO_SESSION_RULE = "R-EM-6"


@dataclass
class AccessScope:
    """Everything the policy needs about one actor and one patient, built once per request."""

    actor: Actor
    facts: ActorFacts
    patient: PatientFacts
    holder: Person | None
    mode: AccessMode = AccessMode.NORMAL
    professional: Professional | None = None
    organisation: Organisation | None = None
    acting_person: Person | None = None
    standing: ProfessionalStanding | None = None
    session: BreakGlassSession | None = None

    @property
    def patient_id(self) -> int:
        return int(self.patient.patient_id)

    @property
    def is_professional_side(self) -> bool:
        return self.facts.is_professional_side

    def context(self, action: Action | str, *, reason: str = "") -> RequestContext:
        return RequestContext(
            action=action,
            now=clock.now(),
            mode=self.mode,
            reason=reason or (self.session.reason if self.session else ""),
            emergency_started_at=self.session.started_at if self.session else None,
        )


# --------------------------------------------------------------------------------------------------
# Resolving the actor


def resolve_professional(actor: Actor) -> Professional | None:
    """The directory entry behind a ``PROFESSIONAL`` actor (user account, RPPS or public id)."""
    qs = Professional.objects.select_related("access_qualification")
    if actor.user_id is not None:
        return qs.filter(account__id=actor.user_id, active=True).first()
    ident = str(actor.id)
    found = qs.filter(rpps=ident, active=True).first()
    if found is None and _looks_like_uuid(ident):
        found = qs.filter(public_id=ident, active=True).first()
    return found


def resolve_organisation(actor: Actor) -> Organisation | None:
    ident = str(actor.id)
    found = Organisation.objects.filter(finess=ident).first()
    if found is None and _looks_like_uuid(ident):
        found = Organisation.objects.filter(public_id=ident).first()
    return found


def resolve_person(actor: Actor) -> Person | None:
    if actor.person_id is not None:
        return Person.objects.filter(pk=actor.person_id).first()
    if actor.user_id is not None:
        return Person.objects.filter(account__id=actor.user_id).first()
    return None


def _looks_like_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _qualification_flags(professional: Professional) -> tuple[bool, bool]:
    qualification = getattr(professional, "access_qualification", None)
    if qualification is None:
        return False, False
    return qualification.is_samu_regulator, qualification.is_occupational_doctor


# --------------------------------------------------------------------------------------------------
# Building the scope


def access_scope(
    *,
    actor: Actor,
    patient_id: int,
    mode: AccessMode | str = AccessMode.NORMAL,
    organisation: Organisation | None = None,
    patient: Person | None = None,
    professional: Professional | None = None,
) -> AccessScope:
    """Build the facts for ``actor`` on ``patient_id``'s record (a few queries, independent of documents).

    ``organisation``: the establishment a professional acts for (his documents and consents given to it).
    An actor the directory does not know gets facts the policy denies (``DEFAULT-DENY``).

    ``patient`` / ``professional``: rows the caller has already loaded (the API resolves the patient from
    the URL and the professional from the session), so they are not read twice. They are only used when
    they provably are the ones this function would load itself (``patient.pk == patient_id``; the
    professional bound to the actor's RPPS, public id or user account, and still active); otherwise they
    are ignored and the rows are read as usual. Load ``patient`` with ``select_related("space")`` and
    ``professional`` with ``select_related("access_qualification")`` to save the most.

    Professional side, steady state: ONE statement (emergency settings + standings + consents,
    ``_patient_rows``) when both rows are given; the rows' own lookups otherwise.
    """
    mode = AccessMode(mode)
    now = clock.now()
    if patient is not None and patient.pk == patient_id:
        holder: Person | None = patient
    else:
        holder = _one(Person.objects.select_related("space").filter(pk=patient_id))
    space = getattr(holder, "space", None) if holder is not None else None
    status = SpaceStatus(space.status) if space is not None else SpaceStatus.INFORMED
    holder_public = str(holder.public_id) if holder is not None else ""

    kind = str(actor.kind)
    given_professional, professional = professional, None
    acting_person: Person | None = None
    if kind == ActorKind.PROFESSIONAL:
        if given_professional is not None and _is_actors_professional(actor, given_professional):
            professional = given_professional
        else:
            professional = resolve_professional(actor)
    elif kind == ActorKind.ORGANISATION:
        organisation = organisation or resolve_organisation(actor)
    professional_side = kind == ActorKind.ORGANISATION or (
        kind == ActorKind.PROFESSIONAL and professional is not None
    )
    # Emergency settings, standings (blocks, roles, first access) and consents: ONE statement.
    rows = _patient_rows(
        patient_id,
        professional if professional_side else None,
        organisation if professional_side else None,
    )
    standing: ProfessionalStanding | None = None
    if kind in _FORBIDDEN:
        facts = ActorFacts(kind=ForbiddenActorKind(kind), id=str(actor.id))
    elif kind == ActorKind.PROFESSIONAL:
        if professional is None:
            facts = ActorFacts(kind=ActorKind.OPERATOR, id=f"unknown:{actor.id}")  # denied (R-AC-4)
        else:
            standing = next((r for r in rows.standings if r.professional_id == professional.pk), None)
            regulator, occupational = _qualification_flags(professional)
            facts = ActorFacts(
                kind=ActorKind.PROFESSIONAL,
                id=str(professional.public_id),
                organisation_id=str(organisation.public_id) if organisation is not None else "",
                profession_code=professional.profession_code,
                specialty_code=professional.specialty_code,
                is_samu_regulator=regulator,
                is_occupational_doctor=occupational,
                is_medecin_traitant=bool(standing and standing.is_medecin_traitant),
                is_administrator=bool(standing and standing.is_administrator),
            )
    elif kind == ActorKind.ORGANISATION:
        if organisation is None:
            facts = ActorFacts(kind=ActorKind.OPERATOR, id=f"unknown:{actor.id}")
        else:
            org_id = str(organisation.public_id)
            facts = ActorFacts(kind=ActorKind.ORGANISATION, id=org_id, organisation_id=org_id)
    elif kind in _PATIENT_SIDE:
        acting_person = resolve_person(actor)
        person_id = str(acting_person.public_id) if acting_person is not None else f"unknown:{actor.id}"
        facts = ActorFacts(kind=ActorKind(kind), id=person_id)
    else:
        known = kind in {k.value for k in ActorKind}
        facts = ActorFacts(kind=ActorKind(kind) if known else ActorKind.OPERATOR, id=str(actor.id))

    patient_facts = PatientFacts(
        patient_id=str(patient_id),
        holder_id=holder_public,
        space_status=status,
        is_minor=_is_minor(holder),
        minor_may_ask_secrecy=minor_may_ask_secrecy(holder),
        legal_representative_ids=frozenset(),
        caregiver_ids=frozenset(),
        blocked_actor_ids=frozenset(),
        consents=(),
        emergency=rows.emergency,
    )
    if facts.is_patient_side:
        representatives, caregivers = _delegates(patient_id, holder)
        patient_facts = _replace(
            patient_facts, legal_representative_ids=representatives, caregiver_ids=caregivers
        )
    if facts.is_professional_side:
        pro = professional if kind == ActorKind.PROFESSIONAL else None
        subjects = _subjects(pro, organisation)
        patient_facts = _replace(
            patient_facts,
            consents=_consents(rows.relations, subjects),
            blocked_actor_ids=_blocked(rows.standings, subjects),
        )

    session: BreakGlassSession | None = None
    if mode != AccessMode.NORMAL and professional is not None:
        session = (
            BreakGlassSession.objects.filter(
                patient_id=patient_id,
                professional=professional,
                mode=mode.value,
                ended_at__isnull=True,
                expires_at__gt=now,
            )
            .order_by("-started_at")
            .first()
        )
    return AccessScope(
        actor=actor,
        facts=facts,
        patient=patient_facts,
        holder=holder,
        mode=mode,
        professional=professional,
        organisation=organisation,
        acting_person=acting_person,
        standing=standing,
        session=session,
    )


def _one(qs: QuerySet[_M]) -> _M | None:
    """The row of a lookup on a unique key (``[:1]``: unlike ``first()``, no ORDER BY to build)."""
    return next(iter(qs[:1]), None)


def _replace(patient: PatientFacts, **changes: object) -> PatientFacts:
    from dataclasses import replace

    return replace(patient, **changes)  # type: ignore[arg-type]


def _is_minor(holder: Person | None) -> bool:
    if holder is None:
        return False
    from django.conf import settings

    return clock.age_on(holder.birth_date, clock.today()) < settings.CARNET_MAJORITY_AGE


def minor_may_ask_secrecy(holder: Person | None) -> bool:
    """R-MIN-5 [I]: a minor of at least ``CARNET_MINOR_SECRECY_AGE`` (15) decides himself to keep an
    exchange from his legal representatives (when he logs in with his own access)."""
    if holder is None or not _is_minor(holder):
        return False
    from django.conf import settings

    return clock.age_on(holder.birth_date, clock.today()) >= settings.CARNET_MINOR_SECRECY_AGE


def _delegates(patient_id: int, holder: Person | None) -> tuple[frozenset[str], frozenset[str]]:
    """Active delegations (R-MIN-1, R-DEL-2); representatives only while the holder is a minor (R-MIN-7)."""
    from carnet.spaces.models import Delegation, DelegationKind, DelegationStatus

    rows = Delegation.objects.filter(patient_id=patient_id, status=DelegationStatus.ACCEPTED).values_list(
        "kind", "delegate__public_id"
    )
    minor = _is_minor(holder)
    representatives = frozenset(
        str(pid) for kind, pid in rows if kind == DelegationKind.LEGAL_REPRESENTATION and minor
    )
    caregivers = frozenset(str(pid) for kind, pid in rows if kind == DelegationKind.CAREGIVING)
    return representatives, caregivers


def _emergency_facts(row: EmergencySettings | None) -> EmergencyFacts:
    if row is None:
        return EmergencyFacts()  # R-EM-5 defaults
    return EmergencyFacts(
        etreat=EmergencySetting(row.etreat),
        btg=EmergencySetting(row.btg),
        masked=EmergencySetting(row.masked),
    )


@dataclass(frozen=True)
class _PatientRows:
    emergency: EmergencyFacts
    standings: list[ProfessionalStanding]
    relations: list[CareRelation]


_EMERGENCY = Columns(EmergencySettings, "e")
_STANDING = Columns(ProfessionalStanding, "st")
_RELATION = Columns(
    CareRelation, "cr", only=["kind", "professional", "organisation", "started_at", "expires_at"]
)


@per_vendor
def _patient_rows_sql() -> str:
    return (
        f"SELECT {_EMERGENCY.sql()}, {_STANDING.sql()}, {_RELATION.sql()} "  # noqa: S608 - names from _meta, values bound
        "FROM (SELECT 1 AS one) AS base "
        f"LEFT JOIN {table(EmergencySettings)} e ON e.patient_id = %s "
        f"LEFT JOIN {table(ProfessionalStanding)} st ON st.patient_id = %s "
        "AND (st.professional_id = %s OR st.organisation_id = %s) "
        f"LEFT JOIN {table(CareRelation)} cr ON cr.patient_id = %s AND cr.ended_at IS NULL "
        "AND (cr.professional_id = %s OR cr.organisation_id = %s)"
    )


def _patient_rows(
    patient_id: int, professional: Professional | None, organisation: Organisation | None
) -> _PatientRows:
    """What the policy needs from the patient's access tables, in ONE statement of plain SQL (it runs on
    every read: ``carnet.common.rawsql``): his emergency settings (R-EM-4/5) and, for a professional-side
    actor, the standing rows of the professional and of his establishment (médecin traitant,
    administrator, first access, blocks R-BLK-1) and their active care relations (consents; expiry is the
    policy's job). Each side is a LEFT JOIN on the patient's rows, so the result has one row per
    (standing, relation) pair — a handful — or a single row of NULLs."""
    pro_pk = professional.pk if professional is not None else None
    org_pk = organisation.pk if organisation is not None else None
    found = fetchall(
        _patient_rows_sql(), [patient_id, patient_id, pro_pk, org_pk, patient_id, pro_pk, org_pk]
    )
    emergency: EmergencySettings | None = None
    standings: dict[int, ProfessionalStanding] = {}
    relations: dict[int, CareRelation] = {}
    for row in found:
        emergency = emergency or _EMERGENCY.load(row, 0)
        standing = _STANDING.load(row, _EMERGENCY.width)
        if standing is not None:
            standings.setdefault(standing.pk, standing)
        relation = _RELATION.load(row, _EMERGENCY.width + _STANDING.width)
        if relation is not None:
            relations.setdefault(relation.pk, relation)
    return _PatientRows(_emergency_facts(emergency), list(standings.values()), list(relations.values()))


def _is_actors_professional(actor: Actor, professional: Professional) -> bool:
    """Is ``professional`` (loaded by the caller) the active directory entry ``resolve_professional``
    would find for ``actor``? Decided without a query: RPPS or public id, or the user account cached on
    the row by ``user.professional`` (the reverse side of the one-to-one)."""
    if not professional.active:
        return False
    if actor.user_id is not None:
        reverse: Any = Professional._meta.get_field("account")  # the OneToOneRel of User.professional
        account = reverse.get_cached_value(professional, default=None)
        return account is not None and account.pk == actor.user_id
    ident = str(actor.id)
    return ident in (professional.rpps, str(professional.public_id))


def _subjects(
    professional: Professional | None, organisation: Organisation | None
) -> dict[tuple[str, int], str]:
    """The consent / blocking subjects of a professional-side actor: (column, pk) -> public id."""
    subjects: dict[tuple[str, int], str] = {}
    if professional is not None:
        subjects["professional_id", professional.pk] = str(professional.public_id)
    if organisation is not None:
        subjects["organisation_id", organisation.pk] = str(organisation.public_id)
    return subjects


def _consents(relations: list[CareRelation], subjects: dict[tuple[str, int], str]) -> tuple[Consent, ...]:
    """The actor's (or his establishment's) active relations as the policy's ``Consent`` facts."""
    consents = []
    for relation in relations:
        if relation.professional_id is not None:
            subject = subjects.get(("professional_id", relation.professional_id))
        else:
            subject = subjects.get(("organisation_id", relation.organisation_id))  # type: ignore[arg-type]
        if subject is None:
            continue
        consents.append(
            Consent(
                subject_id=subject,
                kind=_RELATION_TO_CONSENT[RelationKind(relation.kind)],
                granted_at=relation.started_at,
                expires_at=relation.expires_at,
            )
        )
    return tuple(consents)


def _blocked(standings: list[ProfessionalStanding], subjects: dict[tuple[str, int], str]) -> frozenset[str]:
    blocked: set[str] = set()
    for row in standings:
        if row.blocked_at is None:
            continue
        if row.professional_id is not None and ("professional_id", row.professional_id) in subjects:
            blocked.add(subjects["professional_id", row.professional_id])
        if row.organisation_id is not None and ("organisation_id", row.organisation_id) in subjects:
            blocked.add(subjects["organisation_id", row.organisation_id])
    return frozenset(blocked)


# --------------------------------------------------------------------------------------------------
# Documents and decisions


def decide(
    scope: AccessScope,
    document: DocumentFacts | None,
    action: Action | str,
    *,
    reason: str = "",
) -> Decision:
    """THE decision for one act. Emergency reads need an open session (R-EM-6).

    ``document``: the facts of the document acted on (``records.facts.document_facts``), or None for an
    act on the record, a profile section or the agenda. The gateway reads no document itself."""
    facts = document
    if (
        scope.mode != AccessMode.NORMAL
        and scope.facts.kind == ActorKind.PROFESSIONAL
        and scope.session is None
    ):
        return Decision(False, NO_SESSION_RULE, "no open emergency session for this professional and patient")
    return policy.decide(scope.facts, scope.patient, facts, scope.context(action, reason=reason))


def decide_many(
    scope: AccessScope, documents: Sequence[DocumentFacts], action: Action | str = Action.CONSULT
) -> list[Decision]:
    """One decision per document, in order (the matrix loaded once)."""
    from carnet.access.matrix import load_matrix

    if (
        scope.mode != AccessMode.NORMAL
        and scope.facts.kind == ActorKind.PROFESSIONAL
        and scope.session is None
    ):
        denied = Decision(
            False, NO_SESSION_RULE, "no open emergency session for this professional and patient"
        )
        return [denied for _doc in documents]
    matrix = load_matrix()
    context = scope.context(action)
    return [policy.decide(scope.facts, scope.patient, doc, context, matrix=matrix) for doc in documents]


def record_decision(scope: AccessScope) -> Decision:
    """What the record shows the actor beyond what he wrote himself: the policy's answer on a neutral
    probe (someone else's consultation report, normal confidentiality), in the scope's mode.

    Allowed: by consent (R-AC-11/12/16), designation (R-AC-15), emergency (R-EM-1/2) or, on the patient
    side, by the holder's own rules. Denied: blocked (R-BLK-2), no consent (R-AC-12), expired temporary
    access (R-AC-16), occupational doctor without express consent (R-AC-2), matrix (R-MAT-1), no open
    emergency session (R-EM-6)... Lists trace this decision; pages say which of these applies."""
    return decide(scope, _ENTRY_PROBE, Action.CONSULT)


def is_authors_read(scope: AccessScope, document: DocumentFacts) -> bool:
    """Does the actor read ``document`` as its author (professional or establishment, R-MASK-1)? Such a
    read is no access to the patient's data by someone new: it sends no first-access notice (R-AC-14)."""
    return policy.is_author(scope.facts, document)


def emergency_entry_decision(scope: AccessScope, *, reason: str, started_at: datetime) -> Decision:
    """May the professional open an emergency session now? The policy answers on a neutral probe document
    (status, forbidden actors, blocking, occupational doctors, BTG/ETREAT settings, regulator, reason)."""
    context = RequestContext(
        action=Action.CONSULT,
        now=clock.now(),
        mode=scope.mode,
        reason=reason,
        emergency_started_at=started_at,
    )
    return policy.decide(scope.facts, scope.patient, _ENTRY_PROBE, context)
