"""FHIR code systems of the NOS value sets (``data/codes/*.csv``): OIDs become URIs (LOINC and HL7 keep
their canonical URLs, French terminologies are ``urn:oid:...`` as in the ANS PDSm guide)."""

from __future__ import annotations

import csv
from functools import lru_cache

from carnet.records.codes import CODES_DIR

LOINC = "http://loinc.org"
HL7_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
_CANONICAL = {"2.16.840.1.113883.6.1": LOINC, "2.16.840.1.113883.5.25": HL7_CONFIDENTIALITY}
J07 = "JDV_J07_XdsTypeCode_CISIS.csv"
J57 = "JDV_J57_ClassCode_DMP.csv"
J08 = "JDV_J08_XdsConfidentialityCode_CISIS.csv"
J04 = "JDV_J04_XdsPracticeSettingCode_CISIS.csv"
J02 = "JDV_J02_XdsHealthcareFacilityTypeCode_CISIS.csv"
J01 = "JDV_J01_XdsAuthorSpecialty_CISIS.csv"
# Patient identifiers (INS): matricule NIR / NIA and their test OIDs.
INS_SYSTEMS = {
    "urn:oid:1.2.250.1.213.1.4.8",
    "urn:oid:1.2.250.1.213.1.4.9",
    "urn:oid:1.2.250.1.213.1.4.10",
    "urn:oid:1.2.250.1.213.1.4.11",
}
RPPS_SYSTEM = "urn:oid:1.2.250.1.71.4.2.1"  # IdNat_PS: "8" + RPPS
FINESS_SYSTEM = "urn:oid:1.2.250.1.71.4.2.2"  # IdNat_Struct: "1" + FINESS


def system_uri(oid: str) -> str:
    oid = oid.strip()
    if oid.startswith(("http://", "https://", "urn:")):
        return oid
    return _CANONICAL.get(oid, f"urn:oid:{oid}")


@lru_cache(maxsize=16)
def value_set(filename: str) -> dict[str, tuple[str, str]]:
    """``{code: (system URI, display)}``."""
    with (CODES_DIR / filename).open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return {row["code"]: (system_uri(row["codeSystem"]), row["displayName"]) for row in rows}


def coding(filename: str, code: str) -> dict[str, str]:
    system, display = value_set(filename).get(code, ("", ""))
    out = {"code": code}
    if system:
        out = {"system": system, "code": code, "display": display}
    return out


def concept(filename: str, code: str) -> dict[str, list[dict[str, str]]] | None:
    return {"coding": [coding(filename, code)]} if code else None


def same_system(given: str | None, expected: str) -> bool:
    """A coding's system matches the value set's (an absent system is accepted: the code decides)."""
    if not given:
        return True
    aliases = {expected}
    for oid, uri in _CANONICAL.items():
        if uri == expected:
            aliases.add(f"urn:oid:{oid}")
    return given in aliases
