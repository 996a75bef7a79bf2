"""Helpers for the audit tests: persons with a space and an account, traces appended in transactions."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client

from carnet.accounts.models import User
from carnet.audit import hooks
from carnet.audit.db_guard import uninstall_sql
from carnet.audit.models import Trace
from carnet.audit.services import trace
from carnet.common.actors import Actor, ActorKind
from carnet.identity.models import Person
from tests.factories import DelegationFactory, HealthSpaceFactory, PatientUserFactory, PersonFactory, make_nir

_serials = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_hidden_providers() -> Iterator[None]:
    """Tests register their own providers; none leaks into the next test."""
    saved = dict(hooks._PROVIDERS)
    hooks._PROVIDERS.clear()
    yield
    hooks._PROVIDERS.clear()
    hooks._PROVIDERS.update(saved)


def person_with_space(*, birth_date: date = date(1980, 5, 17), status: str = "ACTIVATED") -> Person:
    serial = next(_serials) % 499 + 1  # 1..499: PersonFactory draws 500..899
    person = PersonFactory(birth_date=birth_date, ins_matricule=make_nir("F", birth_date, serial))
    HealthSpaceFactory(person=person, status=status)
    PatientUserFactory(person=person)
    return person


def account(person: Person) -> User:
    return User.objects.get(person=person)


def patient_actor(person: Person, kind: ActorKind = ActorKind.PATIENT) -> Actor:
    user = account(person)
    return Actor(kind, str(user.public_id), label=person.display_name, user_id=user.pk, person_id=person.pk)


def pro_actor(rpps: str = "10003456789", label: str = "Dr Anne DURAND") -> Actor:
    return Actor(ActorKind.PROFESSIONAL, rpps, label=label)


def add_trace(
    patient: Person | int, actor: Actor | None = None, action: str = "CONSULT", **kwargs: Any
) -> Trace:
    patient_id = patient if isinstance(patient, int) else patient.pk
    with transaction.atomic():
        return trace(actor=actor or pro_actor(), action=action, patient_id=patient_id, **kwargs)


def logged_in(person: Person) -> Client:
    client = Client()
    client.force_login(account(person))
    return client


def acting_for(client: Client, subject: Person) -> None:
    session = client.session
    session["acting_for"] = str(subject.public_id)
    session.save()


def delegate(subject: Person, delegate: Person, kind: str = "LEGAL_REPRESENTATION") -> Any:
    return DelegationFactory(subject=subject, delegate=delegate, kind=kind)


@contextmanager
def guard_dropped() -> Iterator[None]:
    """Drop the append-only triggers inside the test's transaction (rolled back with it), as an
    attacker with DBA rights could: the hash chain and the signed checkpoints are what catch him."""
    with connection.cursor() as cursor:
        for sql in uninstall_sql(connection.vendor):
            cursor.execute(sql)
    yield


@pytest.fixture
def person(clock: Any) -> Callable[..., Person]:
    return person_with_space


def other_patients_traces(n: int = 3, first_patient: int = 900) -> None:
    """Entries of other patients, so that a history's leaves are not contiguous in the global log."""
    for i in range(n):
        add_trace(first_patient + i, action="CONSULT")


def sequence() -> Any:
    """Run the sequencer as the worker does (its own transaction)."""
    from carnet.audit.log import log_sequence

    return log_sequence()
