"""R-LC-21 / R-LC-28 [I] with ADR 0008: a person who opposed once his space was open keeps his opposition;
what professionals deposited meanwhile is archived ten years, then erased like everything else — while
the identity that honours the opposition, the opposition's date and reference (its proof) stay, and he
may still change his mind and activate a space that works (a new key, not the destroyed one)."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from carnet.access import services as access_services
from carnet.access.models import RelationKind
from carnet.common.actors import Actor, ActorKind
from carnet.identity.models import Person
from carnet.messaging import services as messaging_services
from carnet.records import services as record_services
from carnet.records.models import Document
from carnet.spaces import services as space_services
from carnet.spaces.models import HealthSpace, SpaceErasure, SpaceStatus
from carnet.vault.models import PatientKey
from tests.erasure import scan
from tests.erasure.world import pro_actor
from tests.factories import HealthSpaceFactory, PersonFactory, ProfessionalFactory


def _canary(label: str) -> str:
    return f"QZX{label.upper()}{secrets.token_hex(3).upper()}"


@pytest.mark.django_db(transaction=True)
def test_the_end_of_an_oppositions_archive_erases_the_deposits_and_keeps_the_opposition(clock: Any) -> None:
    person = PersonFactory(email="opposant@example.org")
    space = HealthSpaceFactory(person=person, status=SpaceStatus.OPEN_NOT_ACTIVATED, opened_at=clock.now())
    gp = ProfessionalFactory(profession_code="G15_10", specialty_code="G15_10/SM54")
    title, subject, body = _canary("title"), _canary("subject"), _canary("body")
    access_services.care_relation_record(
        actor=pro_actor(gp), patient_id=person.pk, kind=RelationKind.EXPLICIT
    )
    record_services.document_deposit(
        actor=pro_actor(gp),
        patient_id=person.pk,
        content=b"%PDF-1.4\n%%EOF\n",
        filename="cr.pdf",
        declared_media_type="application/pdf",
        type_code="11488-4",
        title=title,
    )
    messaging_services.conversation_start(
        actor=pro_actor(gp), patient_id=person.pk, subject=subject, body=body
    )
    public = Actor(ActorKind.PATIENT, str(person.public_id), person_id=person.pk)
    space_services.space_oppose(space=HealthSpace.objects.get(pk=space.pk), actor=public)
    reference = HealthSpace.objects.get(pk=space.pk).opposition_reference
    assert reference

    clock.advance(days=365 * 10 + 5)
    counts = space_services.spaces_apply_deadlines()

    assert counts["opposed_archives_erased"] == 1
    assert not Document.objects.filter(patient_id=person.pk).exists()
    assert not PatientKey.objects.filter(patient_id=person.pk).exists()
    assert scan.scan_catalogue({title, subject, body}) == set()
    kept = HealthSpace.objects.get(pk=space.pk)
    assert (kept.status, kept.opposition_reference) == (SpaceStatus.OPPOSED, reference)
    assert kept.opposed_at is not None and kept.deleted_at is not None
    assert Person.objects.get(pk=person.pk).ins_matricule == person.ins_matricule  # still recognised
    tombstone = SpaceErasure.objects.get(patient_id=person.pk)
    assert (
        "identity_and_opposition" in tombstone.certificate and tombstone.motif == "FIN_ARCHIVAGE_OPPOSITION"
    )

    # He changes his mind: the space he activates can hold documents again (with a new key).
    space_services.space_activate(space=HealthSpace.objects.get(pk=space.pk), actor=public)
    clock.advance(days=1)
    later = record_services.document_deposit(
        actor=pro_actor(gp),
        patient_id=person.pk,
        content=b"%PDF-1.4\n%%EOF\n",
        filename="cr.pdf",
        declared_media_type="application/pdf",
        type_code="11488-4",
        title="Après réactivation",
    )
    assert Document.objects.get(pk=later.pk).title == "Après réactivation"
