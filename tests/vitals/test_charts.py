"""Server-side SVG charts (no JavaScript): well-formed XML, ``role="img"`` with a ``<title>`` and a
``<desc>``, one point per measure (two series for blood pressure), and the data table that follows."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carnet.profile.vitals import charts
from tests.vitals.conftest import Vitals

SVG = "{http://www.w3.org/2000/svg}"
START = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


def _svg(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def _chart_in(body: str, chart_id: str) -> str:
    found = re.search(rf'<svg [^>]*id="{chart_id}".*?</svg>', body, re.S)
    assert found, f"no chart {chart_id} on the page"
    return found.group(0)


def _points(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter() if e.get("class") == "point"]


def _chart(values: list[float], **kwargs: object) -> str:
    series = charts.Series("Poids", [(START + timedelta(days=7 * i), v) for i, v in enumerate(values)])
    return charts.line_chart_svg(
        chart_id="chart-weight",
        title="Évolution : Poids (kg)",
        description="3 mesures",
        series=[series],
        x_axis=charts.Axis("Date", charts.date_tick_formatter(timedelta(days=30))),
        y_axis=charts.Axis("Poids (kg)"),
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_chart_is_well_formed_svg_with_an_accessible_name_and_description() -> None:
    root = _svg(_chart([70.0, 69.5, 69.1]))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-weight-title chart-weight-desc"
    assert root.find(f"{SVG}title").text == "Évolution : Poids (kg)"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "3 mesures"  # type: ignore[union-attr]


def test_a_chart_has_one_point_per_value_each_with_its_own_title() -> None:
    root = _svg(_chart([70.0, 69.5, 69.1, 68.0]))
    points = _points(root)
    assert len(points) == 4
    assert all(p.find(f"{SVG}title") is not None for p in points)


def test_the_axes_carry_the_unit_and_ticks() -> None:
    root = _svg(_chart([70.0, 80.0]))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Poids (kg)" in texts and "Date" in texts
    assert sum(1 for t in texts if t and t[0].isdigit()) >= 4  # tick labels


def test_a_single_value_still_draws_one_point() -> None:
    assert len(_points(_svg(_chart([70.0])))) == 1


def test_two_series_use_two_marker_shapes_and_a_legend() -> None:
    systolic = charts.Series("Systolique", [(START, 120.0), (START + timedelta(days=1), 130.0)])
    diastolic = charts.Series("Diastolique", [(START, 80.0), (START + timedelta(days=1), 85.0)])
    root = _svg(
        charts.line_chart_svg(
            chart_id="bp",
            title="Pression artérielle",
            description="2 mesures",
            series=[systolic, diastolic],
            x_axis=charts.Axis("Date", charts.date_tick_formatter(timedelta(days=1))),
            y_axis=charts.Axis("Pression (mmHg)"),
        )
    )
    shapes = [p.tag for p in _points(root)]
    assert shapes.count(f"{SVG}circle") == 2 and shapes.count(f"{SVG}rect") == 2
    assert any(e.get("class") == "legend" for e in root.iter())


def test_text_in_a_chart_is_escaped() -> None:
    series = charts.Series("<script>", [(START, 1.0)], labels=["<b>&"])
    markup = charts.line_chart_svg(
        chart_id="x",
        title="a < b & c",
        description="d",
        series=[series],
        x_axis=charts.Axis("Date", charts.date_tick_formatter(timedelta(days=1))),
        y_axis=charts.Axis("v"),
    )
    assert "<script>" not in markup
    assert _svg(markup).find(f"{SVG}title").text == "a < b & c"  # type: ignore[union-attr]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0.1, max_value=1e5, allow_nan=False), min_size=1, max_size=40))
def test_any_series_gives_well_formed_svg_with_one_point_per_value(values: list[float]) -> None:
    assert len(_points(_svg(_chart(values)))) == len(values)


@pytest.mark.parametrize(("low", "high"), [(0, 10), (3.2, 4.4), (50, 300), (0, 100000), (36.1, 36.1)])
def test_nice_ticks_cover_the_range_with_round_steps(low: float, high: float) -> None:
    ticks = charts.nice_ticks(low, high)
    assert ticks[0] <= low and ticks[-1] >= high
    assert 2 <= len(ticks) <= 12


# --- on the page -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_measures_page_shows_one_chart_per_code_with_one_point_per_measure_and_a_data_table(
    vitals: Vitals, clock
) -> None:  # type: ignore[no-untyped-def]
    for days, weight in ((60, "71.2"), (30, "70.4"), (2, "69.9")):
        vitals.add_measure("WEIGHT", weight, clock.now() - timedelta(days=days))
    vitals.add_measure("BLOOD_PRESSURE", "128", clock.now() - timedelta(days=1), second_value="82")
    body = vitals.patient_client().get("/espace/profil/mesures/").content.decode()
    weight_root = _svg(_chart_in(body, "chart-weight"))
    assert weight_root.get("role") == "img"
    assert len(_points(weight_root)) == 3
    assert len(_points(_svg(_chart_in(body, "chart-blood_pressure")))) == 2  # systolic and diastolic
    assert 'class="measure-data" data-code="WEIGHT"' in body
    assert "<td>69,9 kg" in body and "128/82 mmHg" in body


@pytest.mark.django_db
def test_the_period_filter_leaves_out_older_measures(vitals: Vitals, clock) -> None:  # type: ignore[no-untyped-def]
    vitals.add_measure("WEIGHT", "75", clock.now() - timedelta(days=200))
    vitals.add_measure("WEIGHT", "70", clock.now() - timedelta(days=10))
    client = vitals.patient_client()
    recent = client.get("/espace/profil/mesures/?periode=3m").content.decode()
    everything = client.get("/espace/profil/mesures/?periode=tout").content.decode()
    assert recent.count('class="point"') == 1
    assert everything.count('class="point"') == 2
