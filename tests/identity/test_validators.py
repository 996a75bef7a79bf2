"""Identifier checks: NIR key (R-ID-2), RPPS/FINESS Luhn keys (SPEC §11), carte Vitale serial (R-LC-10)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.fr import nir as stdnum_nir

from carnet.identity.validators import (
    validate_finess,
    validate_mobile_phone,
    validate_nir,
    validate_rpps,
    validate_vitale_serial,
)

from .conftest import nir

NIR = nir("2800575056012")


def test_a_nir_with_its_computed_key_is_accepted_r_id_2() -> None:
    assert validate_nir(NIR) == NIR


def test_a_nir_with_spaces_is_normalised_r_id_2() -> None:
    assert validate_nir("2 80 05 75 056 012 " + NIR[-2:]) == NIR


def test_a_nir_with_a_wrong_key_is_refused_with_a_clear_message_r_id_2() -> None:
    wrong = NIR[:13] + f"{(int(NIR[13:]) % 97) + 1:02d}"
    with pytest.raises(ValidationError) as exc:
        validate_nir(wrong)
    assert exc.value.code == "nir_checksum"
    assert "clé" in exc.value.messages[0] and "deux derniers chiffres" in exc.value.messages[0]


def test_a_nir_of_the_wrong_length_is_refused_r_id_2() -> None:
    with pytest.raises(ValidationError) as exc:
        validate_nir(NIR[:-1])
    assert exc.value.code == "nir_length"
    assert "15 caractères" in exc.value.messages[0]


def test_a_corsican_nir_is_accepted_r_id_2() -> None:
    assert validate_nir(nir("253072B073004")) == nir("253072B073004")


@given(
    body=st.text(alphabet="0123456789", min_size=13, max_size=13), key=st.integers(min_value=0, max_value=99)
)
def test_any_13_digit_body_validates_with_its_computed_key_and_only_with_it_r_id_2(
    body: str, key: int
) -> None:
    computed = stdnum_nir.calc_check_digits(body)
    assert validate_nir(body + computed) == body + computed
    if f"{key:02d}" != computed:
        with pytest.raises(ValidationError):
            validate_nir(f"{body}{key:02d}")


# --- RPPS / FINESS (Luhn) ----------------------------------------------------------------------


def test_an_rpps_with_a_valid_luhn_key_is_accepted() -> None:
    rpps = "1000000001" + luhn.calc_check_digit("1000000001")
    assert validate_rpps(rpps) == rpps


def test_an_rpps_with_a_wrong_luhn_key_is_refused() -> None:
    good = luhn.calc_check_digit("1000000001")
    with pytest.raises(ValidationError) as exc:
        validate_rpps("1000000001" + str((int(good) + 1) % 10))
    assert exc.value.code == "rpps_checksum"


def test_an_rpps_of_ten_digits_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        validate_rpps("1000000001")
    assert exc.value.code == "rpps_length"
    assert "11 chiffres" in exc.value.messages[0]


def test_a_finess_with_a_valid_luhn_key_is_accepted() -> None:
    finess = "75000001" + luhn.calc_check_digit("75000001")
    assert validate_finess(finess) == finess


def test_a_finess_with_a_wrong_luhn_key_is_refused() -> None:
    good = luhn.calc_check_digit("75000001")
    with pytest.raises(ValidationError) as exc:
        validate_finess("75000001" + str((int(good) + 3) % 10))
    assert exc.value.code == "finess_checksum"


# --- carte Vitale serial (R-LC-10) ---------------------------------------------------------------


def test_vitale_serial_of_a_card_with_photo_is_eleven_digits_r_lc_10() -> None:
    assert validate_vitale_serial("12345678901", NIR) == "12345678901"


def test_vitale_serial_printed_with_its_8025000002_prefix_keeps_the_last_eleven_digits_r_lc_10() -> None:
    assert validate_vitale_serial("8025000002 12345678901", NIR) == "12345678901"


@pytest.mark.parametrize("serial", ["12345679", "1234567890", "1234567890123"])
def test_vitale_serial_of_a_card_without_photo_is_8_to_13_digits_r_lc_10(serial: str) -> None:
    assert validate_vitale_serial(serial, NIR) == serial


def test_vitale_serial_with_letters_is_refused_r_lc_10() -> None:
    with pytest.raises(ValidationError) as exc:
        validate_vitale_serial("1234A678901", NIR)
    assert exc.value.code == "vitale_digits"


@pytest.mark.parametrize("serial", ["1234567", "12345678901234"])
def test_vitale_serial_of_the_wrong_length_is_refused_r_lc_10(serial: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_vitale_serial(serial, NIR)
    assert exc.value.code == "vitale_length"


def test_vitale_serial_that_looks_like_a_ddmmyyyy_date_is_refused_r_lc_10() -> None:
    with pytest.raises(ValidationError) as exc:
        validate_vitale_serial("17051980", NIR)
    assert exc.value.code == "vitale_date"


def test_vitale_serial_of_eight_digits_that_is_not_a_date_is_accepted_r_lc_10() -> None:
    assert validate_vitale_serial("31021980", NIR) == "31021980"  # 31 February does not exist


def test_vitale_serial_contained_in_the_nir_is_refused_r_lc_10() -> None:
    with pytest.raises(ValidationError) as exc:
        validate_vitale_serial(NIR[2:12], NIR)
    assert exc.value.code == "vitale_in_nir"


def test_the_technical_regime_number_is_refused_as_a_vitale_serial_r_lc_10() -> None:
    with pytest.raises(ValidationError) as exc:
        validate_vitale_serial("80250000025", NIR)
    assert exc.value.code == "vitale_technical"


# --- phone ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("07.98.76.54.32", "+33798765432"),
        ("+33 6 12 34 56 78", "+33612345678"),
    ],
)
def test_french_mobile_numbers_are_accepted_in_e164(raw: str, expected: str) -> None:
    assert validate_mobile_phone(raw) == expected


@pytest.mark.parametrize("raw", ["01 23 45 67 89", "+44 7700 900123", "06 12 34", "0612345678x"])
def test_non_mobile_or_foreign_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError):
        validate_mobile_phone(raw)
