"""Fixtures of the summary tests (R-LC-25, R-PML-1, IPS, FHIR reads): a patient whose profile is filled
through the real services, a GP, an establishment with an OAuth2 token, and page clients."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.test import Client

from carnet.access import services as access_services
from carnet.access.models import CareRelation, RelationKind
from carnet.accounts.models import User
from carnet.common import clock
from carnet.common.actors import Actor
from carnet.identity.models import Person, Professional
from carnet.profile import services as profile_services
from carnet.profile.vitals import services as vitals_services
from tests.api.conftest import get_token, make_oauth_client
from tests.records.helpers import World, make_world, pro_actor

# Every section of the summary has something (and some text only one section holds, to find it in a PDF).
TREATMENT = {"name": "Metformine", "start_year": 2020, "posology": "1 cp matin et soir"}
ALLERGY = {"name": "Pollen de bouleau"}
DISEASE = {"name": "Diabète de type 2", "start_year": 2019}
HOSPITALISATION = {"name": "Appendicectomie", "start_year": 2010, "duration": 3, "duration_unit": "DAY"}
FAMILY = {"name": "Cancer du sein", "relationship": "MOTHER"}


@dataclass
class Filled:
    world: World

    @property
    def patient(self) -> Person:
        return self.world.patient

    @property
    def holder(self) -> Actor:
        return self.world.holder

    @property
    def gp(self) -> Professional:
        return self.world.gp

    def consent_gp(self) -> None:
        """R-AC-12/14: the GP records the holder's explicit consent."""
        access_services.care_relation_record(
            actor=pro_actor(self.gp), patient_id=self.patient.pk, kind="EXPLICIT"
        )

    def consent_establishment(self) -> None:
        """R-AC-11: the holder's consent given to the establishment (care team)."""
        CareRelation.objects.create(
            patient_id=self.patient.pk,
            organisation=self.world.lab_org,
            kind=RelationKind.CARE_TEAM,
            started_at=clock.now(),
            recorded_by="test",
        )

    def client(self) -> Client:
        http = Client()
        http.force_login(User.objects.get(person=self.patient))
        return http

    def token(self) -> str:
        return get_token(Client(), make_oauth_client(self.world.lab_org))


def fill(world: World) -> None:
    """One item in each list section, two vaccinations, three measures (one blood pressure pair)."""
    holder, pid = world.holder, world.patient.pk
    for section, data in (
        ("TREATMENTS", TREATMENT),
        ("ALLERGIES", ALLERGY),
        ("DISEASES", DISEASE),
        ("HOSPITALIZATIONS", HOSPITALISATION),
        ("FAMILY_HISTORIES", FAMILY),
    ):
        profile_services.profile_item_create(actor=holder, patient_id=pid, section=section, data=data)
    profile_services.blood_group_set(actor=holder, patient_id=pid, group="A+")
    vitals_services.vaccination_create(
        actor=holder,
        patient_id=pid,
        effective_date=date(2025, 10, 1),
        vaccine_code="INFLUENZA",
        lot_number="LOT42",
    )
    vitals_services.vaccination_create(
        actor=holder, patient_id=pid, effective_date=date(2024, 3, 1), vaccine_name="Vaccin libre"
    )
    vitals_services.measurement_create(
        actor=holder,
        patient_id=pid,
        code="WEIGHT",
        value="72.5",
        measured_at=datetime(2025, 12, 1, 8, tzinfo=UTC),
    )
    vitals_services.measurement_create(
        actor=holder,
        patient_id=pid,
        code="WEIGHT",
        value="71.9",
        measured_at=datetime(2026, 1, 2, 8, tzinfo=UTC),
    )
    vitals_services.measurement_create(
        actor=holder,
        patient_id=pid,
        code="BLOOD_PRESSURE",
        value="128",
        second_value="82",
        measured_at=datetime(2026, 1, 3, 8, tzinfo=UTC),
    )


@pytest.fixture
def filled(db: Any, clock: Any) -> Filled:
    world = make_world()
    fill(world)
    return Filled(world)


@pytest.fixture
def empty(db: Any, clock: Any) -> Filled:
    return Filled(make_world())


@pytest.fixture
def establishment_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped matrix has no row for establishments' software (an ORGANISATION actor has no profession
    code, so R-MAT-1 refuses it everything it did not author). This adds the row an official matrix would
    carry: establishments may consult "Note de vaccination" (87273-9). Consent still applies."""
    from carnet.access import matrix as matrix_module
    from carnet.access import policy

    real = matrix_module.load_matrix()
    versions = tuple(replace(v, cells={**v.cells, ("", "", "type", "87273-9"): True}) for v in real.versions)
    patched = matrix_module.AuthorisationMatrix(versions=versions)
    monkeypatch.setattr(policy, "load_matrix", lambda: patched)
