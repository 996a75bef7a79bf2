"""Reads of the medical profile, scoped by THE policy (invariant 1) and traced (invariant 2).

* ``profile_overview_for_actor``: every section's count and "not concerned" flag (holder's side).
* ``section_for_actor``: one section's items (holder's side; professionals are refused by R-PML-1 for
  every section but the shared ones).
* ``entourage_for_actor``: "Entourage et volontés" (emergency contacts, trusted person, caregivers and
  helped persons from ``spaces.Delegation``, the organ-donation statement) and the advance directives —
  what authorised professionals see directly (R-PML-1), each part decided separately (the directives go
  through the matrix of EXPPAT_3: a dentist does not read them, R-MAT-3).

A refused read is traced (``DENY``) and raises ``NotFoundOrForbidden``: the same answer as an unknown
patient. Linked documents are filtered at read time through the records selector: deleted uploads and
documents the reader may not see disappear from the links.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from carnet.access import gateway
from carnet.access import services as access_services
from carnet.access.facts import Action, ProfileSection
from carnet.access.gateway import AccessScope
from carnet.access.policy import Decision
from carnet.audit.services import trace
from carnet.common.actors import Actor
from carnet.common.errors import NotFoundOrForbidden
from carnet.identity.models import Person
from carnet.records.facts import document_facts
from carnet.records.models import Document

from .models import (
    AdvanceDirectives,
    BloodGroup,
    EmergencyContact,
    Lifestyle,
    NotConcerned,
    NotConcernedSection,
    OrganDonationStatement,
    ProfileRow,
    TrustedPerson,
)
from .policy import decide_section
from .services import ITEM_SPECS, NOT_FOUND, TRACE_GROUP

# The overview's order (SPEC §4 table).
OVERVIEW_SECTIONS: tuple[ProfileSection, ...] = (
    ProfileSection.TREATMENTS,
    ProfileSection.ALLERGIES,
    ProfileSection.DISEASES,
    ProfileSection.HOSPITALIZATIONS,
    ProfileSection.FAMILY_HISTORIES,
    ProfileSection.LIFESTYLE,
    ProfileSection.DISABILITIES,
    ProfileSection.BLOOD_GROUP,
    ProfileSection.ENTOURAGE,
    ProfileSection.ADVANCE_DIRECTIVES,
)


def _scope(actor: Actor, patient_id: int, mode: str = "NORMAL") -> AccessScope:
    return gateway.access_scope(actor=actor, patient_id=patient_id, mode=mode)


def _trace_read(scope: AccessScope, decision: Decision, section: str, **details: Any) -> None:
    session = scope.session
    trace(
        actor=scope.actor,
        action="PROFILE_READ",
        patient_id=scope.patient_id if scope.holder is not None else None,
        group=TRACE_GROUP,
        object_type="profile",
        object_id=section,
        mode=str(scope.mode),
        reason=session.reason if session is not None and decision else "",
        outcome="ALLOW" if decision else "DENY",
        details={"rule": decision.rule, "section": section, **details},
    )


def _require_read(scope: AccessScope, section: ProfileSection | str) -> Decision:
    decision = (
        decide_section(scope, section, Action.PROFILE_READ)
        if scope.holder is not None
        else Decision(False, "DEFAULT-DENY", "no such patient")
    )
    if not decision:
        with transaction.atomic():
            _trace_read(scope, decision, str(section))
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    return decision


# --------------------------------------------------------------------------------------------------
# Linked documents


def visible_documents(scope: AccessScope, rows: Iterable[ProfileRow]) -> dict[str, Document]:
    """The linked documents of ``rows`` the reader may see now (one records list read, only if any link)."""
    wanted = {str(d) for row in rows for d in (getattr(row, "linked_documents", None) or [])}
    if not wanted:
        return {}
    from carnet.records.selectors import document_list_for_actor

    try:
        documents = document_list_for_actor(actor=scope.actor, patient_id=scope.patient_id, mode=scope.mode)
    except NotFoundOrForbidden:
        return {}
    return {str(d.public_id): d for d in documents if str(d.public_id) in wanted}


def linkable_documents(*, actor: Actor, patient_id: int) -> list[Document]:
    """Documents the actor may link to an item (what he may see in the record)."""
    from carnet.records.selectors import document_list_for_actor

    try:
        return document_list_for_actor(actor=actor, patient_id=patient_id)
    except NotFoundOrForbidden:
        return []


@dataclass
class Item:
    """One item as pages show it: the row, its live linked documents and linked treatments."""

    row: Any
    documents: list[Document] = field(default_factory=list)
    treatments: list[Any] = field(default_factory=list)

    @property
    def public_id(self) -> Any:
        return self.row.public_id


# --------------------------------------------------------------------------------------------------
# Holder's side


@dataclass(frozen=True)
class SectionSummary:
    section: ProfileSection
    count: int
    not_concerned: bool


def profile_overview_for_actor(*, actor: Actor, patient_id: int) -> list[SectionSummary]:
    """Every section with its number of items and its R-PML-2 flag (a fixed number of queries)."""
    scope = _scope(actor, patient_id)
    decision = _require_read(scope, ProfileSection.TREATMENTS)
    flags = set(NotConcerned.objects.filter(patient_id=patient_id).values_list("section", flat=True))
    out: list[SectionSummary] = []
    for section in OVERVIEW_SECTIONS:
        if section in ITEM_SPECS:
            count = ITEM_SPECS[section].model.objects.filter(patient_id=patient_id).count()  # type: ignore[attr-defined]
        elif section == ProfileSection.LIFESTYLE:
            count = Lifestyle.objects.filter(patient_id=patient_id).count()
        elif section == ProfileSection.BLOOD_GROUP:
            count = BloodGroup.objects.filter(patient_id=patient_id).count()
        else:
            count = AdvanceDirectives.objects.filter(patient_id=patient_id).count()
        out.append(SectionSummary(section, count, str(section) in flags))
    with transaction.atomic():
        _trace_read(scope, decision, "OVERVIEW")
    return out


@dataclass
class SectionView:
    section: ProfileSection
    items: list[Item]
    not_concerned: bool
    can_flag: bool


def section_for_actor(*, actor: Actor, patient_id: int, section: ProfileSection | str) -> SectionView:
    """One list section's items, newest first, with live links (R-PML-1 decides who reads)."""
    try:
        wanted = ProfileSection(section)
        spec = ITEM_SPECS[wanted]
    except (ValueError, KeyError):
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found") from None
    scope = _scope(actor, patient_id)
    decision = _require_read(scope, wanted)
    qs = spec.model.objects.filter(patient_id=patient_id).order_by("-created_at", "-id")  # type: ignore[attr-defined]
    if hasattr(spec.model, "linked_treatments"):
        qs = qs.prefetch_related("linked_treatments")
    rows = list(qs)
    documents = visible_documents(scope, rows)
    items = [
        Item(
            row=row,
            documents=[
                documents[d] for d in (getattr(row, "linked_documents", None) or []) if d in documents
            ],
            treatments=list(row.linked_treatments.all()) if hasattr(row, "linked_treatments") else [],
        )
        for row in rows
    ]
    flagged = (
        spec.not_concerned is not None
        and NotConcerned.objects.filter(patient_id=patient_id, section=spec.not_concerned).exists()
    )
    with transaction.atomic():
        _trace_read(scope, decision, str(wanted), count=len(items))
    return SectionView(
        section=wanted,
        items=items,
        not_concerned=flagged,
        can_flag=spec.not_concerned in NotConcernedSection.values if spec.not_concerned else False,
    )


