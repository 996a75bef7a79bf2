"""``person_register``: INS identity, traits and contact data (R-ID-1..4, R-LC-10)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from carnet.audit.models import Trace
from carnet.common.actors import Actor
from carnet.identity.hashing import vitale_matches
from carnet.identity.models import Person
from carnet.identity.services import Outcome, person_register, person_register_outcome
from carnet.identity.validators import OID_INS_NIA, OID_INS_NIA_TEST, OID_INS_NIR, OID_INS_NIR_TEST

from .conftest import nir

pytestmark = pytest.mark.django_db

NIR = nir("2800575056012")


def _register(**overrides: Any) -> Person:
    data: dict[str, Any] = {
        "ins_matricule": NIR,
        "ins_oid": OID_INS_NIR_TEST,
        "birth_name": "MARTIN",
        "first_names": "Claire Marie",
        "birth_date": date(1980, 5, 17),
        "sex": "F",
        "birth_place_cog": "75056",
        "email": "claire@example.org",
        "phone": "06 12 34 56 78",
    }
    data.update(overrides)
    return person_register(**data)


def _errors(**overrides: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        _register(**overrides)
    assert Person.objects.count() == 0
    return exc.value.message_dict


def test_a_valid_ins_identity_is_registered_with_normalised_contact_data_r_id_2(clock: Any) -> None:
    person = _register()
    assert person.ins_matricule == NIR
    assert person.phone == "+33612345678"
    assert person.created_at == person.updated_at == clock.now()


def test_registration_is_traced_by_the_insurance_without_the_nir_r_id_1(clock: Any) -> None:
    person = _register()
    entry = Trace.objects.get(patient_id=person.pk)
    assert (entry.action, entry.actor_kind, entry.object_id) == (
        "PERSON_REGISTERED",
        "INSURANCE",
        str(person.public_id),
    )
    assert NIR not in str(entry.details) and NIR not in entry.reason


def test_registration_is_traced_with_the_given_actor_r_id_1() -> None:
    person = _register(actor=Actor.system("demo"))
    assert Trace.objects.get(patient_id=person.pk).actor_id == "demo"


def test_a_nir_with_a_wrong_key_is_refused_on_the_matricule_field_r_id_2() -> None:
    wrong = NIR[:13] + ("00" if NIR[13:] != "00" else "01")
    assert "clé" in _errors(ins_matricule=wrong)["ins_matricule"][0]


def test_an_unknown_oid_is_refused_r_id_3() -> None:
    assert "ins_oid" in _errors(ins_oid="1.2.250.1.213.1.4.2")


@pytest.mark.parametrize("oid", [OID_INS_NIR, OID_INS_NIR_TEST])
def test_a_provisional_number_is_refused_under_a_nir_oid_r_id_3(oid: str) -> None:
    nia = nir("8800599135012")  # first digit 8: provisional number, female
    errors = _errors(ins_matricule=nia, ins_oid=oid, birth_place_cog="99135")
    assert "NIA" in errors["ins_matricule"][0]


@pytest.mark.parametrize("oid", [OID_INS_NIA, OID_INS_NIA_TEST])
def test_a_provisional_number_is_accepted_under_a_nia_oid_r_id_3(oid: str) -> None:
    nia = nir("8800599135012")
    assert _register(ins_matricule=nia, ins_oid=oid, birth_place_cog="99135").ins_oid == oid


def test_a_nia_built_like_a_nir_is_accepted_under_a_nia_oid_r_id_2() -> None:
    assert _register(ins_oid=OID_INS_NIA_TEST).ins_matricule == NIR


def test_a_nir_whose_sex_digit_contradicts_the_sex_trait_is_refused_r_id_2() -> None:
    assert "sex" in _errors(sex="M")


def test_a_nir_whose_birth_year_contradicts_the_birth_date_is_refused_r_id_2() -> None:
    assert "birth_date" in _errors(birth_date=date(1981, 5, 17))


def test_a_nir_whose_birth_month_contradicts_the_birth_date_is_refused_r_id_2() -> None:
    assert "birth_date" in _errors(birth_date=date(1980, 6, 17))


@pytest.mark.parametrize("month", ["20", "31", "42", "99"])
def test_a_nir_with_an_unknown_or_special_birth_month_is_accepted_r_id_2(month: str) -> None:
    special = nir(f"280{month}75056012")
    assert _register(ins_matricule=special).birth_date == date(1980, 5, 17)


def test_a_birth_date_in_the_future_is_refused_r_id_2(clock: Any) -> None:
    future = nir("2260575056012")
    assert "futur" in _errors(ins_matricule=future, birth_date=date(2026, 5, 17))["birth_date"][0]


def test_a_sex_other_than_f_or_m_is_refused_r_id_2() -> None:
    assert "sex" in _errors(sex="X")


def test_a_malformed_birth_place_code_is_refused_r_id_2() -> None:
    assert "birth_place_cog" in _errors(birth_place_cog="7505")


def test_a_missing_birth_name_is_refused_r_id_2() -> None:
    assert "birth_name" in _errors(birth_name="  ")


def test_every_faulty_field_is_reported_at_once() -> None:
    assert {"email", "phone", "birth_place_cog"} <= set(
        _errors(email="not-an-email", phone="0123", birth_place_cog="x")
    )


def test_a_landline_is_refused_as_the_contact_phone() -> None:
    assert "phone" in _errors(phone="01 23 45 67 89")


def test_the_vitale_serial_is_stored_only_as_a_keyed_hash_r_lc_10() -> None:
    person = _register(vitale_serial="12345678901")
    assert "12345678901" not in person.vitale_serial_hash
    assert vitale_matches("12345678901", person.vitale_serial_hash)


def test_a_vitale_serial_contained_in_the_nir_is_refused_r_lc_10() -> None:
    assert "vitale_serial" in _errors(vitale_serial=NIR[:11])


def test_re_registering_the_same_data_changes_nothing_and_traces_nothing(clock: Any) -> None:
    first = _register()
    clock.advance(days=1)
    again, outcome = person_register_outcome(
        ins_matricule=NIR,
        ins_oid=OID_INS_NIR_TEST,
        birth_name="MARTIN",
        first_names="Claire  Marie",
        birth_date="1980-05-17",
        sex="f",
        birth_place_cog="75056",
        email="claire@example.org",
        phone="+33612345678",
    )
    assert (again.pk, outcome) == (first.pk, Outcome.UNCHANGED)
    assert again.updated_at == first.updated_at
    assert Trace.objects.filter(patient_id=first.pk).count() == 1


def test_re_registering_with_new_contact_data_updates_them_and_traces_the_field_names(clock: Any) -> None:
    first = _register()
    clock.advance(days=3)
    person = _register(email="nouvelle@example.org")
    assert (person.pk, person.email, person.updated_at) == (first.pk, "nouvelle@example.org", clock.now())
    entry = Trace.objects.filter(patient_id=person.pk).last()
    assert entry is not None
    assert (entry.action, entry.details) == ("PERSON_UPDATED", {"changed": ["email"]})


def test_empty_contact_data_keep_the_known_values() -> None:
    _register(vitale_serial="12345678901")
    person = _register(email="", phone="", vitale_serial="")
    assert person.email == "claire@example.org" and person.phone == "+33612345678"
    assert vitale_matches("12345678901", person.vitale_serial_hash)


def test_a_child_is_registered_under_his_parents_nir_r_id_4() -> None:
    parent = _register()
    child = _register(
        ins_matricule=nir("1150575056101"),
        first_names="Hugo",
        sex="M",
        birth_date=date(2015, 5, 9),
        insured_under=NIR,
        email="",
        phone="",
    )
    assert child.insured_under == parent


def test_a_child_cannot_be_insured_under_an_unregistered_nir_r_id_4() -> None:
    with pytest.raises(ValidationError) as exc:
        _register(
            ins_matricule=nir("1150575056101"),
            sex="M",
            birth_date=date(2015, 5, 9),
            insured_under=nir("1700575056001"),
        )
    assert "insured_under" in exc.value.message_dict
    assert Person.objects.count() == 0


def test_a_person_cannot_be_insured_under_his_own_nir_r_id_4() -> None:
    assert "insured_under" in _errors(insured_under=NIR)
