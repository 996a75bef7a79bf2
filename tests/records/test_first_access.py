"""First-access notices (R-AC-14, R-NOT-1; issue 12, item 2, bullet 3).

"You will receive a notification at his first access": the holder is told when a professional new to his
record reads it — not when the author reads what he wrote himself (nor a colleague acting for the
establishment that wrote it: R-MASK-1 treats it as the author). A minor without an address of his own gets
the notice in his notification centre, and his legal representatives (R-MIN-1) get it too — unless what
the professional read was hidden from them (R-MIN-5): then only the minor is told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from carnet.access import services as access
from carnet.access.models import ProfessionalStanding
from carnet.identity.models import Person
from carnet.notifications.models import InAppNotification, OutboxMessage
from carnet.notifications.templates_catalogue import render
from carnet.records import selectors, services
from tests.api.conftest import professional_client
from tests.factories import DelegationFactory
from tests.records.helpers import (
    PDF,
    World,
    add_parent,
    deposit_pdf,
    give_account,
    give_space,
    make_world,
    new_person,
    org_actor,
    outbox,
    pro_actor,
)

IRL = "INVISIBLE_REPRESENTANTS_LEGAUX"


def _consent(world: World, professional: Any) -> None:
    access.care_relation_record(actor=pro_actor(professional), patient_id=world.patient.pk, kind="EXPLICIT")


def _first_access_at(world: World, professional: Any) -> Any:
    standing = ProfessionalStanding.objects.filter(
        patient_id=world.patient.pk, professional=professional
    ).first()
    return standing.first_access_at if standing is not None else None


# --- the author reading his own document is no first access --------------------------------------


def test_the_author_opening_a_record_where_he_sees_only_his_own_documents_sends_nothing(world: World) -> None:
    deposit_pdf(world, world.gp)
    own = deposit_pdf(world, world.dentist, type_code="28617-9", title="Bilan dentaire")
    response = professional_client(world.dentist).get(f"/pro/patients/{world.patient.public_id}/")
    assert response.status_code == 200 and "Bilan dentaire" in response.content.decode()
    selectors.document_get_for_actor(
        actor=pro_actor(world.dentist), patient_id=world.patient.pk, document_public_id=own.public_id
    )
    selectors.document_content_for_actor(
        actor=pro_actor(world.dentist), patient_id=world.patient.pk, document_public_id=own.public_id
    )
    assert outbox(world.patient, "record_first_access") == []
    assert not InAppNotification.objects.filter(template="record_first_access").exists()
    assert _first_access_at(world, world.dentist) is None


def test_his_first_read_of_someone_elses_document_is_the_first_access(world: World) -> None:
    deposit_pdf(world, world.gp)
    deposit_pdf(world, world.dentist, type_code="28617-9", title="Bilan dentaire")
    selectors.document_list_for_actor(actor=pro_actor(world.dentist), patient_id=world.patient.pk)
    assert outbox(world.patient, "record_first_access") == []
    _consent(world, world.dentist)
    selectors.document_list_for_actor(actor=pro_actor(world.dentist), patient_id=world.patient.pk)
    selectors.document_list_for_actor(actor=pro_actor(world.dentist), patient_id=world.patient.pk)
    (message,) = outbox(world.patient, "record_first_access")
    assert message.address == world.patient.email
    assert _first_access_at(world, world.dentist) is not None


def test_a_colleague_acting_for_the_depositing_establishment_sends_nothing(world: World) -> None:
    """R-MASK-1: the establishment that deposited keeps access; its staff acting for it read as author."""
    report = services.document_deposit(
        actor=org_actor(world.lab_org),
        patient_id=world.patient.pk,
        content=PDF,
        filename="r.pdf",
        type_code="11502-2",
        title="Résultats",
    )
    listed = selectors.document_list_for_actor(
        actor=pro_actor(world.nurse), patient_id=world.patient.pk, organisation=world.lab_org
    )
    assert [d.public_id for d in listed] == [report.public_id]
    assert outbox(world.patient, "record_first_access") == []
    _consent(world, world.hospital)
    selectors.document_list_for_actor(actor=pro_actor(world.hospital), patient_id=world.patient.pk)
    assert len(outbox(world.patient, "record_first_access")) == 1  # someone else's reading is one


# --- a minor without an address of his own --------------------------------------------------------


@dataclass
class Child:
    world: World
    parents: list[Person]
    visible: Any
    secret: Any


@pytest.fixture
def child(db: Any, clock: Any) -> Child:
    world = make_world(birth_date=date(2016, 9, 1))
    world.patient.email, world.patient.phone = "", ""
    world.patient.save(update_fields=["email", "phone"])
    first = add_parent(world)
    second = new_person(birth_date=date(1977, 2, 2))
    give_space(second)
    give_account(second)
    DelegationFactory(kind="LEGAL_REPRESENTATION", subject=world.patient, delegate=second)
    visible = deposit_pdf(world, world.gp, title="Compte rendu")
    secret = deposit_pdf(world, world.lab, type_code="11502-2", confidentiality=[IRL])
    _consent(world, world.hospital)
    return Child(world, [first, second], visible, secret)


def _child_centre(child: Child) -> list[str]:
    """The first-access notices in the child's centre (new-document notices are another kind, R-NOT-1)."""
    return list(
        InAppNotification.objects.filter(patient_id=child.world.patient.pk)
        .exclude(template="record_new_document")
        .values_list("template", flat=True)
    )


