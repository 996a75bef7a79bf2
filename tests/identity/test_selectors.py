"""Identity reads: find by INS / RPPS, and the INS + traits match used by invitations (R-ID-2)."""

from __future__ import annotations

from datetime import date

import pytest

from carnet.identity.selectors import person_find_by_ins, person_match, professional_by_rpps
from tests.factories import PersonFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db


def test_a_person_is_found_by_his_matricule_with_or_without_spaces_r_id_2() -> None:
    person = PersonFactory()
    spaced = " ".join([person.ins_matricule[:5], person.ins_matricule[5:]])
    assert person_find_by_ins(spaced) == person


def test_a_malformed_matricule_finds_nobody_without_raising() -> None:
    PersonFactory()
    assert person_find_by_ins("not a nir") is None


def test_a_professional_is_found_by_rpps() -> None:
    pro = ProfessionalFactory()
    assert professional_by_rpps(pro.rpps) == pro
    assert professional_by_rpps("123") is None


def test_person_match_ignores_case_and_accents_r_id_2() -> None:
    person = PersonFactory(birth_name="LEFÈVRE", first_names="Hélène Marie")
    found = person_match(
        nir=person.ins_matricule, birth_name="lefevre", first_name="HELENE", birth_date=person.birth_date
    )
    assert found == person


def test_person_match_accepts_the_whole_list_of_first_names_r_id_2() -> None:
    person = PersonFactory(birth_name="DUBOIS", first_names="Jean-Pierre Paul")
    found = person_match(
        nir=person.ins_matricule,
        birth_name="Dubois",
        first_name="jean pierre paul",
        birth_date=person.birth_date,
    )
    assert found == person


@pytest.mark.parametrize(
    ("field", "value"),
    [("birth_name", "DURAND"), ("first_name", "Marie"), ("birth_date", date(1980, 5, 18))],
)
def test_person_match_refuses_any_trait_that_differs_r_id_2(field: str, value: object) -> None:
    person = PersonFactory(birth_name="MARTIN", first_names="Claire Marie")
    traits: dict[str, object] = {
        "birth_name": "MARTIN",
        "first_name": "Claire",
        "birth_date": person.birth_date,
    }
    traits[field] = value
    assert person_match(nir=person.ins_matricule, **traits) is None  # type: ignore[arg-type]


def test_person_match_refuses_an_unknown_matricule_r_id_2() -> None:
    person = PersonFactory()
    other = person.ins_matricule[:10] + "999"
    assert (
        person_match(
            nir=other,
            birth_name=person.birth_name,
            first_name=person.first_name,
            birth_date=person.birth_date,
        )
        is None
    )
