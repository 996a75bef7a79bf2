"""Helpers for the delegation tests (SPEC §1.5, §8): persons with an activated space and an account."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from carnet.accounts.models import Role, User
from carnet.common import clock as carnet_clock
from carnet.common.actors import Actor, ActorKind
from carnet.identity.models import Person
from carnet.spaces.acting import ActingContext
from carnet.spaces.models import HealthSpace, SpaceStatus
from tests.factories import PersonFactory, make_nir

_serials = itertools.count(1)


def new_person(*, birth_date: date = date(1980, 5, 17), sex: str = "F", **kwargs: Any) -> Person:
    """A person with a unique, valid NIR (serial from a counter: no collisions inside one test)."""
    serial = next(_serials) % 499 + 1  # 1..499: PersonFactory draws 500..899
    return PersonFactory(
        birth_date=birth_date, sex=sex, ins_matricule=make_nir(sex, birth_date, serial), **kwargs
    )


def give_space(person: Person, status: str = SpaceStatus.ACTIVATED) -> HealthSpace:
    now = carnet_clock.now()
    return HealthSpace.objects.create(
        person=person,
        status=status,
        status_changed_at=now,
        created_at=now,
        activated_at=now if status == SpaceStatus.ACTIVATED else None,
    )


def give_account(person: Person) -> User:
    return User.objects.create_user(
        username=f"u{person.pk}-{person.public_id.hex[:8]}",
        password="Motdepasse-1234",
        role=Role.PATIENT,
        person=person,
    )


def actor_of(person: Person, kind: ActorKind = ActorKind.PATIENT) -> Actor:
    account = getattr(person, "account", None)
    ident = str(account.public_id) if account is not None else str(person.public_id)
    return Actor(
        kind, ident, label=person.display_name, user_id=account.pk if account else None, person_id=person.pk
    )


def acting(me: Person, subject: Person, kind: ActorKind) -> ActingContext:
    return ActingContext(actor=actor_of(me, kind), me=me, subject=subject)


@pytest.fixture
def patient(clock: Any) -> Callable[..., Person]:
    """Factory of adults (by default) with an ACTIVATED space and an active account."""

    def make(**kwargs: Any) -> Person:
        person = new_person(**kwargs)
        give_space(person)
        give_account(person)
        return person

    return make