def _parents_notices(child: Child) -> tuple[list[str], list[int]]:
    mails = [m.address for m in outbox(child.world.patient, "record_first_access_representative")]
    centres = list(
        InAppNotification.objects.filter(
            template="record_first_access_representative", patient_id__in=[p.pk for p in child.parents]
        ).values_list("patient_id", flat=True)
    )
    return sorted(mails), sorted(centres)


def test_a_child_without_an_address_is_told_in_his_centre_and_both_parents_by_mail_and_in_theirs(
    child: Child,
) -> None:
    selectors.document_list_for_actor(
        actor=pro_actor(child.world.hospital), patient_id=child.world.patient.pk
    )
    assert outbox(child.world.patient, "record_first_access") == []  # nowhere to send it
    assert _child_centre(child) == ["record_first_access"]
    assert _parents_notices(child) == (
        sorted(p.email for p in child.parents),
        sorted(p.pk for p in child.parents),
    )


def test_a_second_read_tells_nobody_again(child: Child) -> None:
    for _ in range(2):
        selectors.document_list_for_actor(
            actor=pro_actor(child.world.hospital), patient_id=child.world.patient.pk
        )
    assert len(outbox(child.world.patient, "record_first_access_representative")) == 2  # one per parent


def test_a_first_access_to_content_hidden_from_the_parents_is_told_to_the_child_alone(child: Child) -> None:
    """R-MIN-5: the professional opened only what the minor asked to keep from his parents."""
    selectors.document_get_for_actor(
        actor=pro_actor(child.world.hospital),
        patient_id=child.world.patient.pk,
        document_public_id=child.secret.public_id,
    )
    assert _child_centre(child) == ["record_first_access"]
    assert _parents_notices(child) == ([], [])
    # the first access has happened: a later read of ordinary documents tells the parents nothing either
    selectors.document_list_for_actor(
        actor=pro_actor(child.world.hospital), patient_id=child.world.patient.pk
    )
    assert _parents_notices(child) == ([], [])


def test_a_read_that_reached_content_the_parents_see_as_well_tells_them(child: Child) -> None:
    """The list showed the ordinary report too: the parents learn only what their own history shows."""
    listed = selectors.document_list_for_actor(
        actor=pro_actor(child.world.hospital), patient_id=child.world.patient.pk
    )
    assert {d.public_id for d in listed} == {child.visible.public_id, child.secret.public_id}
    assert len(_parents_notices(child)[0]) == 2


def test_a_child_with_his_own_address_is_told_himself_and_the_parents_are_not(child: Child) -> None:
    child.world.patient.email = "lucas@example.org"
    child.world.patient.save(update_fields=["email"])
    selectors.document_list_for_actor(
        actor=pro_actor(child.world.hospital), patient_id=child.world.patient.pk
    )
    (mail,) = outbox(child.world.patient, "record_first_access")
    assert mail.address == "lucas@example.org"
    assert _parents_notices(child) == ([], [])


def test_an_adult_without_an_address_is_told_in_his_centre_only(world: World) -> None:
    world.patient.email, world.patient.phone = "", ""
    world.patient.save(update_fields=["email", "phone"])
    deposit_pdf(world, world.gp)
    _consent(world, world.dentist)
    selectors.document_list_for_actor(actor=pro_actor(world.dentist), patient_id=world.patient.pk)
    assert list(
        InAppNotification.objects.filter(template__startswith="record_first_access").values_list(
            "template", "patient_id"
        )
    ) == [("record_first_access", world.patient.pk)]
    assert not OutboxMessage.objects.filter(template__startswith="record_first_access").exists()


def test_the_parents_notice_names_neither_the_child_nor_the_professional_nor_a_document(child: Child) -> None:
    selectors.document_list_for_actor(
        actor=pro_actor(child.world.hospital), patient_id=child.world.patient.pk
    )
    message = outbox(child.world.patient, "record_first_access_representative")[0]
    for language in ("fr", "en"):
        subject, body = render(message.template, message.params, language)
        text = subject + body
        for name in (
            child.world.patient.first_name,
            child.world.patient.birth_name,
            child.world.hospital.last_name,
            child.visible.title,
        ):
            assert name not in text
        assert "mot de passe" not in text.replace("ne vous demandera jamais votre mot de passe", "")
