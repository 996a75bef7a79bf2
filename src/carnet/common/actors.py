"""Who does something: the subject of every policy decision and every trace."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from django.utils.translation import gettext_lazy as _

from .roles import Role


class ActorKind(StrEnum):
    PATIENT = "PATIENT"  # the holder himself
    LEGAL_REPRESENTATIVE = "LEGAL_REPRESENTATIVE"
    CAREGIVER = "CAREGIVER"
    PROFESSIONAL = "PROFESSIONAL"
    ORGANISATION = "ORGANISATION"  # an establishment's software
    OPERATOR = "OPERATOR"
    INSURANCE = "INSURANCE"  # the health-insurance register feed (information letters, deaths)
    SYSTEM = "SYSTEM"  # scheduled jobs


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: str  # stable public identifier (user public id, RPPS, FINESS, job name)
    label: str = ""  # shown to the patient in his history: never health data
    user_id: int | None = None
    person_id: int | None = None  # the acting person, for patients, representatives, caregivers

    @classmethod
    def system(cls, job: str) -> Actor:
        return cls(ActorKind.SYSTEM, job, label="Carnet")

    @classmethod
    def insurance(cls) -> Actor:
        return cls(ActorKind.INSURANCE, "assurance-maladie", label="Assurance Maladie")


class Account(Protocol):
    """What ``actor_for_user`` reads of an account (``accounts.models.User``)."""

    @property
    def pk(self) -> Any: ...
    @property
    def public_id(self) -> Any: ...
    @property
    def role(self) -> str: ...
    @property
    def person(self) -> Any: ...
    @property
    def professional(self) -> Any: ...


def actor_for_user(user: Account) -> Actor:
    """The actor of a user's own acts (his traces show his name, never health data)."""
    if user.role == Role.PATIENT and user.person is not None:
        person = user.person
        return Actor(
            ActorKind.PATIENT,
            str(user.public_id),
            label=person.display_name,
            user_id=user.pk,
            person_id=person.pk,
        )
    if user.role == Role.PROFESSIONAL and user.professional is not None:
        return Actor(
            ActorKind.PROFESSIONAL, str(user.public_id), label=user.professional.display_name, user_id=user.pk
        )
    return Actor(ActorKind.OPERATOR, str(user.public_id), label=str(_("Opérateur")), user_id=user.pk)
