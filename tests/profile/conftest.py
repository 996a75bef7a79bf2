"""Fixtures of the medical profile tests (SPEC §4): a patient world with real models and services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from carnet.access.models import CareRelation, RelationKind
from carnet.common import clock
from carnet.common.actors import Actor, ActorKind
from carnet.identity.models import Person, Professional
from tests.factories import DelegationFactory
from tests.records.helpers import (
    PDF,
    World,
    give_account,
    give_space,
    make_world,
    new_person,
    person_actor,
    pro_actor,
)

__all__ = ["PDF", "Profile", "consent", "pro_actor"]


def consent(world: World, professional: Professional) -> None:
    """R-AC-12: an explicit consent recorded for ``professional``."""
    CareRelation.objects.create(
        patient_id=world.patient.pk,
        professional=professional,
        kind=RelationKind.EXPLICIT,
        started_at=clock.now(),
    )


@dataclass
class Profile:
    world: World

    @property
    def patient(self) -> Person:
        return self.world.patient

    @property
    def holder(self) -> Actor:
        return self.world.holder

    def caregiver(self) -> Actor:
        aidant = new_person(birth_date=date(1970, 3, 3))
        give_space(aidant)
        give_account(aidant)
        DelegationFactory(kind="CAREGIVING", subject=self.patient, delegate=aidant)
        return person_actor(aidant, ActorKind.CAREGIVER)

    def stranger(self) -> Actor:
        other = new_person(birth_date=date(1985, 1, 1))
        give_space(other)
        give_account(other)
        return person_actor(other)


@pytest.fixture
def profile(db: Any, clock: Any) -> Profile:
    return Profile(world=make_world())


@pytest.fixture
def minor_profile(db: Any, clock: Any) -> tuple[Profile, Actor]:
    """A 10-year-old (on the frozen clock, 2026-01-05) and his legal representative."""
    world = make_world(birth_date=date(2015, 6, 1))
    parent = new_person(birth_date=date(1980, 1, 1))
    give_space(parent)
    give_account(parent)
    DelegationFactory(kind="LEGAL_REPRESENTATION", subject=world.patient, delegate=parent, is_primary=True)
    return Profile(world=world), person_actor(parent, ActorKind.LEGAL_REPRESENTATIVE)
