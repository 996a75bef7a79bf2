"""The authorisation matrix as versioned data (SPEC §3.3 R-MAT-1..6, ARCHITECTURE invariant 7)."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from carnet.access.facts import DocumentFacts
from carnet.access.matrix import (
    DEFAULT_MATRIX_PATH,
    MatrixError,
    load_matrix,
    load_matrix_file,
    parse_matrix,
    profession_codes,
)
from carnet.access.policy import decide
from tests.access import builders as b

TODAY = date(2026, 1, 5)


def _lookup(profession: str, type_code: str, class_code: str, specialty: str = "") -> bool:
    version = load_matrix().version_at(TODAY)
    assert version is not None
    return version.lookup(profession, specialty, type_code=type_code, class_code=class_code).consult


def _minimal(**version_fields: Any) -> dict[str, Any]:
    version: dict[str, Any] = {
        "version": "v1",
        "effective_date": "2024-01-01",
        "status": "provisional",
        "source": ["SPEC R-MAT-5"],
        "rows": [
            {"profession": "G15_40", "default": True},
            {"profession": "G15_40", "type": "EXPPAT_3", "consult": False},
        ],
    }
    version.update(version_fields)
    return {"format": "carnet-authorisation-matrix/1", "versions": [version]}


# --- the shipped data file --------------------------------------------------------------------------------


def test_shipped_matrix_is_marked_provisional_with_version_date_and_sources() -> None:
    """R-MAT-4/R-MAT-5: the matrix is versioned, flagged provisional until the official annex is imported."""
    raw = json.loads(DEFAULT_MATRIX_PATH.read_text(encoding="utf-8"))
    for version in raw["versions"]:
        assert version["status"] == "provisional"
        assert version["version"] and version["effective_date"] and version["source"]
        assert all(row["provenance"][:2] in ("V ", "I ") for row in version["rows"]), "every row says V or I"
    assert load_matrix().versions[0].is_provisional


def test_medecins_see_every_document_type_except_attestation_de_residence() -> None:
    """R-MAT-3 (information-dentaire): médecins see all types except ATTEST-RESID."""
    assert _lookup("G15_10", "EXPPAT_3", "90")
    assert _lookup("G15_10", "REMB", "60")
    assert _lookup("G15_10", "68599-0", "11", specialty="G15_10/SM42")
    assert not _lookup("G15_10", "ATTEST-RESID", "95")


@pytest.mark.parametrize("type_code", ["80788-3", "75496-0", "83981-1", "83901-9", "68599-0", "EXPPAT_3"])
def test_dentists_are_refused_the_types_the_spec_lists(type_code: str) -> None:
    """R-MAT-3: chirurgiens-dentistes have no access to these types (and Appendix B 5 for EXPPAT_3)."""
    assert not _lookup("G15_40", type_code, "10")


def test_dentists_read_a_biology_report() -> None:
    """R-MAT-5: other health professions see all classes except 60."""
    assert _lookup("G15_40", "11502-2", "10")


def test_podiatrists_are_refused_birth_reports_only() -> None:
    """R-MAT-3 (S-FAS example): pédicures-podologues, no CR d'accouchement."""
    assert not _lookup("G15_80", "15508-5", "10")
    assert _lookup("G15_80", "11488-4", "10")


@pytest.mark.parametrize("profession", sorted(profession_codes() - {"G15_10"}))
def test_non_medecin_professions_are_refused_reimbursement_data(profession: str) -> None:
    """R-MAT-5 [I]: class 60 (données de remboursement) only for médecins."""
    assert not _lookup(profession, "REMB", "60")


def test_an_unknown_profession_or_no_profession_is_refused() -> None:
    """R-MAT-4: roles without a row (social roles, software without profession) are refused."""
    assert not _lookup("G15_99", "11502-2", "10")
    assert not _lookup("", "11502-2", "10")


def test_load_matrix_is_cached() -> None:
    assert load_matrix() is load_matrix()


# --- loader errors -----------------------------------------------------------------------------------------

