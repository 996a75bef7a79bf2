"""Blood group, lifestyle (age limits), "Entourage et volontés" (trusted person R-PML-4, organ
donation), advance directives (R-PML-4, R-MIN-3) and what professionals see of them (R-PML-1)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from carnet.access.models import ProfessionalStanding
from carnet.audit.models import Trace
from carnet.common.actors import Actor, ActorKind
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.profile import selectors, services
from carnet.profile.models import AdvanceDirectives, BloodGroup, Lifestyle, TrustedPerson
from carnet.records.models import Document
from carnet.vault.models import Blob
from tests.profile.conftest import PDF, Profile, consent, pro_actor

pytestmark = pytest.mark.django_db

HEALTHY = {"life_support": "REFUSE", "resuscitation": "ACCEPT", "sedation": "WISH", "confirm": True}
TRUSTED = {"name": "Claire Dubois", "relationship": "OTHER", "phone": "0601020304"}


def _write(profile: Profile, actor: Actor | None = None) -> AdvanceDirectives:
    return services.advance_directives_write(
        actor=actor or profile.holder,
        patient_id=profile.patient.pk,
        form_kind="FORM_HEALTHY",
        answers=HEALTHY,
    )


# --- blood group, lifestyle -------------------------------------------------------------------------------


def test_the_holder_sets_changes_and_clears_his_blood_group(profile: Profile) -> None:
    services.blood_group_set(actor=profile.holder, patient_id=profile.patient.pk, group="A+")
    services.blood_group_set(actor=profile.holder, patient_id=profile.patient.pk, group="O-")
    assert BloodGroup.objects.get(patient_id=profile.patient.pk).group == "O-"
    assert services.blood_group_clear(actor=profile.holder, patient_id=profile.patient.pk) is True
    assert not BloodGroup.objects.exists()


def test_an_unknown_blood_group_is_refused(profile: Profile) -> None:
    with pytest.raises(DomainError) as error:
        services.blood_group_set(actor=profile.holder, patient_id=profile.patient.pk, group="C+")
    assert error.value.field == "group"


def test_the_holder_answers_a_lifestyle_section_with_a_structured_choice(profile: Profile) -> None:
    services.lifestyle_set(
        actor=profile.holder,
        patient_id=profile.patient.pk,
        section="TOBACCO",
        choice="FORMER",
        comment="Arrêt en 2019",
    )
    row = Lifestyle.objects.get(patient_id=profile.patient.pk, section="TOBACCO")
    assert (row.choice, row.comment) == ("FORMER", "Arrêt en 2019")


def test_a_choice_of_another_lifestyle_section_is_refused(profile: Profile) -> None:
    with pytest.raises(DomainError) as error:
        services.lifestyle_set(
            actor=profile.holder, patient_id=profile.patient.pk, section="SLEEP", choice="DAILY"
        )
    assert error.value.field == "choice"


def test_alcohol_is_not_filled_for_a_ten_year_old_but_sleep_is(minor_profile: tuple[Profile, Actor]) -> None:
    """[I] SPEC §4 age limits: alcohol and tobacco from 15 years old; sleep at any age."""
    profile, parent = minor_profile
    with pytest.raises(DomainError) as error:
        services.lifestyle_set(actor=parent, patient_id=profile.patient.pk, section="ALCOHOL", choice="NEVER")
    assert (error.value.field, error.value.code) == ("choice", "too_young")
    services.lifestyle_set(actor=parent, patient_id=profile.patient.pk, section="SLEEP", choice="GOOD")
    assert Lifestyle.objects.filter(patient_id=profile.patient.pk, section="SLEEP").exists()


# --- entourage et volontés --------------------------------------------------------------------------------


def test_there_is_a_single_trusted_person_r_pml_4(profile: Profile) -> None:
    services.trusted_person_set(actor=profile.holder, patient_id=profile.patient.pk, data=TRUSTED)
    services.trusted_person_set(
        actor=profile.holder, patient_id=profile.patient.pk, data={**TRUSTED, "name": "Marc Petit"}
    )
    assert [t.name for t in TrustedPerson.objects.all()] == ["Marc Petit"]  # sealed: opened per row


def test_a_caregiver_does_not_designate_the_trusted_person(profile: Profile) -> None:
    """[I] R-DEL-2 with CSP L1111-6: a personal act of the holder."""
    with pytest.raises(NotFoundOrForbidden):
        services.trusted_person_set(actor=profile.caregiver(), patient_id=profile.patient.pk, data=TRUSTED)
    assert not TrustedPerson.objects.exists()


def test_the_organ_donation_acknowledgement_is_dated_and_can_be_withdrawn(profile: Profile) -> None:
    row = services.organ_donation_acknowledge(actor=profile.holder, patient_id=profile.patient.pk)
    assert row.acknowledged_on == date(2026, 1, 5)
    assert services.organ_donation_withdraw(actor=profile.holder, patient_id=profile.patient.pk) is True


def test_the_holder_sees_his_caregivers_read_only(profile: Profile) -> None:
    profile.caregiver()
    entourage = selectors.entourage_for_actor(actor=profile.holder, patient_id=profile.patient.pk)
    assert [d.kind for d in entourage.caregivers] == ["CAREGIVING"]


# --- advance directives -----------------------------------------------------------------------------------


def test_the_guided_form_generates_an_exppat_3_pdf_in_the_record(profile: Profile) -> None:
    directives = _write(profile)
    document = Document.objects.get(public_id=directives.document_public_id)
    assert (document.type_code, document.patient_category, document.media_type) == (
        "EXPPAT_3",
        "DIR_ANT",
        "application/pdf",
    )
    assert document.patient_uploaded
    assert Trace.objects.filter(patient_id=profile.patient.pk, action="ADVANCE_DIRECTIVES_SET").count() == 1


def test_new_directives_replace_and_delete_the_previous_ones(profile: Profile) -> None:
    first = Document.objects.get(public_id=_write(profile).document_public_id)
    second = services.advance_directives_upload(
        actor=profile.holder,
        patient_id=profile.patient.pk,
        content=PDF,
        filename="da.pdf",
        declared_media_type="application/pdf",
    )
    first.refresh_from_db()
    assert first.deleted_at is not None
    assert AdvanceDirectives.objects.get().document_public_id == second.document_public_id
    assert second.source == "UPLOAD"


def test_the_form_requires_the_confirmation_and_writes_nothing_without_it(profile: Profile) -> None:
    with pytest.raises(DomainError) as error:
        services.advance_directives_write(
            actor=profile.holder,
            patient_id=profile.patient.pk,
            form_kind="FORM_HEALTHY",
            answers={**HEALTHY, "confirm": False},
        )
    assert error.value.field == "confirm"
    assert (
        not Document.objects.exists() and not Blob.objects.exists() and not AdvanceDirectives.objects.exists()
    )


def test_an_upload_in_a_refused_format_leaves_no_document_invariant_9(profile: Profile) -> None:
    with pytest.raises(DomainError) as error:
        services.advance_directives_upload(
            actor=profile.holder,
            patient_id=profile.patient.pk,
            content=b"MZ\x90\x00" + b"\x00" * 64,
            filename="x.exe",
        )
    assert error.value.field == "content"
    assert not Document.objects.exists() and not AdvanceDirectives.objects.exists()


def test_a_minor_cannot_have_advance_directives_r_min_3(minor_profile: tuple[Profile, Actor]) -> None:
    profile, parent = minor_profile
    with pytest.raises(DomainError) as error:
        _write(profile, parent)
    assert error.value.code == "minor"
    assert not Document.objects.exists()
    (entry,) = Trace.objects.filter(patient_id=profile.patient.pk, action="ADVANCE_DIRECTIVES_SET")
    assert (entry.outcome, entry.details["rule"]) == ("DENY", "R-MIN-3")


def test_a_caregiver_does_not_write_the_holders_directives(profile: Profile) -> None:
    """[I] R-DEL-2 with CSP L1111-11: directives are written by the person himself."""
    with pytest.raises(NotFoundOrForbidden):
        _write(profile, profile.caregiver())
    assert not AdvanceDirectives.objects.exists()


# --- professionals (R-PML-1) ------------------------------------------------------------------------------


def _fill(profile: Profile) -> None:
    services.profile_item_create(
        actor=profile.holder,
        patient_id=profile.patient.pk,
        section="ENTOURAGE",
        data={"name": "Paul Martin", "relationship": "SPOUSE", "phone": "0612345678"},
    )
    services.trusted_person_set(actor=profile.holder, patient_id=profile.patient.pk, data=TRUSTED)
    services.organ_donation_acknowledge(actor=profile.holder, patient_id=profile.patient.pk)
    _write(profile)


def test_an_authorised_gp_sees_entourage_and_advance_directives_r_pml_1(profile: Profile) -> None:
    _fill(profile)
    consent(profile.world, profile.world.gp)
    entourage = selectors.entourage_for_actor(
        actor=pro_actor(profile.world.gp), patient_id=profile.patient.pk
    )
    assert [c.name for c in entourage.emergency_contacts] == ["Paul Martin"]
    assert entourage.trusted_person is not None and entourage.organ_donation is not None
    assert entourage.directives_document is not None
    reads = Trace.objects.filter(
        patient_id=profile.patient.pk, action="PROFILE_READ", actor_kind="PROFESSIONAL"
    )
    assert {(t.object_id, t.outcome, t.details["rule"]) for t in reads} == {
        ("ENTOURAGE", "ALLOW", "R-AC-12"),
        ("ADVANCE_DIRECTIVES", "ALLOW", "R-AC-12"),
    }


def test_an_authorised_dentist_sees_the_entourage_but_not_the_directives_r_mat_3(profile: Profile) -> None:
    _fill(profile)
    consent(profile.world, profile.world.dentist)
    entourage = selectors.entourage_for_actor(
        actor=pro_actor(profile.world.dentist), patient_id=profile.patient.pk
    )
    assert entourage.trusted_person is not None
    assert entourage.directives_allowed is False and entourage.directives_document is None


def test_a_professional_without_consent_is_refused_r_ac_12(profile: Profile) -> None:
    _fill(profile)
    with pytest.raises(NotFoundOrForbidden):
        selectors.entourage_for_actor(actor=pro_actor(profile.world.gp), patient_id=profile.patient.pk)
    (entry,) = Trace.objects.filter(
        patient_id=profile.patient.pk, action="PROFILE_READ", actor_kind="PROFESSIONAL"
    )
    assert (entry.outcome, entry.details["rule"]) == ("DENY", "R-AC-12")


def test_a_blocked_professional_is_refused_r_blk_2(profile: Profile, clock: Any) -> None:
    _fill(profile)
    consent(profile.world, profile.world.gp)
    ProfessionalStanding.objects.create(
        patient_id=profile.patient.pk,
        professional=profile.world.gp,
        blocked_at=clock.now(),
        updated_at=clock.now(),
    )
    with pytest.raises(NotFoundOrForbidden):
        selectors.entourage_for_actor(actor=pro_actor(profile.world.gp), patient_id=profile.patient.pk)


def test_an_insurer_is_refused_r_ac_1(profile: Profile) -> None:
    insurer = Actor("INSURER", "assureur-1", label="Assureur")  # type: ignore[arg-type]
    with pytest.raises(NotFoundOrForbidden):
        selectors.entourage_for_actor(actor=insurer, patient_id=profile.patient.pk)


@pytest.mark.parametrize(
    "section", ["TREATMENTS", "ALLERGIES", "DISEASES", "FAMILY_HISTORIES", "DISABILITIES"]
)
def test_professionals_never_read_the_questionnaire_sections_directly_r_pml_1(
    profile: Profile, section: str
) -> None:
    consent(profile.world, profile.world.gp)
    with pytest.raises(NotFoundOrForbidden):
        selectors.section_for_actor(
            actor=pro_actor(profile.world.gp), patient_id=profile.patient.pk, section=section
        )
    entry = Trace.objects.get(patient_id=profile.patient.pk, action="PROFILE_READ")
    assert (entry.outcome, entry.details["rule"]) == ("DENY", "R-PML-1")


def test_the_first_read_by_a_professional_sends_the_first_access_e_mail_r_ac_14(profile: Profile) -> None:
    from carnet.notifications.models import OutboxMessage

    consent(profile.world, profile.world.gp)
    selectors.entourage_for_actor(actor=pro_actor(profile.world.gp), patient_id=profile.patient.pk)
    selectors.entourage_for_actor(actor=pro_actor(profile.world.gp), patient_id=profile.patient.pk)
    assert (
        OutboxMessage.objects.filter(patient_id=profile.patient.pk, template="record_first_access").count()
        == 1
    )


def test_a_legal_representative_fills_the_minors_profile_r_min_1(
    minor_profile: tuple[Profile, Actor],
) -> None:
    profile, parent = minor_profile
    row = services.profile_item_create(
        actor=parent, patient_id=profile.patient.pk, section="ALLERGIES", data={"name": "Arachide"}
    )
    assert row.created_by_kind == ActorKind.LEGAL_REPRESENTATIVE


@pytest.mark.parametrize(
    ("write", "section"),
    [
        (
            lambda p: services.blood_group_set(actor=p.holder, patient_id=p.patient.pk, group="B+"),
            "BLOOD_GROUP",
        ),
        (
            lambda p: services.lifestyle_set(
                actor=p.holder, patient_id=p.patient.pk, section="FOOD", choice="VARIED"
            ),
            "LIFESTYLE",
        ),
        (
            lambda p: services.trusted_person_set(actor=p.holder, patient_id=p.patient.pk, data=TRUSTED),
            "TRUSTED_PERSON",
        ),
        (
            lambda p: services.organ_donation_acknowledge(actor=p.holder, patient_id=p.patient.pk),
            "ORGAN_DONATION",
        ),
    ],
)
def test_every_single_value_write_is_traced_invariant_2(profile: Profile, write: Any, section: str) -> None:
    write(profile)
    (entry,) = Trace.objects.filter(patient_id=profile.patient.pk, action="PROFILE_CREATE")
    assert (entry.outcome, entry.details["section"], entry.group) == ("ALLOW", section, "general")
