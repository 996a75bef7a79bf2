"""Consents, declarations, roles, blocking, emergency sessions (SPEC §3.2–3.5) through real models."""

from __future__ import annotations

from typing import Any

import pytest

from carnet.access import services as access
from carnet.access.models import (
    BreakGlassSession,
    CareRelation,
    ProfessionalQualification,
    RelationKind,
    TemporaryAccessCode,
)
from carnet.audit.services import opened
from carnet.common import clock as carnet_clock
from carnet.common.actors import Actor, ActorKind
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.records import selectors
from tests.records.helpers import World, deposit_pdf, outbox, pro_actor, traces


def _visible(world: World, pro: Any, **kwargs: Any) -> bool:
    docs = selectors.document_list_for_actor(actor=pro_actor(pro), patient_id=world.patient.pk, **kwargs)
    return any(d.author_professional != pro for d in docs)


def test_without_consent_a_professional_sees_only_his_own_documents(world: World) -> None:
    """R-AC-12, R-MASK-1."""
    deposit_pdf(world, world.gp)
    own = deposit_pdf(world, world.dentist, type_code="28617-9", title="Bilan")
    docs = selectors.document_list_for_actor(actor=pro_actor(world.dentist), patient_id=world.patient.pk)
    assert [d.public_id for d in docs] == [own.public_id]


def test_explicit_consent_opens_the_record_and_is_traced(world: World) -> None:
    """R-AC-12, R-AC-14."""
    deposit_pdf(world, world.gp)
    relation = access.care_relation_record(
        actor=pro_actor(world.dentist), patient_id=world.patient.pk, kind="EXPLICIT"
    )
    assert relation.kind == RelationKind.EXPLICIT and _visible(world, world.dentist)
    assert traces(world.patient, action="CONSENT_RECORD")[0].details["rule"] == "R-AC-12"


def test_care_team_consent_given_to_an_establishment_covers_its_staff(world: World) -> None:
    """R-AC-11: the consent subject is the organisation; staff acting for it read."""
    deposit_pdf(world, world.gp)
    access.care_relation_record(
        actor=pro_actor(world.hospital),
        patient_id=world.patient.pk,
        kind="CARE_TEAM",
        organisation=world.lab_org,
    )
    docs = selectors.document_list_for_actor(
        actor=pro_actor(world.nurse), patient_id=world.patient.pk, organisation=world.lab_org
    )
    assert len(docs) == 1


def test_temporary_access_with_the_patients_one_time_code(world: World, clock: Any) -> None:
    """R-AC-16: code used once; access expires."""
    deposit_pdf(world, world.gp)
    code, row = access.temporary_access_code_create(actor=world.holder, patient_id=world.patient.pk)
    assert code not in row.code_hash
    access.care_relation_record(
        actor=pro_actor(world.dentist), patient_id=world.patient.pk, kind="TEMPORARY", access_code=code
    )
    assert _visible(world, world.dentist)
    with pytest.raises(DomainError) as info:
        access.care_relation_record(
            actor=pro_actor(world.nurse), patient_id=world.patient.pk, kind="TEMPORARY", access_code=code
        )
    assert info.value.field == "access_code"
    clock.advance(hours=25)
    assert not _visible(world, world.dentist)


def test_wrong_code_writes_no_relation(world: World) -> None:
    access.temporary_access_code_create(actor=world.holder, patient_id=world.patient.pk)
    with pytest.raises(DomainError):
        access.care_relation_record(
            actor=pro_actor(world.dentist),
            patient_id=world.patient.pk,
            kind="TEMPORARY",
            access_code="AAAAAAAA",
        )
    assert not CareRelation.objects.filter(patient_id=world.patient.pk).exists()
    assert TemporaryAccessCode.objects.get(patient_id=world.patient.pk).used_at is None
    assert traces(world.patient, action="CONSENT_RECORD")[0].outcome == "DENY"


def test_patient_declares_his_medecin_traitant(world: World) -> None:
    """R-AC-15: a declared professional reads without further consent."""
    deposit_pdf(world, world.hospital)
    access.professional_declare(
        actor=world.holder, patient_id=world.patient.pk, professional=world.gp, medecin_traitant=True
    )
    assert _visible(world, world.gp)


def test_a_professional_cannot_declare_for_the_patient(world: World) -> None:
    with pytest.raises(NotFoundOrForbidden):
        access.professional_declare(
            actor=pro_actor(world.gp), patient_id=world.patient.pk, professional=world.gp
        )


def test_patient_blocks_and_unblocks_a_professional(world: World) -> None:
    """R-BLK-1/2: blocked = no reading, still depositing; unblocked = reading again."""
    deposit_pdf(world, world.gp)
    access.care_relation_record(actor=pro_actor(world.dentist), patient_id=world.patient.pk, kind="EXPLICIT")
    access.professional_block(actor=world.holder, patient_id=world.patient.pk, professional=world.dentist)
    assert not _visible(world, world.dentist)
    assert deposit_pdf(world, world.dentist, type_code="28617-9").pk  # R-BLK-2: still deposits
    access.professional_unblock(actor=world.holder, patient_id=world.patient.pk, professional=world.dentist)
    assert _visible(world, world.dentist)


def test_administrator_blocks_another_professional(world: World) -> None:
    """R-BLK-3."""
    access.professional_role_set(
        actor=world.holder,
        patient_id=world.patient.pk,
        professional=world.admin,
        role="administrator",
        enabled=True,
    )
    standing = access.professional_block(
        actor=pro_actor(world.admin), patient_id=world.patient.pk, professional=world.dentist
    )
    assert standing.blocked_at is not None


