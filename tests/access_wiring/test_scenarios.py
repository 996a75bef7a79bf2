"""Appendix B scenarios 3–8, 11, 12 end to end through the gateway with real models (SPEC §2, §3)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from carnet.access import services as access
from carnet.access.models import ProfessionalQualification, RelationKind
from carnet.common import clock as carnet_clock
from carnet.common.actors import Actor
from carnet.common.errors import NotFoundOrForbidden
from carnet.notifications.models import OutboxMessage
from carnet.records import selectors, services
from carnet.records.tasks import invisible_notices
from tests.records.helpers import (
    World,
    add_parent,
    deposit_pdf,
    make_world,
    org_actor,
    outbox,
    person_actor,
    pro_actor,
    traces,
)


def _ids(docs: list[Any]) -> set[Any]:
    return {d.public_id for d in docs}


def _consent(world: World, *pros: Any) -> None:
    for pro in pros:
        access.care_relation_record(
            actor=pro_actor(pro), patient_id=world.patient.pk, kind=RelationKind.EXPLICIT
        )


def _list(world: World, actor: Actor, **kwargs: Any) -> set[Any]:
    return _ids(selectors.document_list_for_actor(actor=actor, patient_id=world.patient.pk, **kwargs))


# --- B3: INVISIBLE_PATIENT ------------------------------------------------------------------------


def test_b3_invisible_document_is_hidden_from_the_patient_but_seen_by_the_gp_from_day_0(
    world: World, clock: Any
) -> None:
    """Appendix B 3, R-MASK-6."""
    _consent(world, world.gp)
    doc = deposit_pdf(world, world.lab, confidentiality=["INVISIBLE_PATIENT"])
    assert doc.public_id not in _list(world, world.holder)
    with pytest.raises(NotFoundOrForbidden):
        selectors.document_get_for_actor(
            actor=world.holder, patient_id=world.patient.pk, document_public_id=doc.public_id
        )
    assert doc.public_id in _list(world, pro_actor(world.gp))


def test_b3_notice_is_sent_once_at_day_14(world: World, clock: Any) -> None:
    """Appendix B 3, R-MASK-6: content-free notice at D+14, once."""
    deposit_pdf(world, world.lab, confidentiality=["INVISIBLE_PATIENT"])
    clock.advance(days=13)
    assert invisible_notices() == 0
    clock.advance(days=1)
    assert invisible_notices() == 1
    assert invisible_notices() == 0
    (message,) = outbox(world.patient, "record_invisible_notice")
    assert "Compte rendu" not in str(message.params)


def test_b3_no_notice_when_the_author_lifted_the_flag(world: World, clock: Any) -> None:
    doc = deposit_pdf(world, world.lab, confidentiality=["INVISIBLE_PATIENT"])
    services.document_update_metadata(
        actor=pro_actor(world.lab),
        patient_id=world.patient.pk,
        document_public_id=doc.public_id,
        confidentiality=["N"],
    )
    clock.advance(days=15)
    assert invisible_notices() == 0


def test_b3_document_becomes_visible_after_one_month(world: World, clock: Any) -> None:
    """Appendix B 3: visible at D+1 month, by date."""
    doc = deposit_pdf(world, world.lab, confidentiality=["INVISIBLE_PATIENT"])
    clock.advance(days=30)
    assert doc.public_id not in _list(world, world.holder)
    clock.advance(days=1)
    assert doc.public_id in _list(world, world.holder)


# --- B4: masking ------------------------------------------------------------------------------------


def test_b4_masked_document_hidden_from_dentist_seen_by_author_and_administrator(world: World) -> None:
    """Appendix B 4, R-MASK-1, R-MASK-2."""
    _consent(world, world.dentist, world.admin)
    access.professional_role_set(
        actor=world.holder,
        patient_id=world.patient.pk,
        professional=world.admin,
        role="administrator",
        enabled=True,
    )
    doc = deposit_pdf(world, world.hospital)
    services.document_mask(actor=world.holder, patient_id=world.patient.pk, document_public_id=doc.public_id)
    assert doc.public_id not in _list(world, pro_actor(world.dentist))
    assert doc.public_id in _list(world, pro_actor(world.hospital))
    assert doc.public_id in _list(world, pro_actor(world.admin))


@pytest.mark.parametrize(("masked_setting", "visible"), [("deny", False), ("permit", True)])
def test_b4_break_the_glass_sees_masked_documents_only_if_masked_permit(
    world: World, masked_setting: str, visible: bool
) -> None:
    """Appendix B 4, R-MASK-5."""
    doc = deposit_pdf(world, world.gp)
    services.document_mask(actor=world.holder, patient_id=world.patient.pk, document_public_id=doc.public_id)
    access.emergency_settings_update(actor=world.holder, patient_id=world.patient.pk, masked=masked_setting)
    access.break_the_glass_start(
        actor=pro_actor(world.hospital), patient_id=world.patient.pk, reason="Coma", mode="BTG"
    )
    assert (doc.public_id in _list(world, pro_actor(world.hospital), mode="BTG")) is visible


# --- B5: matrix --------------------------------------------------------------------------------------


def test_b5_dentist_denied_advance_directives_gp_allowed(world: World) -> None:
    """Appendix B 5, R-MAT-3: EXPPAT_3 refused to dentists by the matrix."""
    _consent(world, world.dentist, world.gp)
    doc = deposit_pdf(world, world.hospital, type_code="EXPPAT_3", title="Directives")
    with pytest.raises(NotFoundOrForbidden):
        selectors.document_get_for_actor(
            actor=pro_actor(world.dentist), patient_id=world.patient.pk, document_public_id=doc.public_id
        )
    denied = traces(world.patient, action="CONSULT", outcome="DENY")[0]
    assert denied.details["rule"] == "R-MAT-1"
    assert (
        selectors.document_get_for_actor(
            actor=pro_actor(world.gp), patient_id=world.patient.pk, document_public_id=doc.public_id
        ).pk
        == doc.pk
    )


# --- B6: minor's secrecy ---------------------------------------------------------------------------------


def test_b6_parent_does_not_see_a_document_hidden_from_legal_representatives(db: Any, clock: Any) -> None:
    """Appendix B 6, R-MIN-5: neither in the list nor by id; the minor sees it."""
    world = make_world(birth_date=date(2010, 1, 1))
    parent = add_parent(world)
    parent_actor = person_actor(parent, kind="LEGAL_REPRESENTATIVE")  # type: ignore[arg-type]
    hidden = deposit_pdf(
        world, world.lab, type_code="11502-2", confidentiality=["INVISIBLE_REPRESENTANTS_LEGAUX"]
    )
    normal = deposit_pdf(world, world.gp)
    assert _list(world, parent_actor) == {normal.public_id}
    with pytest.raises(NotFoundOrForbidden):
        selectors.document_get_for_actor(
            actor=parent_actor, patient_id=world.patient.pk, document_public_id=hidden.public_id
        )
    assert hidden.public_id in _list(world, world.holder)
    deposit_trace = traces(world.patient, action="DEPOSIT", object_id=str(hidden.public_id))[0]
    assert (
        "INVISIBLE_REPRESENTANTS_LEGAUX" in deposit_trace.details["confidentiality"]
    )  # lets history filter it


# --- B7: emergency settings ----------------------------------------------------------------------------


def test_b7_samu_deny_refuses_the_regulator(world: World) -> None:
    """Appendix B 7, R-EM-2."""
    ProfessionalQualification.objects.create(
        professional=world.hospital, is_samu_regulator=True, updated_at=carnet_clock.now()
    )
    access.emergency_settings_update(actor=world.holder, patient_id=world.patient.pk, etreat="deny")
    with pytest.raises(NotFoundOrForbidden):
        access.break_the_glass_start(
            actor=pro_actor(world.hospital), patient_id=world.patient.pk, reason="", mode="SAMU"
        )
    assert traces(world.patient, action="BREAK_THE_GLASS_START")[0].outcome == "DENY"


def test_b7_btg_deny_refuses_emergency_access(world: World) -> None:
    """Appendix B 7, R-EM-1."""
    deposit_pdf(world, world.gp)
    access.emergency_settings_update(actor=world.holder, patient_id=world.patient.pk, btg="deny")
    with pytest.raises(NotFoundOrForbidden):
        access.break_the_glass_start(
            actor=pro_actor(world.hospital), patient_id=world.patient.pk, reason="Inconscient", mode="BTG"
        )
    with pytest.raises(NotFoundOrForbidden):
        selectors.document_list_for_actor(
            actor=pro_actor(world.hospital), patient_id=world.patient.pk, mode="BTG"
        )


# --- B8: first access e-mail ---------------------------------------------------------------------------


def test_b8_first_consultation_sends_one_email_second_none(world: World) -> None:
    """Appendix B 8, R-AC-14, R-NOT-1: one 'premier accès' e-mail; trace visible to the patient."""
    _consent(world, world.dentist)
    doc = deposit_pdf(world, world.gp)
    for _ in range(2):
        selectors.document_get_for_actor(
            actor=pro_actor(world.dentist), patient_id=world.patient.pk, document_public_id=doc.public_id
        )
    (message,) = outbox(world.patient, "record_first_access")
    assert message.dedup_key == f"first-access:{world.patient.pk}:{world.dentist.public_id}"
    assert len(traces(world.patient, action="CONSULT", outcome="ALLOW")) == 2


# --- B11 is in tests/records/test_documents_lifecycle.py; B12: forbidden actors ---------------------------


def test_b12_mutuelle_is_refused_even_with_consent(world: World) -> None:
    """Appendix B 12, R-AC-1."""
    doc = deposit_pdf(world, world.gp)
    mutuelle = Actor("MUTUELLE", "mutuelle-x")  # type: ignore[arg-type]
    with pytest.raises(NotFoundOrForbidden):
        selectors.document_list_for_actor(actor=mutuelle, patient_id=world.patient.pk)
    with pytest.raises(NotFoundOrForbidden):
        selectors.document_get_for_actor(
            actor=mutuelle, patient_id=world.patient.pk, document_public_id=doc.public_id
        )
    assert {t.details["rule"] for t in traces(world.patient, outcome="DENY")} == {"R-AC-1"}


def test_missing_and_denied_documents_answer_the_same(world: World) -> None:
    """STYLE fail closed: same error for a missing and a forbidden document."""
    doc = deposit_pdf(world, world.gp)
    errors = []
    for public_id in (doc.public_id, "00000000-0000-0000-0000-000000000000", "pas-un-uuid"):
        with pytest.raises(NotFoundOrForbidden) as info:
            selectors.document_get_for_actor(
                actor=pro_actor(world.dentist), patient_id=world.patient.pk, document_public_id=public_id
            )
        errors.append((str(info.value), info.value.code, info.value.field))
    assert len(set(errors)) == 1


def test_organisation_author_keeps_access(world: World) -> None:
    """R-MASK-1: the depositing establishment keeps access, masked or not."""
    from tests.records.helpers import cda

    doc = services.document_deposit(
        actor=org_actor(world.lab_org),
        patient_id=world.patient.pk,
        content=cda(world.patient, type_code="11502-2"),
    )
    services.document_mask(actor=world.holder, patient_id=world.patient.pk, document_public_id=doc.public_id)
    assert doc.public_id in _list(world, org_actor(world.lab_org))


def test_outbox_messages_carry_no_health_data(world: World) -> None:
    """R-NOT-2: bodies name no document, title or reason."""
    from carnet.notifications.templates_catalogue import render

    _consent(world, world.dentist)
    access.professional_declare(
        actor=world.holder, patient_id=world.patient.pk, professional=world.gp, medecin_traitant=True
    )
    deposit_pdf(world, world.gp, title="Cancer du poumon")
    access.break_the_glass_start(
        actor=pro_actor(world.hospital), patient_id=world.patient.pk, reason="Coma diabétique", mode="BTG"
    )
    selectors.document_list_for_actor(actor=pro_actor(world.dentist), patient_id=world.patient.pk)
    messages = list(OutboxMessage.objects.filter(patient_id=world.patient.pk))
    assert messages
    for message in messages:
        subject, body = render(message.template, message.params, message.language)
        assert "Cancer" not in body + subject and "Coma" not in body + subject
        assert "mot de passe" not in body.split("Carnet —")[0]
