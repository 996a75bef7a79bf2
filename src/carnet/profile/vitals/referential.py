"""The rules of this app as versioned data (ARCHITECTURE invariant 7), loaded once per process.

* ``data/measures.json``: the 16 measure codes of SPEC §4 (label, UCUM unit, observation code, plausible
  bounds, decimals). ``measure(code)`` / ``measures()``.
* ``data/vaccines.json``: the diseases vaccines target, a referential of common French vaccines with their
  targets and ATC code, and the general 2025 calendar (used later by the agenda issue).

Loading validates the files (unknown keys, bad bounds, unknown targets raise ``ReferentialError``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import get_language

DATA_DIR = Path(__file__).resolve().parent.parent.parent / "data"
MEASURES_FILE = DATA_DIR / "measures.json"
VACCINES_FILE = DATA_DIR / "vaccines.json"


class ReferentialError(ValueError):
    """A data file of this app is malformed (raised at load, names the file and the entry)."""


def _english() -> bool:
    return (get_language() or "fr").startswith("en")


@dataclass(frozen=True)
class Bounds:
    minimum: Decimal
    maximum: Decimal

    def __contains__(self, value: object) -> bool:
        return isinstance(value, Decimal) and self.minimum <= value <= self.maximum


@dataclass(frozen=True)
class SecondValue:
    """The diastolic part of BLOOD_PRESSURE."""

    label_fr: str
    label_en: str
    observation_code: str
    bounds: Bounds

    @property
    def label(self) -> str:
        return self.label_en if _english() else self.label_fr


@dataclass(frozen=True)
class MeasureDef:
    code: str
    label_fr: str
    label_en: str
    unit: str  # UCUM
    unit_label: str  # shown to people
    system: str
    observation_code: str
    bounds: Bounds
    decimals: int
    value_label_fr: str = ""
    value_label_en: str = ""
    value_observation_code: str = ""
    second: SecondValue | None = None

    @property
    def label(self) -> str:
        return self.label_en if _english() else self.label_fr

    @property
    def value_label(self) -> str:
        chosen = self.value_label_en if _english() else self.value_label_fr
        return chosen or self.label

    @property
    def is_pair(self) -> bool:
        return self.second is not None

    @property
    def step(self) -> str:
        """The HTML ``step`` of an input for this measure (``0.001`` for 3 decimals)."""
        return "1" if self.decimals == 0 else "0." + "0" * (self.decimals - 1) + "1"


@dataclass(frozen=True)
class Disease:
    code: str
    label_fr: str
    label_en: str

    @property
    def label(self) -> str:
        return self.label_en if _english() else self.label_fr


@dataclass(frozen=True)
class VaccineDef:
    code: str
    name_fr: str
    name_en: str
    atc: str
    targets: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.name_en if _english() else self.name_fr


def _bounds(raw: dict[str, Any], where: str) -> Bounds:
    try:
        bounds = Bounds(Decimal(str(raw["min"])), Decimal(str(raw["max"])))
    except Exception as error:
        raise ReferentialError(f"{where}: bad min/max ({error})") from None
    if bounds.minimum >= bounds.maximum:
        raise ReferentialError(f"{where}: min must be lower than max")
    return bounds


@cache
def measures() -> dict[str, MeasureDef]:
    """The measure definitions by code, in the file's order."""
    raw = json.loads(MEASURES_FILE.read_text(encoding="utf-8"))
    if raw.get("format") != "carnet-measures/1":
        raise ReferentialError(f"{MEASURES_FILE.name}: unknown format")
    found: dict[str, MeasureDef] = {}
    for entry in raw["measures"]:
        code = entry["code"]
        where = f"{MEASURES_FILE.name}:{code}"
        if code in found:
            raise ReferentialError(f"{where}: duplicate code")
        second = None
        if "second" in entry:
            s = entry["second"]
            second = SecondValue(s["label_fr"], s["label_en"], s["observation_code"], _bounds(s, where))
        decimals = int(entry["decimals"])
        if not 0 <= decimals <= 3:
            raise ReferentialError(f"{where}: decimals must be 0 to 3")
        found[code] = MeasureDef(
            code=code,
            label_fr=entry["label_fr"],
            label_en=entry["label_en"],
            unit=entry["unit"],
            unit_label=entry["unit_label"],
            system=entry["system"],
            observation_code=entry["observation_code"],
            bounds=_bounds(entry, where),
            decimals=decimals,
            value_label_fr=entry.get("value_label_fr", ""),
            value_label_en=entry.get("value_label_en", ""),
            value_observation_code=entry.get("value_observation_code", ""),
            second=second,
        )
    return found


def measure(code: str) -> MeasureDef | None:
    return measures().get(code)


def measures_meta() -> dict[str, str]:
    raw = json.loads(MEASURES_FILE.read_text(encoding="utf-8"))
    return {"version": raw["version"], "effective_date": raw["effective_date"]}


@cache
def _vaccines_raw() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(VACCINES_FILE.read_text(encoding="utf-8"))
    if raw.get("format") != "carnet-vaccines/1":
        raise ReferentialError(f"{VACCINES_FILE.name}: unknown format")
    diseases = {d["code"] for d in raw["diseases"]}
    codes: set[str] = set()
    for vaccine in raw["vaccines"]:
        where = f"{VACCINES_FILE.name}:{vaccine['code']}"
        if vaccine["code"] in codes:
            raise ReferentialError(f"{where}: duplicate code")
        codes.add(vaccine["code"])
        unknown = set(vaccine["targets"]) - diseases
        if unknown or not vaccine["targets"]:
            raise ReferentialError(f"{where}: unknown or missing targets {sorted(unknown)}")
    for row in raw.get("calendar", []):
        if row["vaccine"] not in codes:
            raise ReferentialError(f"{VACCINES_FILE.name}: calendar names unknown vaccine {row['vaccine']}")
    return raw


def diseases() -> dict[str, Disease]:
    return {d["code"]: Disease(d["code"], d["label_fr"], d["label_en"]) for d in _vaccines_raw()["diseases"]}


def vaccines() -> dict[str, VaccineDef]:
    return {
        v["code"]: VaccineDef(v["code"], v["name_fr"], v["name_en"], v["atc"], tuple(v["targets"]))
        for v in _vaccines_raw()["vaccines"]
    }


def vaccine(code: str) -> VaccineDef | None:
    return vaccines().get(code)


def vaccines_meta() -> dict[str, Any]:
    raw = _vaccines_raw()
    return {
        "version": raw["version"],
        "effective_date": date.fromisoformat(raw["effective_date"]),
        "source": raw["source"],
    }


def calendar() -> list[dict[str, Any]]:
    """The general 2025 schedule rows (for the agenda issue; not interpreted here)."""
    return list(_vaccines_raw().get("calendar", []))