def item_for_actor(
    *, actor: Actor, patient_id: int, section: ProfileSection | str, item_public_id: Any
) -> Any:
    """One item to edit (the same 404 for missing and forbidden)."""
    view = section_for_actor(actor=actor, patient_id=patient_id, section=section)
    for item in view.items:
        if str(item.public_id) == str(item_public_id):
            return item
    raise NotFoundOrForbidden(NOT_FOUND, code="not_found")


def lifestyle_for_actor(*, actor: Actor, patient_id: int) -> dict[str, Lifestyle]:
    scope = _scope(actor, patient_id)
    decision = _require_read(scope, ProfileSection.LIFESTYLE)
    rows = {row.section: row for row in Lifestyle.objects.filter(patient_id=patient_id)}
    with transaction.atomic():
        _trace_read(scope, decision, str(ProfileSection.LIFESTYLE))
    return rows


def blood_group_for_actor(*, actor: Actor, patient_id: int) -> BloodGroup | None:
    scope = _scope(actor, patient_id)
    decision = _require_read(scope, ProfileSection.BLOOD_GROUP)
    row = BloodGroup.objects.filter(patient_id=patient_id).first()
    with transaction.atomic():
        _trace_read(scope, decision, str(ProfileSection.BLOOD_GROUP))
    return row


# --------------------------------------------------------------------------------------------------
# Entourage et volontés (holder's side and authorised professionals, R-PML-1)


@dataclass(frozen=True)
class Delegate:
    name: str
    kind: str  # spaces.DelegationKind value
    sex: str = ""  # the delegate's, for words that agree ("représentante légale")


