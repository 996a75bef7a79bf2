"""Create / edit / delete in every list section of the medical profile (SPEC §4), R-PML-2 flags,
links to documents and treatments, and the trace of every write (invariant 2)."""

from __future__ import annotations

from typing import Any

import pytest

from carnet.access.facts import ProfileSection
from carnet.audit.models import Trace
from carnet.common.errors import DomainError
from carnet.profile import selectors, services
from carnet.profile.models import Allergy, Disease, NotConcerned, Treatment
from carnet.records import services as records
from tests.profile.conftest import PDF, Profile, pro_actor

pytestmark = pytest.mark.django_db

VALID: dict[ProfileSection, tuple[dict[str, Any], dict[str, Any]]] = {
    ProfileSection.TREATMENTS: (
        {"name": "Metformine", "start_year": 2020, "posology": "1 cp matin et soir"},
        {"name": "Metformine 1000", "start_year": 2020, "start_month": 3, "end_year": 2025},
    ),
    ProfileSection.ALLERGIES: ({"name": "Pollen de bouleau"}, {"name": "Pollens", "comment": "Au printemps"}),
    ProfileSection.DISEASES: ({"name": "Diabète de type 2", "start_year": 2019}, {"name": "Diabète"}),
    ProfileSection.HOSPITALIZATIONS: (
        {"name": "Appendicectomie", "start_year": 2010, "duration": 3, "duration_unit": "DAY"},
        {"name": "Appendicectomie", "start_year": 2011},
    ),
    ProfileSection.FAMILY_HISTORIES: (
        {"name": "Cancer du sein", "relationship": "MOTHER"},
        {"name": "Cancer du sein", "relationship": "AUNT"},
    ),
    ProfileSection.DISABILITIES: (
        {"kind": "SENSORY", "rate": "FROM_50_TO_79", "technical_help": "Appareil auditif"},
        {"kind": "SENSORY", "rate": "FROM_80"},
    ),
    ProfileSection.ENTOURAGE: (
        {"name": "Paul Martin", "relationship": "SPOUSE", "phone": "06 12 34 56 78"},
        {"name": "Paul Martin", "relationship": "SPOUSE", "phone": "0612345679", "email": "paul@example.org"},
    ),
}


def _traces(profile: Profile, action: str) -> list[Trace]:
    return list(Trace.objects.filter(patient_id=profile.patient.pk, action=action).order_by("id"))


@pytest.mark.parametrize("section", list(VALID))
def test_the_holder_creates_an_item_in_every_section_and_it_is_traced(
    profile: Profile, section: ProfileSection
) -> None:
    """SPEC §4; invariant 2: the creation and its trace share the transaction."""
    created, _edit = VALID[section]
    row = services.profile_item_create(
        actor=profile.holder, patient_id=profile.patient.pk, section=section, data=created
    )
    view = selectors.section_for_actor(actor=profile.holder, patient_id=profile.patient.pk, section=section)
    assert [item.public_id for item in view.items] == [row.public_id]
    (entry,) = _traces(profile, "PROFILE_CREATE")
    assert entry.object_id == str(row.public_id)
    assert entry.details["section"] == str(section)


@pytest.mark.parametrize("section", list(VALID))
def test_the_holder_edits_an_item_in_every_section(profile: Profile, section: ProfileSection) -> None:
    created, edited = VALID[section]
    row = services.profile_item_create(
        actor=profile.holder, patient_id=profile.patient.pk, section=section, data=created
    )
    services.profile_item_update(
        actor=profile.holder,
        patient_id=profile.patient.pk,
        section=section,
        item_public_id=row.public_id,
        data=edited,
    )
    row.refresh_from_db()
    for name, value in edited.items():
        assert getattr(row, name) == value
    (entry,) = _traces(profile, "PROFILE_UPDATE")
    assert entry.details["fields"]  # names of the changed fields, never their values
    assert all(str(v) not in str(entry.details) for v in edited.values() if isinstance(v, str))


@pytest.mark.parametrize("section", list(VALID))
def test_the_holder_deletes_an_item_in_every_section(profile: Profile, section: ProfileSection) -> None:
    created, _edit = VALID[section]
    row = services.profile_item_create(
        actor=profile.holder, patient_id=profile.patient.pk, section=section, data=created
    )
    services.profile_item_delete(
        actor=profile.holder, patient_id=profile.patient.pk, section=section, item_public_id=row.public_id
    )
    assert not type(row).objects.filter(pk=row.pk).exists()
    assert [t.object_id for t in _traces(profile, "PROFILE_DELETE")] == [str(row.public_id)]


