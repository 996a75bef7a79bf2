"""Vaccinations (SPEC §4 ``VaccineItemModel``, R-PML-1, R-DEL-2): the holder's side adds, edits and deletes
its entries; an authorised pharmacist (G15_21) adds one and the patient sees it with its author; without
consent the professional gets the same "not found"; authorship decides who changes an entry; every write
is traced; a refused input writes nothing (invariant 9)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from carnet.audit.models import Trace
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.notifications.models import OutboxMessage
from carnet.profile.vitals import selectors, services
from carnet.profile.vitals.models import Vaccination
from tests.records.helpers import add_parent, person_actor, pro_actor
from tests.vitals.conftest import Vitals, make_vitals

pytestmark = pytest.mark.django_db


def _traces(vitals: Vitals, action: str) -> list[Trace]:
    return list(Trace.objects.filter(patient_id=vitals.patient.pk, action=action).order_by("id"))


# --- the holder's side ---------------------------------------------------------------------------------


def test_the_holder_adds_a_vaccination_from_the_referential_with_its_targets(vitals: Vitals) -> None:
    vaccination = vitals.add_vaccination(
        vaccine_code="HEXAVALENT", lot_number="X123", dose_type="INITIMMUNIZ"
    )
    assert vaccination.vaccine_name.startswith("Hexavalent")
    assert vaccination.atc_code == "J07CA09"
    assert set(vaccination.targets) == {"DIPHTHERIA", "TETANUS", "PERTUSSIS", "POLIO", "HIB", "HEPATITIS_B"}
    assert vaccination.authored_by_patient is True
    assert vaccination.author_person_id == vitals.patient.pk


def test_the_holder_adds_a_vaccine_absent_from_the_referential_by_its_name(vitals: Vitals) -> None:
    vaccination = vitals.add_vaccination(vaccine_code="", vaccine_name="Fièvre jaune", targets=["OTHER"])
    assert (vaccination.vaccine_name, vaccination.targets) == ("Fièvre jaune", ["OTHER"])


def test_the_holder_edits_his_vaccination_and_the_trace_names_only_the_changed_fields(vitals: Vitals) -> None:
    vaccination = vitals.add_vaccination(lot_number="A1")
    services.vaccination_update(
        actor=vitals.holder,
        patient_id=vitals.patient.pk,
        vaccination_public_id=vaccination.public_id,
        effective_date=vaccination.effective_date,
        vaccine_code="INFLUENZA",
        lot_number="B2",
    )
    vaccination.refresh_from_db()
    assert vaccination.lot_number == "B2"
    (trace,) = _traces(vitals, "VACCINATION_UPDATE")
    assert trace.details["fields"] == ["lot_number"]
    assert "B2" not in json.dumps(trace.details)


def test_the_holder_deletes_his_vaccination_and_the_deletion_is_traced(vitals: Vitals) -> None:
    vaccination = vitals.add_vaccination()
    services.vaccination_delete(
        actor=vitals.holder, patient_id=vitals.patient.pk, vaccination_public_id=vaccination.public_id
    )
    assert not Vaccination.objects.exists()
    assert [t.object_id for t in _traces(vitals, "VACCINATION_DELETE")] == [str(vaccination.public_id)]


def test_every_write_is_traced_in_the_patients_chain(vitals: Vitals) -> None:
    """Invariant 2: create, update and delete each leave one ALLOW trace."""
    vaccination = vitals.add_vaccination()
    services.vaccination_update(
        actor=vitals.holder,
        patient_id=vitals.patient.pk,
        vaccination_public_id=vaccination.public_id,
        effective_date=date(2025, 9, 1),
        vaccine_code="INFLUENZA",
    )
    services.vaccination_delete(
        actor=vitals.holder, patient_id=vitals.patient.pk, vaccination_public_id=vaccination.public_id
    )
    actions = [t.action for t in Trace.objects.filter(patient_id=vitals.patient.pk, outcome="ALLOW")]
    assert {"VACCINATION_CREATE", "VACCINATION_UPDATE", "VACCINATION_DELETE"} <= set(actions)


def test_a_caregiver_adds_a_vaccination_for_the_person_he_helps_r_del_2(vitals: Vitals) -> None:
    helper, actor = vitals.caregiver()
    vaccination = vitals.add_vaccination(actor=actor)
    assert vaccination.author_kind == "CAREGIVER"
    assert vaccination.author_person_id == helper.pk
    assert vaccination.authored_by_patient is True


def test_a_legal_representative_adds_a_vaccination_for_a_minor_r_min_1(db, clock) -> None:  # type: ignore[no-untyped-def]
    vitals = make_vitals(birth_date=date(2024, 3, 1))
    parent = add_parent(vitals.world)
    vaccination = vitals.add_vaccination(
        actor=person_actor(parent, "LEGAL_REPRESENTATIVE"),
        vaccine_code="ROR",
        effective_date=date(2025, 3, 2),
    )
    assert vaccination.author_kind == "LEGAL_REPRESENTATIVE"


def test_a_stranger_gets_not_found_and_a_deny_trace(vitals: Vitals) -> None:
    other = make_vitals()
    with pytest.raises(NotFoundOrForbidden):
        vitals.add_vaccination(actor=other.holder)
    assert not Vaccination.objects.exists()
    assert [t.outcome for t in _traces(vitals, "VACCINATION_CREATE")] == ["DENY"]


# --- validation: nothing half-written ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"lot_number": "L" * 101}, "lot_number"),
        ({"effective_date": date(2026, 2, 1)}, "effective_date"),
        ({"effective_date": date(1970, 1, 1)}, "effective_date"),
        ({"effective_date": None}, "effective_date"),
        ({"vaccine_code": "NOPE"}, "vaccine_code"),
        ({"vaccine_code": "", "vaccine_name": ""}, "vaccine_name"),
        ({"vaccine_name": "V" * 101}, "vaccine_name"),
        ({"dose_type": "TWICE"}, "dose_type"),
        ({"route": "EAR"}, "route"),
        ({"site": "NOSE"}, "site"),
        ({"cis_code": "12AB"}, "cis_code"),
        ({"targets": ["UNKNOWN_DISEASE"]}, "targets"),
        ({"comment": "c" * 3001}, "comment"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(
    vitals: Vitals, fields: dict, field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        vitals.add_vaccination(**fields)
    assert refused.value.field == field
    assert not Vaccination.objects.exists()
    assert not Trace.objects.filter(action="VACCINATION_CREATE", outcome="ALLOW").exists()


def test_a_lot_number_of_exactly_one_hundred_characters_is_accepted(vitals: Vitals) -> None:
    assert len(vitals.add_vaccination(lot_number="L" * 100).lot_number) == 100


def test_a_refused_edit_leaves_the_entry_unchanged(vitals: Vitals) -> None:
    vaccination = vitals.add_vaccination(lot_number="A1")
    with pytest.raises(DomainError):
        services.vaccination_update(
            actor=vitals.holder,
            patient_id=vitals.patient.pk,
            vaccination_public_id=vaccination.public_id,
            effective_date=date(2025, 1, 1),
            vaccine_code="INFLUENZA",
            lot_number="B" * 200,
        )
    vaccination.refresh_from_db()
    assert (vaccination.lot_number, vaccination.effective_date) == ("A1", date(2025, 10, 1))
    assert not _traces(vitals, "VACCINATION_UPDATE")


# --- professionals (R-PML-1) ---------------------------------------------------------------------------


def test_a_pharmacist_with_consent_adds_a_vaccination_and_the_patient_sees_its_author(vitals: Vitals) -> None:
    vitals.consent(vitals.pharmacist)
    added = vitals.add_vaccination(
        actor=pro_actor(vitals.pharmacist), vaccine_code="COVID19", lot_number="FX42"
    )
    seen = selectors.vaccination_list_for_actor(actor=vitals.holder, patient_id=vitals.patient.pk)
    assert [v.public_id for v in seen] == [added.public_id]
    assert seen[0].author_professional == vitals.pharmacist
    assert seen[0].authored_by_patient is False
    assert seen[0].performer_professional == vitals.pharmacist  # he vaccinated
    assert seen[0].author_label == vitals.pharmacist.display_name


def test_a_professionals_vaccination_sends_the_holder_a_content_free_email(vitals: Vitals) -> None:
    """R-NOT-3 (PML_CVA), R-NOT-2: no vaccine, no lot, no name, never a password request."""
    vitals.consent(vitals.pharmacist)
    vitals.add_vaccination(actor=pro_actor(vitals.pharmacist), vaccine_code="COVID19", lot_number="FX42")
    (message,) = OutboxMessage.objects.filter(
        patient_id=vitals.patient.pk, template="vitals_profile_updated_by_professional"
    )
    assert message.address == vitals.patient.email
    assert set(message.params) == {"date", "base_url"}


def test_a_pharmacist_without_consent_gets_not_found_when_reading(vitals: Vitals) -> None:
    vitals.add_vaccination()
    with pytest.raises(NotFoundOrForbidden):
        selectors.vaccination_list_for_actor(actor=pro_actor(vitals.pharmacist), patient_id=vitals.patient.pk)
    assert [t.outcome for t in _traces(vitals, "VACCINATION_LIST")] == ["DENY"]


def test_a_pharmacist_without_consent_cannot_add_a_vaccination(vitals: Vitals) -> None:
    with pytest.raises(NotFoundOrForbidden):
        vitals.add_vaccination(actor=pro_actor(vitals.pharmacist))
    assert not Vaccination.objects.exists()


def test_an_authorised_professional_reads_the_holders_vaccinations_r_pml_1(vitals: Vitals) -> None:
    vitals.add_vaccination()
    vitals.consent(vitals.world.gp)
    seen = selectors.vaccination_list_for_actor(
        actor=pro_actor(vitals.world.gp), patient_id=vitals.patient.pk
    )
    assert len(seen) == 1


def test_a_professionals_first_read_queues_the_first_access_email_r_ac_14(vitals: Vitals) -> None:
    vitals.consent(vitals.world.gp)
    selectors.vaccination_list_for_actor(actor=pro_actor(vitals.world.gp), patient_id=vitals.patient.pk)
    assert (
        OutboxMessage.objects.filter(patient_id=vitals.patient.pk, template="record_first_access").count()
        == 1
    )


def test_a_blocked_professional_does_not_read_vaccinations_r_blk_2(vitals: Vitals) -> None:
    from carnet.access import services as access_services

    vitals.consent(vitals.world.gp)
    access_services.professional_block(
        actor=vitals.holder, patient_id=vitals.patient.pk, professional=vitals.world.gp
    )
    with pytest.raises(NotFoundOrForbidden):
        selectors.vaccination_list_for_actor(actor=pro_actor(vitals.world.gp), patient_id=vitals.patient.pk)


def test_a_professional_cannot_edit_a_patient_authored_entry(vitals: Vitals) -> None:
    vaccination = vitals.add_vaccination(lot_number="A1")
    vitals.consent(vitals.pharmacist)
    with pytest.raises(NotFoundOrForbidden):
        services.vaccination_update(
            actor=pro_actor(vitals.pharmacist),
            patient_id=vitals.patient.pk,
            vaccination_public_id=vaccination.public_id,
            effective_date=vaccination.effective_date,
            vaccine_code="INFLUENZA",
            lot_number="HACK",
        )
    vaccination.refresh_from_db()
    assert vaccination.lot_number == "A1"
    assert _traces(vitals, "VACCINATION_UPDATE")[-1].details["rule"] == "R-VER-2"


def test_a_professional_completes_his_own_entry(vitals: Vitals) -> None:
    vitals.consent(vitals.pharmacist)
    vaccination = vitals.add_vaccination(actor=pro_actor(vitals.pharmacist), vaccine_code="COVID19")
    services.vaccination_update(
        actor=pro_actor(vitals.pharmacist),
        patient_id=vitals.patient.pk,
        vaccination_public_id=vaccination.public_id,
        effective_date=vaccination.effective_date,
        vaccine_code="COVID19",
        lot_number="FX42",
        site="LD",
        route="IM",
    )
    vaccination.refresh_from_db()
    assert (vaccination.lot_number, vaccination.site, vaccination.route) == ("FX42", "LD", "IM")


def test_another_professional_cannot_change_a_pharmacists_entry(vitals: Vitals) -> None:
    vitals.consent(vitals.pharmacist)
    vitals.consent(vitals.world.gp)
    vaccination = vitals.add_vaccination(actor=pro_actor(vitals.pharmacist))
    with pytest.raises(NotFoundOrForbidden):
        services.vaccination_delete(
            actor=pro_actor(vitals.world.gp),
            patient_id=vitals.patient.pk,
            vaccination_public_id=vaccination.public_id,
        )
    assert Vaccination.objects.filter(pk=vaccination.pk).exists()


def test_the_holder_cannot_change_a_professionals_entry(vitals: Vitals) -> None:
    """[I] Like a professional's document (R-VER-2): the holder asks its author to correct it."""
    vitals.consent(vitals.pharmacist)
    vaccination = vitals.add_vaccination(actor=pro_actor(vitals.pharmacist))
    with pytest.raises(NotFoundOrForbidden):
        services.vaccination_delete(
            actor=vitals.holder, patient_id=vitals.patient.pk, vaccination_public_id=vaccination.public_id
        )
    assert Vaccination.objects.filter(pk=vaccination.pk).exists()


