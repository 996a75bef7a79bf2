"""Minors and legal representatives: R-MIN-1, R-MIN-3, R-MIN-7, R-LC-6, R-LC-10 (minors)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from carnet.audit.models import Trace
from carnet.common.actors import Actor, ActorKind
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.identity.models import Person
from carnet.notifications.models import OutboxMessage
from carnet.spaces import delegation as svc
from carnet.spaces.models import Delegation, DelegationStatus, SpaceStatus
from carnet.spaces.services import space_inform

from .conftest import actor_of, new_person

pytestmark = pytest.mark.django_db

CHILD_BIRTH = date(2015, 3, 1)


def informed_child(parent: Person, birth_date: date = CHILD_BIRTH) -> tuple[Person, str]:
    """R-LC-6: a child insured under ``parent`` (R-ID-4), space created; returns the provisional code."""
    child = new_person(birth_date=birth_date, sex="M", insured_under=parent, email="", phone="")
    _space, code = space_inform(person=child, actor=Actor.insurance())
    return child, code


def activate(parent: Person, code: str, child: Person, **overrides: Any) -> Delegation:
    fields = {
        "code": code,
        "parent_nir": parent.ins_matricule,
        "child_birth_date": child.birth_date,
        "certified": True,
    } | overrides
    return svc.minor_profile_activate(parent=parent, actor=actor_of(parent), **fields)


def error_of(call: Any) -> tuple[str, str]:
    with pytest.raises(DomainError) as info:
        call()
    return info.value.code, str(info.value.message)


def attached_child(parent: Person, birth_date: date = CHILD_BIRTH) -> Person:
    child = new_person(birth_date=birth_date, sex="M", insured_under=parent)
    svc.minor_attach(child=child, representative=parent, actor=Actor.insurance())
    return child


def invite_rl(inviter: Person, child: Person, invitee: Person, **overrides: Any) -> Delegation:
    fields = {
        "nir": invitee.ins_matricule,
        "birth_name": invitee.birth_name,
        "first_name": invitee.first_name,
        "birth_date": invitee.birth_date,
    } | overrides
    return svc.legal_representative_invite(inviter=inviter, child=child, actor=actor_of(inviter), **fields)


# --- R-LC-10: activation of a child's profile by the parent ---------------------------------------


def test_parent_activates_the_childs_profile_and_becomes_primary_representative(clock, patient) -> None:
    """R-LC-10 (minors), R-LC-6: code + parent's own NIR + child's birth date + certification."""
    parent = patient()
    child, code = informed_child(parent)
    d = activate(parent, code, child)
    child.space.refresh_from_db()
    assert child.space.status == SpaceStatus.ACTIVATED
    assert (d.status, d.is_primary, d.delegate_id, d.kind) == (
        DelegationStatus.ACCEPTED, True, parent.pk, "LEGAL_REPRESENTATION",
    )  # fmt: skip


def test_child_activation_is_traced_on_the_childs_chain_as_legal_representative(clock, patient) -> None:
    """Invariant 2: the activation and the delegation appear in the child's history."""
    parent = patient()
    child, code = informed_child(parent)
    activate(parent, code, child)
    kinds = dict(
        Trace.objects.filter(
            patient_id=child.pk, action__in=["SPACE_ACTIVATED", "DELEGATION_MINOR_PROFILE_ACTIVATED"]
        ).values_list("action", "actor_kind")
    )
    assert kinds == {
        "SPACE_ACTIVATED": ActorKind.LEGAL_REPRESENTATIVE,
        "DELEGATION_MINOR_PROFILE_ACTIVATED": ActorKind.LEGAL_REPRESENTATIVE,
    }


def test_child_activation_mismatches_all_give_the_same_generic_error(clock, patient) -> None:
    """R-LC-10 + security rule: wrong code, NIR or birth date, or not the insured-under parent: one answer."""
    parent, other_parent = patient(), patient()
    child, code = informed_child(parent)
    answers = {
        error_of(lambda: activate(parent, "ABCDEFGHJKMN", child)),
        error_of(lambda: activate(parent, code, child, parent_nir=other_parent.ins_matricule)),
        error_of(lambda: activate(parent, code, child, child_birth_date=date(2015, 3, 2))),
        error_of(lambda: activate(other_parent, code, child, parent_nir=other_parent.ins_matricule)),
    }
    assert answers == {("identity_mismatch", str(svc.GENERIC_CHILD_MESSAGE))}
    child.space.refresh_from_db()
    assert child.space.status == SpaceStatus.INFORMED
    assert not Delegation.objects.exists()


def test_child_activation_requires_the_certification(clock, patient) -> None:
    """R-LC-10: the user must certify being the legal representative (field error, nothing written)."""
    parent = patient()
    child, code = informed_child(parent)
    with pytest.raises(DomainError) as info:
        activate(parent, code, child, certified=False)
    assert info.value.field == "certified"
    assert not Delegation.objects.exists()


