"""Fixtures of the agenda tests (SPEC §6): a holder with an activated space and an account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from carnet.common.actors import Actor, ActorKind
from carnet.identity.models import Person
from tests.factories import DelegationFactory, HealthSpaceFactory, PatientUserFactory


@dataclass
class Holder:
    person: Person
    user: object
    actor: Actor


def make_holder(birth_date: date = date(1980, 5, 17), status: str = "ACTIVATED") -> Holder:
    space = HealthSpaceFactory(status=status, person__birth_date=birth_date)
    user = PatientUserFactory(person=space.person)
    actor = Actor(
        ActorKind.PATIENT, str(user.public_id), label="Titulaire", user_id=user.pk, person_id=space.person.pk
    )
    return Holder(space.person, user, actor)


@pytest.fixture
def holder(clock) -> Holder:  # type: ignore[no-untyped-def]
    return make_holder()


@pytest.fixture
def parent_of_child(clock) -> tuple[Actor, Person]:  # type: ignore[no-untyped-def]
    """A legal representative acting for his 6-year-old child (R-MIN-1)."""
    parent = make_holder()
    child = make_holder(birth_date=date(2020, 1, 1))
    DelegationFactory(subject=child.person, delegate=parent.person)
    actor = Actor(
        ActorKind.LEGAL_REPRESENTATIVE,
        str(parent.user.public_id),  # type: ignore[attr-defined]
        label="Parent",
        person_id=parent.person.pk,
    )
    return actor, child.person
