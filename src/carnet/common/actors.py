"""Who does something: the subject of every policy decision and every trace."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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