def test_traces_of_profile_writes_never_carry_the_health_data(profile: Profile) -> None:
    """R-NOT-2 spirit for traces: section, item id and field names only."""
    services.profile_item_create(
        actor=profile.holder,
        patient_id=profile.patient.pk,
        section=ProfileSection.DISEASES,
        data={"name": "Maladie de Crohn", "comment": "suivi gastro"},
    )
    (entry,) = _traces(profile, "PROFILE_CREATE")
    assert "Crohn" not in str(entry.details) and "gastro" not in str(entry.details)


# --- R-PML-2 "not concerned" ----------------------------------------------------------------------------


def test_the_holder_says_he_is_not_concerned_by_allergies_r_pml_2(profile: Profile) -> None:
    services.not_concerned_set(
        actor=profile.holder, patient_id=profile.patient.pk, section="ALLERGIES", value=True
    )
    view = selectors.section_for_actor(
        actor=profile.holder, patient_id=profile.patient.pk, section="ALLERGIES"
    )
    assert view.not_concerned is True
    assert _traces(profile, "PROFILE_NOT_CONCERNED")[0].details["value"] is True


def test_not_concerned_is_refused_while_the_section_has_items_r_pml_2(profile: Profile) -> None:
    services.profile_item_create(
        actor=profile.holder, patient_id=profile.patient.pk, section="ALLERGIES", data={"name": "Arachide"}
    )
    with pytest.raises(DomainError) as error:
        services.not_concerned_set(
            actor=profile.holder, patient_id=profile.patient.pk, section="ALLERGIES", value=True
        )
    assert error.value.field == "not_concerned"
    assert not NotConcerned.objects.filter(patient_id=profile.patient.pk).exists()


def test_adding_an_item_clears_the_not_concerned_flag_r_pml_2(profile: Profile) -> None:
    services.not_concerned_set(
        actor=profile.holder, patient_id=profile.patient.pk, section="TREATMENTS", value=True
    )
    services.profile_item_create(
        actor=profile.holder,
        patient_id=profile.patient.pk,
        section="TREATMENTS",
        data={"name": "Ventoline", "start_year": 2024},
    )
    assert not NotConcerned.objects.filter(patient_id=profile.patient.pk, section="TREATMENTS").exists()
    assert _traces(profile, "PROFILE_CREATE")[0].details["not_concerned_cleared"] is True


def test_the_overview_counts_items_and_shows_flags(profile: Profile) -> None:
    services.profile_item_create(
        actor=profile.holder, patient_id=profile.patient.pk, section="DISEASES", data={"name": "Asthme"}
    )
    services.not_concerned_set(
        actor=profile.holder, patient_id=profile.patient.pk, section="ALLERGIES", value=True
    )
    overview = {
        s.section: s
        for s in selectors.profile_overview_for_actor(actor=profile.holder, patient_id=profile.patient.pk)
    }
    assert overview[ProfileSection.DISEASES].count == 1
    assert overview[ProfileSection.ALLERGIES].not_concerned is True
    assert overview[ProfileSection.TREATMENTS].count == 0


# --- links ------------------------------------------------------------------------------------------------


def _upload(profile: Profile) -> Any:
    return records.document_deposit(
        actor=profile.holder,
        patient_id=profile.patient.pk,
        content=PDF,
        filename="ordonnance.pdf",
        declared_media_type="application/pdf",
        title="Ordonnance",
        category="ORD_SOIN",
    )


def test_a_treatment_is_linked_to_its_prescription(profile: Profile) -> None:
    """SPEC §2.8 link to profile items: stored by the document's public id."""
    document = _upload(profile)
    row = services.profile_item_create(
        actor=profile.holder,
        patient_id=profile.patient.pk,
        section="TREATMENTS",
        data={"name": "Amoxicilline", "start_year": 2025, "linked_documents": [str(document.public_id)]},
    )
    view = selectors.section_for_actor(
        actor=profile.holder, patient_id=profile.patient.pk, section="TREATMENTS"
    )
    assert [d.public_id for d in view.items[0].documents] == [document.public_id]
    assert row.linked_documents == [str(document.public_id)]


def test_linking_a_document_the_actor_cannot_see_is_refused_as_not_found(profile: Profile) -> None:
    from tests.records.helpers import make_world

    foreign = _upload(Profile(world=make_world()))
    with pytest.raises(DomainError) as error:
        services.profile_item_create(
            actor=profile.holder,
            patient_id=profile.patient.pk,
            section="DISEASES",
            data={"name": "Asthme", "linked_documents": [str(foreign.public_id)]},
        )
    assert error.value.field == "linked_documents"
    assert not Disease.objects.filter(patient_id=profile.patient.pk).exists()


