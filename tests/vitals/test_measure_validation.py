"""Measurements (SPEC §4 ``MeasureCode``): plausible ranges read from data/measures.json, messages that
name the measure, the unit and the range (French, and English through gettext), decimals, the
blood-pressure pair, the BMI, dates, and nothing half-written on bad input (invariant 9)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from carnet.audit.models import Trace
from carnet.common.errors import DomainError
from carnet.profile.vitals import referential, services
from carnet.profile.vitals.models import Measurement
from tests.vitals.conftest import Vitals

pytestmark = pytest.mark.django_db

WHEN = datetime(2025, 12, 1, 8, 0, tzinfo=UTC)
SPEC_CODES = {
    "WEIGHT",
    "HEIGHT",
    "WAIST_CIRCUMFERENCE",
    "BODY_TEMPERATURE",
    "GLUCOSE",
    "SYSTOLIC_BLOOD_PRESSURE",
    "DIASTOLIC_BLOOD_PRESSURE",
    "BLOOD_PRESSURE",
    "BODY_MASS_INDEX",
    "PAIN_SEVERITY",
    "HEART_RATE",
    "HEAD_CIRCUMFERENCE",
    "STEPS_BY_DAY",
    "INTERSTITIAL_GLUCOSE",
    "GLYCATED_HEMOGLOBIN",
    "HEMOGLOBIN_GLYCATION_INDEX",
}
DEFINITIONS = list(referential.measures().values())


def _epsilon(definition: referential.MeasureDef) -> Decimal:
    return Decimal(1).scaleb(-definition.decimals)


def _pair(definition: referential.MeasureDef, value: Decimal) -> dict[str, Decimal]:
    """A valid diastolic for a blood-pressure pair (below the systolic, within its own range)."""
    if definition.second is None:
        return {}
    return {
        "second_value": definition.second.bounds.minimum
        if value > definition.second.bounds.minimum
        else value
    }


def test_the_data_file_lists_exactly_the_sixteen_measure_codes_of_the_spec() -> None:
    """SPEC §4: the 16 MeasureCode values, each with a unit, an observation code and a range."""
    assert set(referential.measures()) == SPEC_CODES
    raw = json.loads(referential.MEASURES_FILE.read_text(encoding="utf-8"))
    assert raw["version"] and raw["effective_date"]
    for definition in DEFINITIONS:
        assert definition.unit and definition.observation_code
        assert definition.bounds.minimum < definition.bounds.maximum


@pytest.mark.parametrize("definition", DEFINITIONS, ids=lambda d: d.code)
def test_a_value_just_below_the_plausible_minimum_is_refused(
    vitals: Vitals, definition: referential.MeasureDef
) -> None:
    value = definition.bounds.minimum - _epsilon(definition)
    with pytest.raises(DomainError) as refused:
        vitals.add_measure(definition.code, value, WHEN, **_pair(definition, definition.bounds.minimum))
    assert refused.value.field == "value"
    assert refused.value.code == "out_of_range"
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("definition", DEFINITIONS, ids=lambda d: d.code)
def test_a_value_just_above_the_plausible_maximum_is_refused(
    vitals: Vitals, definition: referential.MeasureDef
) -> None:
    value = definition.bounds.maximum + _epsilon(definition)
    with pytest.raises(DomainError) as refused:
        vitals.add_measure(definition.code, value, WHEN, **_pair(definition, definition.bounds.maximum))
    assert (refused.value.field, refused.value.code) == ("value", "out_of_range")
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("definition", DEFINITIONS, ids=lambda d: d.code)
def test_a_value_in_the_middle_of_the_range_is_recorded_with_the_unit_of_the_data_file(
    vitals: Vitals, definition: referential.MeasureDef
) -> None:
    middle = ((definition.bounds.minimum + definition.bounds.maximum) / 2).quantize(_epsilon(definition))
    measurement = vitals.add_measure(definition.code, middle, WHEN, **_pair(definition, middle))
    assert measurement.value == middle
    assert measurement.unit == definition.unit


@pytest.mark.parametrize("definition", DEFINITIONS, ids=lambda d: d.code)
def test_the_exact_bounds_are_accepted(vitals: Vitals, definition: referential.MeasureDef) -> None:
    check = services.check_measure_value
    assert check(definition, definition.bounds.minimum) == definition.bounds.minimum
    assert check(definition, definition.bounds.maximum) == definition.bounds.maximum


def test_the_out_of_range_message_names_the_measure_the_unit_and_the_range_in_french(vitals: Vitals) -> None:
    with pytest.raises(DomainError) as refused:
        vitals.add_measure("BODY_TEMPERATURE", "47", WHEN)
    message = str(refused.value.message)
    assert message == (
        "Température corporelle : la valeur 47 °C est hors des limites plausibles (de 30 à 45 °C)."
    )


def test_the_out_of_range_message_is_in_english_for_an_english_session(vitals: Vitals) -> None:
    """The message is gettext-wrapped; the measure's label and the decimal separator follow the language."""
    with translation.override("en"), pytest.raises(DomainError) as refused:
        vitals.add_measure("WEIGHT", "0.1", WHEN)
    message = str(refused.value.message)
    assert message.startswith("Weight")
    assert "kg" in message and "0.3" in message and "400" in message


