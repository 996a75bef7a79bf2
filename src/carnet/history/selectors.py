"""Who may see a history (R-TR-2, invariant 1): the facts the policy needs about the viewer and the
history's subject, read here (spaces' delegations, the accounts' public ids) and handed to
``access.policy.decide(..., VIEW_TRACES)``. The history's entries are ``audit.selectors``'."""

from __future__ import annotations

from django.conf import settings

from carnet.access.facts import Action, ActorFacts, PatientFacts, RequestContext
from carnet.access.facts import SpaceStatus as PolicySpaceStatus
from carnet.access.policy import Decision, decide
from carnet.common import clock
from carnet.spaces.acting import ActingContext
from carnet.spaces.models import Delegation, DelegationKind, DelegationStatus, HealthSpace


def history_access(acting: ActingContext) -> Decision:
    """``access.decide(..., VIEW_TRACES)`` for the acting person over ``acting.subject``'s history: the
    holder yes, a minor's legal representative yes, a caregiver **no** (the policy's
    ``_CAREGIVER_FORBIDDEN``: R-DEL-2 lets him consult documents but not manage or audit the holder's
    sharing), anyone else no."""
    subject = acting.subject
    space = HealthSpace.objects.filter(person=subject).only("status").first()
    account = getattr(subject, "account", None)
    is_minor = clock.age_on(subject.birth_date, clock.today()) < settings.CARNET_MAJORITY_AGE
    representatives: set[str] = set()
    caregivers: set[str] = set()
    rows = Delegation.objects.filter(subject=subject, status=DelegationStatus.ACCEPTED).select_related(
        "delegate__account"
    )
    for delegation in rows:
        delegate_account = getattr(delegation.delegate, "account", None)
        if delegate_account is None:
            continue
        if delegation.kind == DelegationKind.LEGAL_REPRESENTATION and is_minor:  # R-MIN-7
            representatives.add(str(delegate_account.public_id))
        elif delegation.kind == DelegationKind.CAREGIVING:
            caregivers.add(str(delegate_account.public_id))
    patient = PatientFacts(
        patient_id=str(subject.pk),
        holder_id=str(account.public_id) if account is not None else "",
        space_status=PolicySpaceStatus(space.status) if space is not None else PolicySpaceStatus.DELETED,
        is_minor=is_minor,
        legal_representative_ids=frozenset(representatives),
        caregiver_ids=frozenset(caregivers),
    )
    actor = ActorFacts(kind=acting.actor.kind, id=str(acting.actor.id))
    return decide(actor, patient, None, RequestContext(action=Action.VIEW_TRACES, now=clock.now()))
