"""Who reads the holder's space, as the policy sees them: the audience of a content-free notification.

A notification about an object of the record (a new document, a new message) goes to the people of the
holder's side — the holder, his legal representatives while he is a minor (R-MIN-1, R-MIN-7), his
caregivers (R-DEL-2: "receive notifications") — but only to those the policy lets see that object
(invariant 1): never a legal representative for an ``INVISIBLE_REPRESENTANTS_LEGAUX`` document or a
confidential conversation (R-MIN-5), nobody for an ``INVISIBLE_PATIENT`` document before its release
(R-MASK-6, which has its own notice), nobody before activation (R-LC-14).

``holder_side_audience(patient_id)`` reads the holder and his active delegations once (two queries);
``Audience.may(member, action, ...)`` asks ``policy.decide`` for each member, with the same facts the
gateway would build had that person opened the page himself.
"""

from __future__ import annotations

from dataclasses import dataclass

from carnet.access import policy
from carnet.access.facts import (
    Action,
    ActorFacts,
    ConversationFacts,
    DocumentFacts,
    PatientFacts,
    RequestContext,
    SpaceStatus,
)
from carnet.access.gateway import _is_minor, minor_may_ask_secrecy
from carnet.common import clock
from carnet.common.actors import ActorKind
from carnet.identity.models import Person


@dataclass(frozen=True)
class Member:
    """One reader of the holder's space: the person (for his address, language and preferences) and the
    actor facts he would have on the holder's pages (``kind`` PATIENT, LEGAL_REPRESENTATIVE or
    CAREGIVER; ``id`` his person's public id, as ``gateway.access_scope`` builds them)."""

    person: Person
    facts: ActorFacts

    @property
    def kind(self) -> ActorKind:
        return ActorKind(self.facts.kind)

    @property
    def is_holder(self) -> bool:
        return self.facts.kind == ActorKind.PATIENT


@dataclass(frozen=True)
class Audience:
    patient: PatientFacts
    members: tuple[Member, ...]

    def may(
        self,
        member: Member,
        action: Action,
        *,
        document: DocumentFacts | None = None,
        conversation: ConversationFacts | None = None,
    ) -> bool:
        """THE policy's answer for ``member`` (a notification is only sent to who may see its object)."""
        context = RequestContext(action=action, now=clock.now(), conversation=conversation)
        return bool(policy.decide(member.facts, self.patient, document, context))


def holder_side_audience(patient_id: int) -> Audience:
    """The holder and the people who act for him (active delegations; representatives only while he is a
    minor), with the patient facts the policy needs about them. An unknown patient has no audience."""
    from carnet.spaces.models import Delegation, DelegationKind, DelegationStatus

    holder = Person.objects.select_related("space", "account").filter(pk=patient_id).first()
    if holder is None:
        return Audience(PatientFacts(str(patient_id), "", SpaceStatus.DELETED), ())
    space = getattr(holder, "space", None)
    minor = _is_minor(holder)
    members = [Member(holder, ActorFacts(kind=ActorKind.PATIENT, id=str(holder.public_id)))]
    delegations = (
        Delegation.objects.filter(patient_id=patient_id, status=DelegationStatus.ACCEPTED)
        .select_related("delegate__account")
        .order_by("id")
    )
    for delegation in delegations:
        if delegation.kind == DelegationKind.LEGAL_REPRESENTATION and minor:  # R-MIN-7
            kind = ActorKind.LEGAL_REPRESENTATIVE
        elif delegation.kind == DelegationKind.CAREGIVING:
            kind = ActorKind.CAREGIVER
        else:
            continue
        delegate = delegation.delegate
        members.append(Member(delegate, ActorFacts(kind=kind, id=str(delegate.public_id))))
    patient = PatientFacts(
        patient_id=str(patient_id),
        holder_id=str(holder.public_id),
        space_status=SpaceStatus(space.status) if space is not None else SpaceStatus.INFORMED,
        is_minor=minor,
        minor_may_ask_secrecy=minor_may_ask_secrecy(holder),
        legal_representative_ids=frozenset(
            m.facts.id for m in members if m.kind == ActorKind.LEGAL_REPRESENTATIVE
        ),
        caregiver_ids=frozenset(m.facts.id for m in members if m.kind == ActorKind.CAREGIVER),
    )
    return Audience(patient, tuple(members))
