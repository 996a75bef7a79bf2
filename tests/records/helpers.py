"""Builders for the record and access-wiring tests: real models, real services (SPEC §2, §3)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import Any

from carnet.accounts.models import Role, User
from carnet.audit.models import Trace
from carnet.common import clock
from carnet.common.actors import Actor, ActorKind
from carnet.identity.models import Organisation, Person, Professional
from carnet.notifications.models import OutboxMessage
from carnet.records import services
from carnet.records.models import Document
from carnet.spaces.models import HealthSpace, SpaceStatus
from tests.factories import (
    DelegationFactory,
    OrganisationFactory,
    PersonFactory,
    ProfessionalFactory,
    make_nir,
)

_serials = itertools.count(1)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def new_person(*, birth_date: date = date(1980, 5, 17), **kwargs: Any) -> Person:
    serial = next(_serials) % 499 + 1  # 1..499: PersonFactory draws 500..899
    return PersonFactory(birth_date=birth_date, ins_matricule=make_nir("F", birth_date, serial), **kwargs)


def give_space(person: Person, status: str = SpaceStatus.ACTIVATED) -> HealthSpace:
    now = clock.now()
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
        password="x-Motdepasse-1234",
        role=Role.PATIENT,
        person=person,
    )


def person_actor(person: Person, kind: ActorKind = ActorKind.PATIENT) -> Actor:
    account = User.objects.filter(person=person).first()
    return Actor(
        kind,
        str(account.public_id) if account else str(person.public_id),
        label=person.display_name,
        user_id=account.pk if account else None,
        person_id=person.pk,
    )


def pro_actor(professional: Professional) -> Actor:
    """An API-style professional actor (id = RPPS), resolved by the gateway."""
    return Actor(ActorKind.PROFESSIONAL, professional.rpps, label=professional.display_name)


def org_actor(organisation: Organisation) -> Actor:
    return Actor(ActorKind.ORGANISATION, organisation.finess, label=organisation.name)


@dataclass
class World:
    patient: Person
    space: HealthSpace
    gp: Professional
    dentist: Professional
    lab: Professional
    lab_org: Organisation
    hospital: Professional
    admin: Professional
    nurse: Professional

    @property
    def holder(self) -> Actor:
        return person_actor(self.patient)


def make_world(*, status: str = SpaceStatus.ACTIVATED, birth_date: date = date(1980, 5, 17)) -> World:
    patient = new_person(birth_date=birth_date)
    space = give_space(patient, status)
    give_account(patient)
    return World(
        patient=patient,
        space=space,
        gp=ProfessionalFactory(profession_code="G15_10", specialty_code="G15_10/SM54"),
        dentist=ProfessionalFactory(profession_code="G15_40", specialty_code=""),
        lab=ProfessionalFactory(profession_code="G15_10", specialty_code="G15_10/SM26"),
        lab_org=OrganisationFactory(),
        hospital=ProfessionalFactory(profession_code="G15_10", specialty_code=""),
        admin=ProfessionalFactory(profession_code="G15_10", specialty_code=""),
        nurse=ProfessionalFactory(profession_code="G15_60", specialty_code=""),
    )


def add_parent(world: World) -> Person:
    parent = new_person(birth_date=date(1975, 1, 1))
    give_space(parent)
    give_account(parent)
    DelegationFactory(kind="LEGAL_REPRESENTATION", subject=world.patient, delegate=parent, is_primary=True)
    return parent


def deposit_pdf(world: World, author: Professional, **metadata: Any) -> Document:
    metadata.setdefault("type_code", "11488-4")
    metadata.setdefault("title", "Compte rendu de consultation")
    return services.document_deposit(
        actor=pro_actor(author),
        patient_id=world.patient.pk,
        content=PDF,
        filename="cr.pdf",
        declared_media_type="application/pdf",
        **metadata,
    )


def cda(
    person: Person,
    *,
    type_code: str = "11488-4",
    confidentiality: str = "N",
    doctype: str = "",
    ins: str | None = None,
    oid: str | None = None,
) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
{doctype}<ClinicalDocument xmlns="urn:hl7-org:v3">
  <code code="{type_code}" codeSystem="2.16.840.1.113883.6.1"/>
  <title>Compte rendu</title>
  <effectiveTime value="20260105090000+0100"/>
  <confidentialityCode code="{confidentiality}" codeSystem="2.16.840.1.113883.5.25"/>
  <recordTarget><patientRole>
    <id root="{oid or person.ins_oid}" extension="{ins or person.ins_matricule}"/>
  </patientRole></recordTarget>
  <documentationOf><serviceEvent><effectiveTime><low value="20260104"/></effectiveTime></serviceEvent></documentationOf>
  <component><nonXMLBody><text mediaType="text/plain">ok</text></nonXMLBody></component>
</ClinicalDocument>
""".encode()


def traces(patient: Person, **filters: Any) -> list[Trace]:
    return list(Trace.objects.filter(patient_id=patient.pk, **filters).order_by("id"))


def outbox(patient: Person, template: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(patient_id=patient.pk, template=template))
