"""``professional_register`` / ``organisation_register``: RPPS, G15 profession and specialty, FINESS, J02."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from stdnum import luhn

from carnet.audit.models import Trace
from carnet.identity.models import Organisation, Professional
from carnet.identity.services import organisation_register, professional_register

pytestmark = pytest.mark.django_db

RPPS = "1000000001" + luhn.calc_check_digit("1000000001")
FINESS = "75000001" + luhn.calc_check_digit("75000001")


def _register(**overrides: Any) -> Professional:
    data: dict[str, Any] = {
        "rpps": RPPS,
        "last_name": "DURAND",
        "first_name": "Anne",
        "profession_code": "G15_10",
        "specialty_code": "G15_10/SM26",
        "email": "anne.durand@example.org",
    }
    data.update(overrides)
    return professional_register(**data)


def _errors(**overrides: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        _register(**overrides)
    assert Professional.objects.count() == 0
    return exc.value.message_dict


def test_a_professional_is_registered_and_traced() -> None:
    pro = _register()
    assert Trace.objects.filter(action="PROFESSIONAL_REGISTERED", object_id=str(pro.public_id)).exists()


def test_an_rpps_with_a_wrong_key_is_refused() -> None:
    assert "rpps" in _errors(rpps=RPPS[:-1] + str((int(RPPS[-1]) + 1) % 10))


def test_an_unknown_profession_code_is_refused() -> None:
    assert "G15" in _errors(profession_code="G15_99", specialty_code="")["profession_code"][0]


def test_a_specialty_of_another_profession_is_refused() -> None:
    errors = _errors(profession_code="G15_40", specialty_code="G15_10/SM26")
    assert "Chirurgien-Dentiste" in errors["specialty_code"][0]


def test_a_short_specialty_code_is_completed_with_the_profession() -> None:
    assert _register(specialty_code="SM26").specialty_code == "G15_10/SM26"


def test_re_registering_the_same_professional_changes_nothing(clock: Any) -> None:
    first = _register()
    clock.advance(days=1)
    again = _register()
    assert (again.pk, again.updated_at) == (first.pk, first.updated_at)
    assert Trace.objects.filter(object_id=str(first.public_id)).count() == 1


def test_re_registering_with_a_new_email_updates_it(clock: Any) -> None:
    _register()
    clock.advance(days=1)
    pro = _register(email="nouveau@example.org")
    assert (pro.email, pro.updated_at) == ("nouveau@example.org", clock.now())


def test_practice_places_are_added_with_their_establishment() -> None:
    place = {
        "finess": FINESS,
        "organisation_name": "CHU de Paris",
        "facility_type_code": "SA01",
        "city": "Paris",
    }
    pro = _register(practice_places=[place, {"name": "Cabinet", "address": "1 rue de Paris"}])
    assert sorted(pro.practice_places.values_list("name", flat=True)) == ["CHU de Paris", "Cabinet"]
    assert pro.practice_places.get(name="CHU de Paris").organisation == Organisation.objects.get(
        finess=FINESS
    )


def test_a_faulty_practice_place_is_reported_by_position() -> None:
    errors = _errors(
        practice_places=[{"finess": FINESS, "organisation_name": "CHU", "facility_type_code": "ZZ"}]
    )
    assert "practice_places.0.facility_type_code" in errors


def test_an_organisation_needs_a_valid_finess_and_a_j02_facility_type() -> None:
    with pytest.raises(ValidationError) as exc:
        organisation_register(
            finess=FINESS[:-1] + str((int(FINESS[-1]) + 1) % 10), name="CHU", facility_type_code="NOPE"
        )
    assert {"finess", "facility_type_code"} <= set(exc.value.message_dict)
    assert Organisation.objects.count() == 0


def test_re_registering_an_organisation_with_a_new_name_updates_it() -> None:
    organisation_register(finess=FINESS, name="CH", facility_type_code="SA01")
    org = organisation_register(finess=FINESS, name="CHU", facility_type_code="SA01")
    assert (Organisation.objects.count(), org.name) == (1, "CHU")
    assert Trace.objects.filter(action="ORGANISATION_UPDATED", object_id=str(org.public_id)).exists()
