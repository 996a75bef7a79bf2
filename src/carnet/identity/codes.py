"""Code lists loaded from the versioned data files (invariant 7): professions (G15) and specialties.

The labels are French, as the national code lists publish them; ``profession_label`` shows a profession in the
active language (the labels are message ids of the catalogue: ``carnet/data/data_strings.py``)."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from django.utils.translation import gettext

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "codes"


@cache
def code_list(filename: str) -> dict[str, str]:
    with (DATA_DIR / filename).open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["displayName"] for row in csv.DictReader(handle)}


def author_specialties() -> dict[str, str]:
    return code_list("JDV_J01_XdsAuthorSpecialty_CISIS.csv")


def professions() -> dict[str, str]:
    """G15 profession codes (e.g. G15_10 Médecin, G15_40 Chirurgien-dentiste)."""
    return {
        code: label
        for code, label in author_specialties().items()
        if code.startswith("G15_") and "/" not in code
    }


def profession_label(code: str) -> str:
    """The profession's name in the active language ("Médecin", "Doctor"); "" for an unknown code."""
    label = professions().get(code, "")
    return gettext(label) if label else ""


def specialties(profession: str) -> dict[str, str]:
    prefix = profession + "/"
    return {code: label for code, label in author_specialties().items() if code.startswith(prefix)}


def facility_types() -> dict[str, str]:
    return code_list("JDV_J02_XdsHealthcareFacilityTypeCode_CISIS.csv")