def test_child_activation_is_refused_after_the_code_expired(clock, patient) -> None:
    """R-LC-4: the provisional code lives 6 weeks; afterwards the same generic error."""
    parent = patient()
    child, code = informed_child(parent)
    clock.advance(days=43)
    assert error_of(lambda: activate(parent, code, child))[0] == "identity_mismatch"


def test_an_adult_child_cannot_be_activated_by_the_parent(clock, patient) -> None:
    """R-MIN-7: an 18-year-old activates his own profile."""
    parent = patient()
    child, code = informed_child(parent, birth_date=date(2007, 12, 1))
    assert error_of(lambda: activate(parent, code, child))[0] == "identity_mismatch"


# --- R-MIN-1: attachment and the second legal representative ---------------------------------------


def test_minor_attach_creates_the_primary_accepted_representation(clock, patient) -> None:
    """R-MIN-1: the child is attached to the representative he is insured under."""
    parent = patient()
    child = attached_child(parent)
    d = Delegation.objects.get(subject=child)
    assert (d.status, d.is_primary, d.delegate_id) == (DelegationStatus.ACCEPTED, True, parent.pk)


def test_minor_attach_refuses_an_adult(clock, patient) -> None:
    with pytest.raises(DomainError) as info:
        svc.minor_attach(child=patient(), representative=patient(), actor=Actor.insurance())
    assert info.value.code == "not_a_minor"


def test_second_representative_invited_accepts_and_inviter_is_notified(clock, patient) -> None:
    """R-MIN-1 ``sendInvitationSecondRL``; notification when answered."""
    parent, other = patient(), patient(sex="M", birth_date=date(1979, 4, 2))
    child = attached_child(parent)
    d = invite_rl(parent, child, other)
    assert d.status == DelegationStatus.PENDING
    assert OutboxMessage.objects.filter(address=other.email, template="delegation_invitation").exists()
    svc.delegation_accept(delegation=d, person=other, actor=actor_of(other))
    d.refresh_from_db()
    assert (d.status, d.is_primary) == (DelegationStatus.ACCEPTED, False)
    assert OutboxMessage.objects.filter(address=parent.email, template="delegation_answered").exists()


def test_a_third_legal_representative_is_refused(clock, patient) -> None:
    """R-MIN-1: at most 2 legal representatives per minor (a pending invitation holds the second place)."""
    parent = patient()
    child = attached_child(parent)
    invite_rl(parent, child, patient(birth_date=date(1979, 4, 2)))
    code, _msg = error_of(lambda: invite_rl(parent, child, patient(birth_date=date(1978, 4, 2))))
    assert code == "LEGAL_REPRESENTATIVES_LIMIT_REACHED"


def test_second_representative_identity_mismatch_is_generic(clock, patient) -> None:
    """R-MIN-1 + security rule: unknown person and wrong traits give the same answer."""
    parent, other = patient(), patient(birth_date=date(1979, 4, 2))
    child = attached_child(parent)
    ghost = new_person(birth_date=date(1985, 1, 1))
    ghost_nir = ghost.ins_matricule
    ghost.delete()
    answers = {
        error_of(lambda: invite_rl(parent, child, other, birth_name="AUTRE")),
        error_of(lambda: invite_rl(parent, child, other, nir=ghost_nir, birth_date=date(1985, 1, 1))),
    }
    assert answers == {("identity_mismatch", str(svc.GENERIC_IDENTITY_MESSAGE))}


def test_only_the_primary_representative_invites_the_second(clock, patient) -> None:
    """R-MIN-1: a stranger (or the second representative) gets "not found"."""
    parent, stranger = patient(), patient()
    child = attached_child(parent)
    with pytest.raises(NotFoundOrForbidden):
        invite_rl(stranger, child, patient(birth_date=date(1979, 4, 2)))


def test_primary_representative_can_end_the_second_ones_access(clock, patient) -> None:
    """R-MIN-1: the representative the child is attached to manages the second one."""
    parent, other = patient(), patient(birth_date=date(1979, 4, 2))
    child = attached_child(parent)
    d = invite_rl(parent, child, other)
    svc.delegation_accept(delegation=d, person=other, actor=actor_of(other))
    svc.delegation_revoke(delegation=d, person=parent, actor=actor_of(parent))
    d.refresh_from_db()
    assert d.status == DelegationStatus.REVOKED


def test_a_minor_cannot_dismiss_his_legal_representative(clock, patient) -> None:
    """R-MIN-1: the representation is not the minor's to revoke ("not found", nothing changes)."""
    parent = patient()
    child = attached_child(parent)
    d = Delegation.objects.get(subject=child)
    with pytest.raises(NotFoundOrForbidden):
        svc.delegation_revoke(delegation=d, person=child, actor=actor_of(child))
    d.refresh_from_db()
    assert d.status == DelegationStatus.ACCEPTED