def test_ordinary_professional_cannot_block(world: World) -> None:
    """R-BLK-3: only the holder or an administrateur."""
    with pytest.raises(NotFoundOrForbidden):
        access.professional_block(
            actor=pro_actor(world.gp), patient_id=world.patient.pk, professional=world.dentist
        )


def test_break_the_glass_needs_a_written_reason(world: World) -> None:
    """R-EM-6."""
    with pytest.raises(DomainError) as info:
        access.break_the_glass_start(
            actor=pro_actor(world.hospital), patient_id=world.patient.pk, reason="  ", mode="BTG"
        )
    assert info.value.field == "reason"
    assert not BreakGlassSession.objects.exists()


def test_break_the_glass_reads_and_notifies_patient_and_gp_once_per_session(world: World) -> None:
    """R-EM-1, R-EM-3: one e-mail to the holder and one to his médecin traitant per session."""
    access.professional_declare(
        actor=world.holder, patient_id=world.patient.pk, professional=world.gp, medecin_traitant=True
    )
    doc = deposit_pdf(world, world.gp)
    session = access.break_the_glass_start(
        actor=pro_actor(world.hospital), patient_id=world.patient.pk, reason="Patient inconscient", mode="BTG"
    )
    for _ in range(2):
        selectors.document_get_for_actor(
            actor=pro_actor(world.hospital),
            patient_id=world.patient.pk,
            document_public_id=doc.public_id,
            mode="BTG",
        )
    assert len(outbox(world.patient, "record_emergency_access")) == 1
    assert len(outbox(world.patient, "record_emergency_access_gp")) == 1
    consult = traces(world.patient, action="CONSULT")[0]
    assert (consult.mode, opened(consult)["reason"], consult.details["session"]) == (
        "BTG",
        "Patient inconscient",
        str(session.public_id),
    )
    assert consult.reason == ""  # sealed under the patient's key (ADR 0008)


def test_emergency_read_without_a_session_is_refused(world: World) -> None:
    """R-EM-6: an emergency mode needs an open, justified session."""
    deposit_pdf(world, world.gp)
    with pytest.raises(NotFoundOrForbidden):
        selectors.document_list_for_actor(
            actor=pro_actor(world.hospital), patient_id=world.patient.pk, mode="BTG"
        )


def test_break_the_glass_session_expires_after_24_hours(world: World, clock: Any) -> None:
    """R-EM-6 [I]: re-justify after 24 h."""
    deposit_pdf(world, world.gp)
    access.break_the_glass_start(
        actor=pro_actor(world.hospital), patient_id=world.patient.pk, reason="Urgence", mode="BTG"
    )
    assert _visible(world, world.hospital, mode="BTG")
    clock.advance(hours=24, seconds=1)
    with pytest.raises(NotFoundOrForbidden):
        selectors.document_list_for_actor(
            actor=pro_actor(world.hospital), patient_id=world.patient.pk, mode="BTG"
        )


def test_samu_mode_is_for_regulators_only(world: World) -> None:
    """R-EM-2."""
    with pytest.raises(NotFoundOrForbidden):
        access.break_the_glass_start(
            actor=pro_actor(world.hospital), patient_id=world.patient.pk, reason="", mode="SAMU"
        )
    ProfessionalQualification.objects.create(
        professional=world.hospital, is_samu_regulator=True, updated_at=carnet_clock.now()
    )
    session = access.break_the_glass_start(
        actor=pro_actor(world.hospital), patient_id=world.patient.pk, reason="", mode="SAMU"
    )
    assert session.mode == "SAMU"


def test_qualification_is_set_by_operators_only(world: World) -> None:
    operator = Actor(ActorKind.OPERATOR, "ops-1")
    row = access.professional_qualification_set(
        actor=operator, professional=world.hospital, is_samu_regulator=True, is_occupational_doctor=False
    )
    assert row.is_samu_regulator
    with pytest.raises(NotFoundOrForbidden):
        access.professional_qualification_set(
            actor=pro_actor(world.gp),
            professional=world.gp,
            is_samu_regulator=True,
            is_occupational_doctor=False,
        )


def test_emergency_settings_default_and_update_is_traced(world: World) -> None:
    """R-EM-4/5: defaults SAMU permit, BTG permit, MASKED deny; changes traced with old and new values."""
    row = access.emergency_settings_update(actor=world.holder, patient_id=world.patient.pk, btg="deny")
    assert (row.etreat, row.btg, row.masked) == ("permit", "deny", "deny")
    entry = traces(world.patient, action="MODIF_PARAM_ACCESS_URGENCE")[0]
    assert entry.details["before"]["btg"] == "permit" and entry.details["after"]["btg"] == "deny"


def test_invalid_emergency_setting_names_the_field(world: World) -> None:
    with pytest.raises(DomainError) as info:
        access.emergency_settings_update(actor=world.holder, patient_id=world.patient.pk, masked="maybe")
    assert info.value.field == "masked"


def test_caregiver_cannot_change_emergency_settings(world: World) -> None:
    """R-DEL-2: a caregiver does not manage sharing."""
    from tests.factories import DelegationFactory
    from tests.records.helpers import give_account, give_space, new_person, person_actor

    helper = new_person()
    give_space(helper)
    give_account(helper)
    DelegationFactory(kind="CAREGIVING", subject=world.patient, delegate=helper)
    with pytest.raises(NotFoundOrForbidden):
        access.emergency_settings_update(
            actor=person_actor(helper, ActorKind.CAREGIVER), patient_id=world.patient.pk, btg="deny"
        )