def test_deleting_a_linked_upload_removes_the_link_at_read_time(profile: Profile) -> None:
    """R-DOC-10: deleting a patient upload unlinks it (dead links filtered when read)."""
    document = _upload(profile)
    services.profile_item_create(
        actor=profile.holder,
        patient_id=profile.patient.pk,
        section="DISEASES",
        data={"name": "Angine", "linked_documents": [str(document.public_id)]},
    )
    records.documents_delete_by_patient(
        actor=profile.holder, patient_id=profile.patient.pk, document_ids=[document.public_id]
    )
    view = selectors.section_for_actor(
        actor=profile.holder, patient_id=profile.patient.pk, section="DISEASES"
    )
    assert view.items[0].documents == []


def test_an_allergy_is_linked_to_a_treatment_of_the_same_patient(profile: Profile) -> None:
    treatment = services.profile_item_create(
        actor=profile.holder,
        patient_id=profile.patient.pk,
        section="TREATMENTS",
        data={"name": "Pénicilline", "start_year": 2001},
    )
    allergy = services.profile_item_create(
        actor=profile.holder,
        patient_id=profile.patient.pk,
        section="ALLERGIES",
        data={"name": "Pénicilline", "linked_treatments": [str(treatment.public_id)]},
    )
    assert isinstance(allergy, Allergy)
    assert list(allergy.linked_treatments.all()) == [treatment]


def test_linking_a_treatment_of_another_patient_is_refused(profile: Profile) -> None:
    from tests.records.helpers import make_world

    other = make_world()
    foreign = services.profile_item_create(
        actor=other.holder,
        patient_id=other.patient.pk,
        section="TREATMENTS",
        data={"name": "X", "start_year": 2020},
    )
    with pytest.raises(DomainError) as error:
        services.profile_item_create(
            actor=profile.holder,
            patient_id=profile.patient.pk,
            section="ALLERGIES",
            data={"name": "Y", "linked_treatments": [str(foreign.public_id)]},
        )
    assert error.value.field == "linked_treatments"
    assert not Allergy.objects.filter(patient_id=profile.patient.pk).exists()


# --- who writes -------------------------------------------------------------------------------------------


def test_a_caregiver_adds_edits_and_deletes_data_r_del_2(profile: Profile) -> None:
    aidant = profile.caregiver()
    row = services.profile_item_create(
        actor=aidant,
        patient_id=profile.patient.pk,
        section="TREATMENTS",
        data={"name": "Doliprane", "start_year": 2025},
    )
    services.profile_item_update(
        actor=aidant,
        patient_id=profile.patient.pk,
        section="TREATMENTS",
        item_public_id=row.public_id,
        data={"name": "Paracétamol", "start_year": 2025},
    )
    assert Treatment.objects.get(pk=row.pk).created_by_kind == "CAREGIVER"
    services.profile_item_delete(
        actor=aidant, patient_id=profile.patient.pk, section="TREATMENTS", item_public_id=row.public_id
    )
    assert not Treatment.objects.filter(pk=row.pk).exists()


def test_a_stranger_cannot_write_and_the_refusal_is_traced(profile: Profile) -> None:
    from carnet.common.errors import NotFoundOrForbidden

    with pytest.raises(NotFoundOrForbidden):
        services.profile_item_create(
            actor=profile.stranger(),
            patient_id=profile.patient.pk,
            section="ALLERGIES",
            data={"name": "Arachide"},
        )
    assert not Allergy.objects.exists()
    assert [t.outcome for t in _traces(profile, "PROFILE_CREATE")] == ["DENY"]


def test_a_professional_cannot_fill_the_questionnaire_r_pml_1(profile: Profile) -> None:
    from carnet.common.errors import NotFoundOrForbidden

    with pytest.raises(NotFoundOrForbidden):
        services.profile_item_create(
            actor=pro_actor(profile.world.gp),
            patient_id=profile.patient.pk,
            section="ALLERGIES",
            data={"name": "Arachide"},
        )
    assert not Allergy.objects.exists()
    (entry,) = _traces(profile, "PROFILE_CREATE")
    assert (entry.outcome, entry.details["rule"]) == ("DENY", "R-PML-1")


def test_an_item_of_another_patient_answers_not_found(profile: Profile) -> None:
    from carnet.common.errors import NotFoundOrForbidden
    from tests.records.helpers import make_world

    other = make_world()
    foreign = services.profile_item_create(
        actor=other.holder, patient_id=other.patient.pk, section="ALLERGIES", data={"name": "Latex"}
    )
    with pytest.raises(NotFoundOrForbidden):
        services.profile_item_delete(
            actor=profile.holder,
            patient_id=profile.patient.pk,
            section="ALLERGIES",
            item_public_id=foreign.public_id,
        )
    assert Allergy.objects.filter(pk=foreign.pk).exists()