@dataclass
class Entourage:
    """What a reader may see of "Entourage et volontés"; ``None`` / empty parts were not allowed or absent.

    ``*_allowed`` say whether the policy let the reader see that part (pages say "not shared" otherwise)."""

    emergency_contacts: list[EmergencyContact] = field(default_factory=list)
    trusted_person: TrustedPerson | None = None
    caregivers: list[Delegate] = field(default_factory=list)  # the holder's aidants (and representatives)
    helped: list[Delegate] = field(default_factory=list)  # the persons the holder helps (aidés)
    organ_donation: OrganDonationStatement | None = None
    directives: AdvanceDirectives | None = None
    directives_document: Document | None = None
    directives_allowed: bool = False
    entourage_allowed: bool = False


def _delegates(patient: Person) -> tuple[list[Delegate], list[Delegate]]:
    """Active delegations from and to the holder (read-only, managed by ``spaces``)."""
    from carnet.spaces.models import Delegation, DelegationStatus

    incoming = (
        Delegation.objects.filter(patient_id=patient.pk, status=DelegationStatus.ACCEPTED)
        .select_related("delegate")
        .order_by("kind", "id")
    )
    outgoing = (
        Delegation.objects.filter(delegate=patient, status=DelegationStatus.ACCEPTED, kind="CAREGIVING")
        .select_related("subject")
        .order_by("id")
    )
    return (
        [Delegate(d.delegate.display_name, d.kind, d.delegate.sex) for d in incoming],
        [Delegate(d.subject.display_name, d.kind) for d in outgoing],
    )


def _directives_document(scope: AccessScope, directives: AdvanceDirectives | None) -> Document | None:
    """The current EXPPAT_3 document if it still exists and the reader may consult it (its own policy
    decision: matrix, masking...). Not traced separately: opening it goes through the records pages."""
    if directives is None:
        return None
    document = (
        Document.objects.filter(
            patient_id=scope.patient_id, public_id=directives.document_public_id, deleted_at__isnull=True
        )
        .select_related("author_professional", "author_organisation")
        .first()
    )
    if document is None or not gateway.decide(scope, document_facts(document), Action.CONSULT):
        return None
    return document


def entourage_for_actor(*, actor: Actor, patient_id: int, mode: str = "NORMAL") -> Entourage:
    """R-PML-1 / R-PML-4: "Entourage et volontés" and the advance directives as the policy allows.

    The entourage part (contacts, trusted person, delegations, organ donation) and the directives part
    are decided separately; when neither is allowed the answer is ``NotFoundOrForbidden`` (traced DENY).
    Allowed reads by professionals are traced and count as an access (first-access e-mail, R-AC-14;
    emergency obligations, R-EM-3)."""
    scope = _scope(actor, patient_id, mode)
    if scope.holder is None:
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    entourage_decision = decide_section(scope, ProfileSection.ENTOURAGE, Action.PROFILE_READ)
    directives_decision = decide_section(scope, ProfileSection.ADVANCE_DIRECTIVES, Action.PROFILE_READ)
    if not entourage_decision and not directives_decision:
        with transaction.atomic():
            _trace_read(scope, entourage_decision, str(ProfileSection.ENTOURAGE))
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    result = Entourage(
        entourage_allowed=bool(entourage_decision), directives_allowed=bool(directives_decision)
    )
    if entourage_decision:
        result.emergency_contacts = list(
            EmergencyContact.objects.filter(patient_id=patient_id).order_by("created_at", "id")
        )
        result.trusted_person = TrustedPerson.objects.filter(patient_id=patient_id).first()
        result.organ_donation = OrganDonationStatement.objects.filter(patient_id=patient_id).first()
        result.caregivers, result.helped = _delegates(scope.holder)
    if directives_decision:
        result.directives = AdvanceDirectives.objects.filter(patient_id=patient_id).first()
        result.directives_document = _directives_document(scope, result.directives)
        if result.directives_document is None:
            result.directives = None  # deleted from the documents page, or not visible to this reader
    decisions: Sequence[Decision] = [d for d in (entourage_decision, directives_decision) if d]
    with transaction.atomic():
        for section, decision in (
            (ProfileSection.ENTOURAGE, entourage_decision),
            (ProfileSection.ADVANCE_DIRECTIVES, directives_decision),
        ):
            _trace_read(scope, decision, str(section))
        if scope.is_professional_side:
            access_services.professional_read_recorded(scope, decisions)
    return result


def advance_directives_for_actor(
    *, actor: Actor, patient_id: int
) -> tuple[AdvanceDirectives | None, Document | None]:
    """The holder's side: the current directives and their (live) document."""
    scope = _scope(actor, patient_id)
    decision = _require_read(scope, ProfileSection.ADVANCE_DIRECTIVES)
    directives = AdvanceDirectives.objects.filter(patient_id=patient_id).first()
    document = _directives_document(scope, directives)
    with transaction.atomic():
        _trace_read(scope, decision, str(ProfileSection.ADVANCE_DIRECTIVES))
    return (directives if document is not None else None), document
