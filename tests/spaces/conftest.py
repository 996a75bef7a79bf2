"""Fixtures for the lifecycle tests (SPEC §1.2–1.5): people, spaces, accounts, and trace helpers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.core.cache import cache

from carnet.accounts.models import User
from carnet.audit.models import Trace
from carnet.common.actors import Actor, ActorKind
from carnet.identity.models import Person
from carnet.spaces import services
from carnet.spaces.models import HealthSpace
from tests.factories import (
    PATIENT_PASSWORD,
    DelegationFactory,
    HealthSpaceFactory,
    PatientUserFactory,
    PersonFactory,
)

PASSWORD = PATIENT_PASSWORD
VITALE = "12345678901"  # the serial PersonFactory hashes


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    cache.clear()  # identification throttles live in the cache
    yield
    cache.clear()


def patient_actor(user: User) -> Actor:
    person = user.person
    assert person is not None
    return Actor(
        ActorKind.PATIENT,
        str(user.public_id),
        label=person.display_name,
        user_id=user.pk,
        person_id=person.pk,
    )


def representative_actor(user: User) -> Actor:
    person = user.person
    assert person is not None
    return Actor(
        ActorKind.LEGAL_REPRESENTATIVE,
        str(user.public_id),
        label=person.display_name,
        user_id=user.pk,
        person_id=person.pk,
    )


def caregiver_actor(user: User) -> Actor:
    person = user.person
    assert person is not None
    return Actor(
        ActorKind.CAREGIVER,
        str(user.public_id),
        label=person.display_name,
        user_id=user.pk,
        person_id=person.pk,
    )


OPERATOR = Actor(ActorKind.OPERATOR, "operator-1", label="Opérateur")
INSURANCE = Actor.insurance()


def actions(space: HealthSpace) -> list[str]:
    return list(
        Trace.objects.filter(patient_id=space.patient_id).order_by("id").values_list("action", flat=True)
    )


def assert_traced(space: HealthSpace, action: str, **details: Any) -> Trace:
    """The act left its trace in the patient's chain (ARCHITECTURE invariant 2)."""
    found = Trace.objects.filter(patient_id=space.patient_id, action=action).order_by("-id").first()
    assert found is not None, f"{action} not traced; chain has {actions(space)}"
    for key, value in details.items():
        assert found.details.get(key) == value, (key, found.details)
    return found


@pytest.fixture
def holder(db: None, clock: Any) -> User:
    """An adult holder with an ACTIVATED space and a patient account."""
    user = PatientUserFactory()
    HealthSpaceFactory(person=user.person)
    return user


def space_of(user_or_person: User | Person) -> HealthSpace:
    person = user_or_person.person if isinstance(user_or_person, User) else user_or_person
    return HealthSpace.objects.select_related("person").get(person=person)


@pytest.fixture
def informed(db: None, clock: Any) -> tuple[HealthSpace, str]:
    """R-LC-1..4: an adult informed at D0 (the clock's start) with his provisional code."""
    person = PersonFactory()
    return services.space_inform(person=person, actor=INSURANCE)


def make_child(parent: Person, *, birth_date: date) -> Person:
    child = PersonFactory(birth_date=birth_date, insured_under=parent, email="", phone="")
    DelegationFactory(subject=child, delegate=parent, kind="LEGAL_REPRESENTATION", is_primary=True)
    return child


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
