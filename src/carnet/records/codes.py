"""Code lists of the DMP metadata (SPEC §2.1–2.5) as versioned data (ARCHITECTURE invariant 7).

Everything here is read from ``carnet/data``:

* ``codes/JDV_J*.csv`` — the NOS value sets (J01 author specialty, J02 facility type, J04 practice
  setting, J07 type, J08 confidentiality, J57 class), copied from the ANS releases named in SPEC §0;
* ``dmp_excluded_types.csv`` — J07 types refused by the DMP gateway (R-DOC-1: J66 not retrieved yet, [I]);
* ``type_class.csv`` — the provisional type → class deduction standing in for NOS ASS_X16 ([I]);
* ``patient_categories.csv`` — the patient-facing MES category of a class/type (SPEC §2.5, [I]).

Files are read once per process (``functools.lru_cache``); comment lines start with ``#``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CODES_DIR = DATA_DIR / "codes"

J01 = "JDV_J01_XdsAuthorSpecialty_CISIS.csv"
J02 = "JDV_J02_XdsHealthcareFacilityTypeCode_CISIS.csv"
J04 = "JDV_J04_XdsPracticeSettingCode_CISIS.csv"
J07 = "JDV_J07_XdsTypeCode_CISIS.csv"
J08 = "JDV_J08_XdsConfidentialityCode_CISIS.csv"
J57 = "JDV_J57_ClassCode_DMP.csv"

PATIENT_CLASS = "90"  # R-FMT-4: "Autres documents déposés par le patient"
PATIENT_PRACTICE_SETTING = "EXP_PATIENT"  # R-FMT-4
PATIENT_AUTHOR_SPECIALTY = "EXP_PATIENT"  # J01 non-human author "Expression personnelle du patient"
DEFAULT_CATEGORY = "AUTR_DOC"


class Category(StrEnum):
    """MES patient-facing categories (SPEC §2.5, V-app ``Category`` enum)."""

    SYNTHESE = "SYNTHESE"
    ORD_SOIN = "ORD_SOIN"
    RADIO_SC = "RADIO_SC"
    BIOLOGIE = "BIOLOGIE"
    CPT_REND = "CPT_REND"
    DEPISTAG = "DEPISTAG"
    CERT_MED = "CERT_MED"
    DOC_ADM = "DOC_ADM"
    AUTR_DOC = "AUTR_DOC"
    SYNTH_PML = "SYNTH_PML"
    DIR_ANT = "DIR_ANT"
    CAR_VAC = "CAR_VAC"
    VDP = "VDP"
    REMB = "REMB"
    QUEST_SANTE = "QUEST_SANTE"


# R-FMT-4 [I]: the typeCode a patient upload gets, from the category he picked.
PATIENT_TYPE_BY_CATEGORY: dict[str, str] = {
    Category.SYNTHESE: "DOCPAT01",
    Category.ORD_SOIN: "DOCPAT02",
    Category.CPT_REND: "DOCPAT03",
    Category.RADIO_SC: "DOCPAT04",
    Category.BIOLOGIE: "DOCPAT05",
    Category.DEPISTAG: "DOCPAT06",
    Category.CERT_MED: "DOCPAT07",
    Category.DOC_ADM: "DOCPAT09",
    Category.AUTR_DOC: "EXPPAT_2",  # "Autre document du patient"
}

# Documents the platform makes for the holder from his profile (not offered on the upload page):
# advance directives (EXPPAT_3, also deposited by professionals) and the profile summary (DOCPAT08, R-PML-1).
PROFILE_PATIENT_TYPES: dict[str, str] = {
    Category.DIR_ANT: "EXPPAT_3",
    Category.SYNTH_PML: "DOCPAT08",
}
# Types only the holder's side may carry (professionals depositing them are refused).
PATIENT_ONLY_TYPES = frozenset({*PATIENT_TYPE_BY_CATEGORY.values(), "DOCPAT08"})


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        lines = (line for line in fh if not line.startswith("#"))
        yield from csv.DictReader(lines)


@lru_cache(maxsize=16)
def code_list(filename: str) -> dict[str, str]:
    """``{code: displayName}`` of one NOS value set of ``data/codes``."""
    return {row["code"]: row["displayName"] for row in _rows(CODES_DIR / filename)}


def type_label(type_code: str) -> str:
    """A document type's name in the active language (J07 labels are message ids of the catalogue:
    ``carnet/data/data_strings.py``); the code itself when the list does not know it."""
    label = code_list(J07).get(type_code)
    return gettext(label) if label else type_code


@lru_cache(maxsize=1)
def excluded_type_codes() -> frozenset[str]:
    """J07 types the DMP refuses (R-DOC-1, provisional until J66 is imported)."""
    return frozenset(row["type_code"] for row in _rows(DATA_DIR / "dmp_excluded_types.csv"))


@lru_cache(maxsize=1)
def type_class_map() -> dict[str, str]:
    """Provisional type → class deduction (ASS_X16 stand-in, [I])."""
    mapping = {row["type_code"]: row["class_code"] for row in _rows(DATA_DIR / "type_class.csv")}
    types, classes = code_list(J07), code_list(J57)
    for type_code, class_code in mapping.items():
        if type_code not in types or class_code not in classes:
            raise ValueError(f"type_class.csv: unknown code in row {type_code},{class_code}")
    return mapping


def accepted_type_codes() -> frozenset[str]:
    """R-DOC-1: J07 minus the excluded types (and only types with a known class)."""
    return (frozenset(code_list(J07)) - excluded_type_codes()) & frozenset(type_class_map())


def is_accepted_type(type_code: str) -> bool:
    return type_code in accepted_type_codes()


def class_for_type(type_code: str) -> str | None:
    return type_class_map().get(type_code)


@lru_cache(maxsize=1)
def _categories() -> tuple[dict[str, str], dict[str, str]]:
    by_type: dict[str, str] = {}
    by_class: dict[str, str] = {}
    for row in _rows(DATA_DIR / "patient_categories.csv"):
        category = Category(row["category"]).value
        (by_type if row["axis"] == "type" else by_class)[row["code"]] = category
    return by_type, by_class


def patient_category(*, class_code: str, type_code: str) -> str:
    """SPEC §2.5 [I]: type rule, else class rule, else ``AUTR_DOC``."""
    by_type, by_class = _categories()
    return by_type.get(type_code) or by_class.get(class_code) or DEFAULT_CATEGORY


@dataclass(frozen=True)
class CodeLists:
    """Convenience accessors used by validation."""

    @staticmethod
    def confidentiality() -> dict[str, str]:
        return code_list(J08)

    @staticmethod
    def practice_settings() -> dict[str, str]:
        return code_list(J04)

    @staticmethod
    def facility_types() -> dict[str, str]:
        return code_list(J02)

    @staticmethod
    def author_specialties() -> dict[str, str]:
        return code_list(J01)

    @staticmethod
    def classes() -> dict[str, str]:
        return code_list(J57)

    @staticmethod
    def types() -> dict[str, str]:
        return code_list(J07)
