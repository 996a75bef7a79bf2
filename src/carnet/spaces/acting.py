"""Whose space a logged-in person is acting on: his own, a minor's (legal representative) or a helped
person's (caregiver). The choice is kept in the session under ``acting_for`` (a person public id)
and re-checked against active delegations on every request: a revoked delegation takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

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


def acting_context(request: HttpRequest) -> ActingContext | None:
    user = request.user
    if not user.is_authenticated or getattr(user, "person", None) is None:
        return None
    me: Person = user.person
    wanted = request.session.get(SESSION_KEY)
    if wanted and wanted != str(me.public_id):
        delegation = (
            Delegation.objects.filter(delegate=me, status=DelegationStatus.ACCEPTED, subject__public_id=wanted)
            .select_related("subject")
            .first()
        )
        if delegation is not None:
            kind = (
                ActorKind.LEGAL_REPRESENTATIVE
                if delegation.kind == DelegationKind.LEGAL_REPRESENTATION
                else ActorKind.CAREGIVER
            )
            actor = Actor(kind, str(user.public_id), label=me.display_name, user_id=user.pk, person_id=me.pk)
            return ActingContext(actor=actor, me=me, subject=delegation.subject)
        request.session.pop(SESSION_KEY, None)
    actor = Actor(ActorKind.PATIENT, str(user.public_id), label=me.display_name, user_id=user.pk, person_id=me.pk)
    return ActingContext(actor=actor, me=me, subject=me)