def test_french_messages_use_the_decimal_comma(vitals: Vitals) -> None:
    with pytest.raises(DomainError) as refused:
        vitals.add_measure("WEIGHT", "0,2", WHEN)
    assert "0,2 kg" in str(refused.value.message) and "de 0,3 à 400 kg" in str(refused.value.message)


def test_more_decimals_than_the_data_file_allows_are_refused_not_rounded(vitals: Vitals) -> None:
    with pytest.raises(DomainError) as refused:
        vitals.add_measure("HEART_RATE", "72.5", WHEN)
    assert (refused.value.field, refused.value.code) == ("value", "too_precise")
    assert "nombre entier" in str(refused.value.message)


def test_trailing_zeros_do_not_count_as_decimals(vitals: Vitals) -> None:
    assert vitals.add_measure("HEART_RATE", "72.00", WHEN).value == Decimal("72")


def test_text_that_is_not_a_number_is_refused_naming_the_field(vitals: Vitals) -> None:
    with pytest.raises(DomainError) as refused:
        vitals.add_measure("WEIGHT", "soixante", WHEN)
    assert refused.value.field == "value"
    assert "Poids" in str(refused.value.message)


def test_an_unknown_measure_code_is_refused(vitals: Vitals) -> None:
    with pytest.raises(DomainError) as refused:
        vitals.add_measure("CHOLESTEROL", "2", WHEN)
    assert refused.value.field == "code"


# --- blood pressure (a pair) -------------------------------------------------------------------------


def test_a_blood_pressure_pair_keeps_systolic_and_diastolic(vitals: Vitals) -> None:
    measurement = vitals.add_measure("BLOOD_PRESSURE", "128", WHEN, second_value="82")
    assert (measurement.value, measurement.second_value) == (Decimal("128"), Decimal("82"))


def test_a_diastolic_pressure_not_below_the_systolic_is_refused(vitals: Vitals) -> None:
    with pytest.raises(DomainError) as refused:
        vitals.add_measure("BLOOD_PRESSURE", "80", WHEN, second_value="90")
    assert refused.value.field == "second_value"
    assert "inférieure à la pression systolique" in str(refused.value.message)
    assert not Measurement.objects.exists()


def test_a_blood_pressure_without_its_diastolic_value_is_refused(vitals: Vitals) -> None:
    with pytest.raises(DomainError) as refused:
        vitals.add_measure("BLOOD_PRESSURE", "120", WHEN)
    assert (refused.value.field, refused.value.code) == ("second_value", "required")


def test_a_diastolic_value_outside_its_own_range_is_refused_with_its_range(vitals: Vitals) -> None:
    with pytest.raises(DomainError) as refused:
        vitals.add_measure("BLOOD_PRESSURE", "120", WHEN, second_value="10")
    assert refused.value.field == "second_value"
    assert "Diastolique" in str(refused.value.message) and "de 20 à 200 mmHg" in str(refused.value.message)