BAD_ROWS: list[tuple[str, dict[str, Any], str]] = [
    ("unknown profession", {"profession": "G15_999", "default": True}, "unknown profession code 'G15_999'"),
    (
        "unknown type",
        {"profession": "G15_40", "type": "NOPE", "consult": False},
        "unknown document type 'NOPE'",
    ),
    (
        "unknown class",
        {"profession": "G15_40", "class": "77", "consult": False},
        "unknown document class '77'",
    ),
    (
        "type and class",
        {"profession": "G15_40", "type": "REMB", "class": "60", "consult": False},
        "exactly one",
    ),
    ("no consult", {"profession": "G15_40", "type": "REMB"}, "'consult' must be true or false"),
    ("string consult", {"profession": "G15_40", "type": "REMB", "consult": "no"}, "'consult' must be true"),
    ("duplicate cell", {"profession": "G15_40", "type": "EXPPAT_3", "consult": True}, "duplicate cell"),
    ("duplicate default", {"profession": "G15_40", "default": False}, "duplicate default"),
    (
        "wrong specialty",
        {"profession": "G15_40", "specialty": "G15_10/SM26", "default": True},
        "unknown specialty",
    ),
]


@pytest.mark.parametrize(
    ("row", "message"), [(r, m) for _, r, m in BAD_ROWS], ids=[n for n, _, _ in BAD_ROWS]
)
def test_a_bad_row_is_refused_at_load_with_an_error_naming_the_row(row: dict[str, Any], message: str) -> None:
    data = _minimal()
    data["versions"][0]["rows"].append(row)
    with pytest.raises(MatrixError) as excinfo:
        parse_matrix(data)
    assert message in str(excinfo.value)
    assert "version 'v1', row 3" in str(excinfo.value)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status": "draft"}, "'status' must be one of"),
        ({"effective_date": "26/10/2023"}, "'effective_date' must be an ISO date"),
        ({"source": []}, "'source' must name at least one source"),
        ({"rows": []}, "'rows' must be a non-empty list"),
        ({"rows": [{"profession": "G15_40", "type": "REMB", "consult": False}]}, "without a 'default' row"),
    ],
)
def test_a_bad_version_header_is_refused_at_load(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(MatrixError, match=message):
        parse_matrix(_minimal(**fields))


def test_an_unknown_format_is_refused() -> None:
    data = _minimal()
    data["format"] = "something-else"
    with pytest.raises(MatrixError, match="unknown matrix format"):
        parse_matrix(data)


def test_two_versions_with_the_same_effective_date_are_refused() -> None:
    data = _minimal()
    twin = copy.deepcopy(data["versions"][0])
    twin["version"] = "v2"
    data["versions"].append(twin)
    with pytest.raises(MatrixError, match="same effective_date"):
        parse_matrix(data)


def test_a_file_that_is_not_json_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "matrix.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(MatrixError, match=r"matrix\.json: not valid JSON"):
        load_matrix_file(path)


# --- version selection by effective date (R-MAT-4) ---------------------------------------------------------


def _two_versions() -> dict[str, Any]:
    data = _minimal()
    later = copy.deepcopy(data["versions"][0])
    later.update(version="v2", effective_date="2027-01-01")
    later["rows"][1]["consult"] = True  # a later arrêté opens advance directives to dentists
    data["versions"].insert(0, later)  # order in the file does not matter
    return data


def test_the_version_effective_on_a_date_is_the_latest_started_one() -> None:
    matrix = parse_matrix(_two_versions())
    assert matrix.version_at(date(2023, 12, 31)) is None
    first = matrix.version_at(date(2024, 1, 1))
    assert first is not None and first.version == "v1"
    between = matrix.version_at(date(2026, 12, 31))
    assert between is not None and between.version == "v1"
    later = matrix.version_at(date(2027, 1, 1))
    assert later is not None and later.version == "v2"


def test_the_policy_applies_the_matrix_version_in_force_on_the_request_day() -> None:
    """R-MAT-4: a new matrix version changes decisions from its effective date, not before."""
    matrix = parse_matrix(_two_versions())
    directives = DocumentFacts(document_id="da", type_code="EXPPAT_3", class_code="90", patient_uploaded=True)
    patient = b.patient(consents=(b.explicit(b.DENTIST_ID),))
    before = decide(b.dentist(), patient, directives, b.ctx(), matrix=matrix)
    assert (before.allowed, before.rule) == (False, "R-MAT-1")
    after = decide(b.dentist(), patient, directives, b.ctx(now=b.NOW + timedelta(days=400)), matrix=matrix)
    assert after.allowed


def test_the_policy_denies_when_no_matrix_version_is_in_force_yet() -> None:
    """Fail closed: before the first effective date nobody reads by the matrix."""
    matrix = parse_matrix(_two_versions())
    patient = b.patient(consents=(b.explicit(b.DENTIST_ID),))
    old = b.ctx(now=b.NOW.replace(year=2023))
    decision = decide(b.dentist(), patient, b.lab_report(), old, matrix=matrix)
    assert (decision.allowed, decision.rule) == (False, "R-MAT-1")