def test_an_unknown_entry_answers_like_a_forbidden_one(vitals: Vitals) -> None:
    import uuid

    with pytest.raises(NotFoundOrForbidden) as missing:
        services.vaccination_delete(
            actor=vitals.holder, patient_id=vitals.patient.pk, vaccination_public_id=uuid.uuid4()
        )
    other = make_vitals()
    theirs = other.add_vaccination()
    with pytest.raises(NotFoundOrForbidden) as forbidden:
        services.vaccination_delete(
            actor=vitals.holder, patient_id=vitals.patient.pk, vaccination_public_id=theirs.public_id
        )
    assert str(missing.value) == str(forbidden.value)


# --- the record grouped by disease ---------------------------------------------------------------------


def test_the_record_groups_done_vaccines_by_target_disease_a_combined_vaccine_under_each(
    vitals: Vitals,
) -> None:
    vitals.add_vaccination(vaccine_code="ROR", effective_date=date(2025, 1, 5))
    vitals.add_vaccination(vaccine_code="INFLUENZA", effective_date=date(2025, 11, 5))
    rows = selectors.vaccination_list_for_actor(actor=vitals.holder, patient_id=vitals.patient.pk)
    groups = {g.disease_code: len(g.vaccinations) for g in selectors.vaccinations_by_disease(rows)}
    assert groups == {"MEASLES": 1, "MUMPS": 1, "RUBELLA": 1, "INFLUENZA": 1}


def test_vaccinations_are_listed_newest_first(vitals: Vitals, clock) -> None:  # type: ignore[no-untyped-def]
    old = vitals.add_vaccination(effective_date=date(2020, 10, 1))
    new = vitals.add_vaccination(effective_date=clock.now().date() - timedelta(days=1))
    rows = selectors.vaccination_list_for_actor(actor=vitals.holder, patient_id=vitals.patient.pk)
    assert [r.public_id for r in rows] == [new.public_id, old.public_id]
