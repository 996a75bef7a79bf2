"""Fixtures of the vaccination and measurement tests: a world of real people (tests.records.helpers),
a pharmacist (G15_21), page clients, and helpers that go through the real services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from django.test import Client

from carnet.access import services as access_services
from carnet.accounts.models import Role, User
from carnet.common.actors import Actor, ActorKind
from carnet.identity.models import Person, Professional
from carnet.profile.vitals import services
from carnet.profile.vitals.models import Measurement, Vaccination
from tests.factories import DelegationFactory, ProfessionalFactory
from tests.records.helpers import (
    World,
    give_account,
    give_space,
    make_world,
    new_person,
    person_actor,
    pro_actor,
)


@dataclass
class Vitals:
    world: World
    pharmacist: Professional

    @property
    def patient(self) -> Person:
        return self.world.patient

    @property
    def holder(self) -> Actor:
        return self.world.holder

    def consent(self, professional: Professional) -> None:
        """R-AC-12/14: the professional records the patient's explicit consent."""
        access_services.care_relation_record(
            actor=pro_actor(professional), patient_id=self.patient.pk, kind="EXPLICIT"
        )

    def caregiver(self) -> tuple[Person, Actor]:
        helper = new_person(birth_date=date(1970, 3, 3))
        give_space(helper)
        give_account(helper)
        DelegationFactory(kind="CAREGIVING", subject=self.patient, delegate=helper)
        return helper, person_actor(helper, ActorKind.CAREGIVER)

    def add_vaccination(self, actor: Actor | None = None, **fields: Any) -> Vaccination:
        fields.setdefault("effective_date", date(2025, 10, 1))
        fields.setdefault("vaccine_code", "INFLUENZA")
        return services.vaccination_create(actor=actor or self.holder, patient_id=self.patient.pk, **fields)

    def add_measure(self, code: str, value: Any, when: datetime, **kwargs: Any) -> Measurement:
        return services.measurement_create(
            actor=self.holder, patient_id=self.patient.pk, code=code, value=value, measured_at=when, **kwargs
        )

    def patient_client(self) -> Client:
        client = Client()
        client.force_login(User.objects.get(person=self.patient))
        return client

    def pro_client(self, professional: Professional) -> Client:
        user = User.objects.filter(professional=professional).first() or User.objects.create_user(
            username=f"pro-{professional.rpps}",
            password="x-Motdepasse-1234",
            role=Role.PROFESSIONAL,
            professional=professional,
        )
        client = Client()
        client.force_login(user)
        return client


def make_vitals(**world_kwargs: Any) -> Vitals:
    return Vitals(
        world=make_world(**world_kwargs),
        pharmacist=ProfessionalFactory(profession_code="G15_21", specialty_code="", last_name="PHARMA"),
    )


@pytest.fixture
def vitals(db: Any, clock: Any) -> Vitals:
    return make_vitals()
