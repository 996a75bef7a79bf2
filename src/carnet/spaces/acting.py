"""Whose space a logged-in person is acting on: his own, a minor's (legal representative) or a helped
person's (caregiver). The choice is kept in the session under ``acting_for`` (a person public id)
and re-checked against active delegations on every request: a revoked delegation takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

from carnet.common import clock
from carnet.common.actors import Actor, ActorKind
from carnet.identity.models import Person

from .models import Delegation, DelegationKind, DelegationStatus

SESSION_KEY = "acting_for"


@dataclass(frozen=True)
class ActingContext:
    actor: Actor  # who acts (his kind says in which capacity)
    me: Person  # the logged-in person
    subject: Person  # whose space is shown

    @property
    def is_self(self) -> bool:
        return self.me.pk == self.subject.pk

    @property
    def kind(self) -> ActorKind:
        return self.actor.kind


def active_delegations(person: Person) -> list[Delegation]:
    """Delegations through which ``person`` may act for someone else."""
    return list(
        Delegation.objects.filter(delegate=person, status=DelegationStatus.ACCEPTED)
        .select_related("subject")
        .order_by("subject__first_names")
    )


def _still_valid(delegation: Delegation) -> bool:
    """R-MIN-7: a legal representative loses access once the child reaches ``CARNET_MAJORITY_AGE``."""
    if delegation.kind != DelegationKind.LEGAL_REPRESENTATION:
        return True
    return clock.age_on(delegation.subject.birth_date, clock.today()) < settings.CARNET_MAJORITY_AGE


def switch_targets(me: Person) -> list[Delegation]:
    """The delegations through which ``me`` may act for someone now (the header's "acting for" switch)."""
    return [delegation for delegation in active_delegations(me) if _still_valid(delegation)]


def acting_target(*, me: Person, public_id: str) -> Person | None:
    """The person ``me`` may switch to (``"moi"`` or his own id: himself), else None (caller answers 404)."""
    if public_id in {"moi", str(me.public_id)}:
        return me
    for delegation in switch_targets(me):
        if str(delegation.subject.public_id) == public_id:
            return delegation.subject
    return None


def acting_switch(request: HttpRequest, *, me: Person, person: Person) -> None:
    """Remember whose space the logged-in person ``me`` acts on (checked again on every request)."""
    if person.pk == me.pk:
        request.session.pop(SESSION_KEY, None)
    else:
        request.session[SESSION_KEY] = str(person.public_id)


def acting_context(request: HttpRequest) -> ActingContext | None:
    user = request.user
    me: Person | None = getattr(user, "person", None)
    if not user.is_authenticated or me is None:
        return None
    wanted = request.session.get(SESSION_KEY)
    if wanted and wanted != str(me.public_id):
        delegation = (
            Delegation.objects.filter(
                delegate=me, status=DelegationStatus.ACCEPTED, subject__public_id=wanted
            )
            .select_related("subject")
            .first()
        )
        if delegation is not None and _still_valid(delegation):
            kind = (
                ActorKind.LEGAL_REPRESENTATIVE
                if delegation.kind == DelegationKind.LEGAL_REPRESENTATION
                else ActorKind.CAREGIVER
            )
            actor = Actor(kind, str(user.public_id), label=me.display_name, user_id=user.pk, person_id=me.pk)
            return ActingContext(actor=actor, me=me, subject=delegation.subject)
        request.session.pop(SESSION_KEY, None)
    actor = Actor(
        ActorKind.PATIENT, str(user.public_id), label=me.display_name, user_id=user.pk, person_id=me.pk
    )
    return ActingContext(actor=actor, me=me, subject=me)