def test_a_second_value_on_a_single_value_measure_is_refused(vitals: Vitals) -> None:
    with pytest.raises(DomainError) as refused:
        vitals.add_measure("WEIGHT", "70", WHEN, second_value="3")
    assert refused.value.field == "second_value"


# --- body mass index ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weight", "height", "bmi"),
    [("70", "175", "22.9"), ("95.5", "180", "29.5"), ("3.3", "50", "13.2"), ("120", "160", "46.9")],
)
def test_bmi_is_weight_over_height_in_metres_squared_rounded_to_one_decimal(
    weight: str, height: str, bmi: str
) -> None:
    assert services.bmi_compute(weight_kg=Decimal(weight), height_cm=Decimal(height)) == Decimal(bmi)


def test_a_bmi_without_value_is_computed_from_the_latest_weight_and_height(vitals: Vitals) -> None:
    vitals.add_measure("HEIGHT", "175", WHEN - timedelta(days=400))
    vitals.add_measure("WEIGHT", "80", WHEN - timedelta(days=30))
    vitals.add_measure("WEIGHT", "70", WHEN - timedelta(days=1))
    bmi = vitals.add_measure("BODY_MASS_INDEX", None, WHEN)
    assert bmi.value == Decimal("22.9")
    assert bmi.computed is True


def test_a_bmi_cannot_be_computed_without_a_height(vitals: Vitals) -> None:
    vitals.add_measure("WEIGHT", "70", WHEN - timedelta(days=1))
    with pytest.raises(DomainError) as refused:
        vitals.add_measure("BODY_MASS_INDEX", "", WHEN)
    assert (refused.value.field, refused.value.code) == ("value", "required")
    assert Measurement.objects.filter(code="BODY_MASS_INDEX").count() == 0


def test_an_entered_bmi_is_kept_as_entered(vitals: Vitals) -> None:
    bmi = vitals.add_measure("BODY_MASS_INDEX", "24.1", WHEN)
    assert (bmi.value, bmi.computed) == (Decimal("24.1"), False)


# --- dates and traces --------------------------------------------------------------------------------


def test_a_measure_in_the_future_is_refused(vitals: Vitals, clock) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as refused:
        vitals.add_measure("WEIGHT", "70", clock.now() + timedelta(hours=1))
    assert refused.value.field == "measured_at"


def test_a_measure_before_the_holders_birth_is_refused(vitals: Vitals) -> None:
    with pytest.raises(DomainError) as refused:
        vitals.add_measure("WEIGHT", "70", datetime(1970, 1, 1, tzinfo=UTC))
    assert refused.value.field == "measured_at"


def test_a_recorded_measure_is_traced_without_its_value(vitals: Vitals) -> None:
    """Invariant 2; traces never hold health data."""
    measurement = vitals.add_measure("GLUCOSE", "105", WHEN)
    trace = Trace.objects.get(action="MEASUREMENT_CREATE", object_id=str(measurement.public_id))
    assert trace.patient_id == vitals.patient.pk and trace.outcome == "ALLOW"
    assert "105" not in json.dumps(trace.details) and "GLUCOSE" not in json.dumps(trace.details)


def test_a_refused_measure_leaves_neither_row_nor_success_trace(vitals: Vitals) -> None:
    """Invariant 9."""
    with pytest.raises(DomainError):
        vitals.add_measure("HEART_RATE", "900", WHEN)
    assert not Measurement.objects.exists()
    assert not Trace.objects.filter(action="MEASUREMENT_CREATE", outcome="ALLOW").exists()


def test_the_holder_deletes_a_measure_and_the_deletion_is_traced(vitals: Vitals) -> None:
    measurement = vitals.add_measure("WEIGHT", "70", WHEN)
    services.measurement_delete(
        actor=vitals.holder, patient_id=vitals.patient.pk, measurement_public_id=measurement.public_id
    )
    assert not Measurement.objects.exists()
    assert Trace.objects.filter(action="MEASUREMENT_DELETE", object_id=str(measurement.public_id)).exists()
