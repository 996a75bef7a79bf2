"""The authorisation matrix ("matrice d'habilitations", SPEC §3.3) as versioned data (invariant 7).

The data file is ``carnet/data/authorisation_matrix.json`` (format described in its ``description`` and in
``docs/subsystems/access.md``). It holds one or more versions, each with an ``effective_date``; the version
applying to a request is the latest one effective on the request's day (Europe/Paris). Every code is
validated against the code lists of ``carnet/data/codes`` at load, and an error names the faulty row.

    matrix = load_matrix()                       # cached
    version = matrix.version_at(date(2026, 1, 5))
    version.lookup("G15_40", "", type_code="EXPPAT_3", class_code="90").consult  # False (R-MAT-3)
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_MATRIX_PATH = DATA_DIR / "authorisation_matrix.json"
CODES_DIR = DATA_DIR / "codes"
FORMAT = "carnet-authorisation-matrix/1"
STATUSES = frozenset({"provisional", "official"})


class MatrixError(ValueError):
    """The matrix file is malformed; the message names the version and row at fault."""


@lru_cache(maxsize=8)
def _code_list(filename: str) -> frozenset[str]:
    with (CODES_DIR / filename).open(encoding="utf-8", newline="") as fh:
        return frozenset(row["code"] for row in csv.DictReader(fh))


def profession_codes() -> frozenset[str]:
    """TRE_G15 profession codes (``G15_10``...) of JDV_J01, without specialties."""
    return frozenset(
        c for c in _code_list("JDV_J01_XdsAuthorSpecialty_CISIS.csv") if c.startswith("G15_") and "/" not in c
    )


def specialty_codes() -> frozenset[str]:
    """J01 specialty codes (``G15_10/SM26``...)."""
    return frozenset(
        c for c in _code_list("JDV_J01_XdsAuthorSpecialty_CISIS.csv") if c.startswith("G15_") and "/" in c
    )


def type_codes() -> frozenset[str]:
    return _code_list("JDV_J07_XdsTypeCode_CISIS.csv")


def class_codes() -> frozenset[str]:
    return _code_list("JDV_J57_ClassCode_DMP.csv")


@dataclass(frozen=True)
class MatrixAnswer:
    """A matrix cell: ``consult`` and a description of the row that answered (for the decision's reason)."""

    consult: bool
    row: str


# Cell keys: (profession, specialty or "", "type" | "class", code)
_CellKey = tuple[str, str, str, str]


@dataclass(frozen=True)
class MatrixVersion:
    version: str
    effective_date: date
    status: str
    source: tuple[str, ...]
    defaults: Mapping[tuple[str, str], bool]  # (profession, specialty or "") -> consult
    cells: Mapping[_CellKey, bool]

    @property
    def is_provisional(self) -> bool:
        return self.status == "provisional"

    def lookup(
        self, profession_code: str, specialty_code: str, *, type_code: str, class_code: str
    ) -> MatrixAnswer:
        """Most specific row first: specialty+type, type, specialty+class, class, specialty default, default.

        A profession without any row (unknown profession, social roles, no profession at all) is refused.
        """
        specialties = [specialty_code, ""] if specialty_code else [""]
        for axis, code in (("type", type_code), ("class", class_code)):
            for spec in specialties:
                key = (profession_code, spec, axis, code)
                if key in self.cells:
                    return MatrixAnswer(
                        self.cells[key], self._describe(profession_code, spec, f"{axis} {code}")
                    )
        for spec in specialties:
            if (profession_code, spec) in self.defaults:
                return MatrixAnswer(
                    self.defaults[(profession_code, spec)], self._describe(profession_code, spec, "default")
                )
        return MatrixAnswer(
            False, f"matrix {self.version}: no row for profession {profession_code or '(none)'}"
        )

    def _describe(self, profession: str, specialty: str, what: str) -> str:
        who = specialty or profession
        return f"matrix {self.version} ({self.status}): {who} × {what}"


@dataclass(frozen=True)
class AuthorisationMatrix:
    """All versions of the matrix, sorted by effective date."""

    versions: tuple[MatrixVersion, ...]

    def version_at(self, day: date) -> MatrixVersion | None:
        """The latest version effective on ``day`` (None before the first one: callers deny)."""
        current: MatrixVersion | None = None
        for version in self.versions:
            if version.effective_date <= day:
                current = version
        return current


def _parse_version(raw: Any, index: int) -> MatrixVersion:
    where = f"version #{index}"
    if not isinstance(raw, Mapping):
        raise MatrixError(f"{where}: must be an object")
    name = raw.get("version")
    if not isinstance(name, str) or not name:
        raise MatrixError(f"{where}: 'version' must be a non-empty string")
    where = f"version {name!r}"
    try:
        effective = date.fromisoformat(str(raw.get("effective_date")))
    except ValueError as exc:
        raise MatrixError(f"{where}: 'effective_date' must be an ISO date (YYYY-MM-DD)") from exc
    status = raw.get("status")
    if status not in STATUSES:
        raise MatrixError(f"{where}: 'status' must be one of {sorted(STATUSES)}")
    source = raw.get("source")
    if isinstance(source, str):
        source = [source]
    if not isinstance(source, list) or not source or not all(isinstance(s, str) for s in source):
        raise MatrixError(f"{where}: 'source' must name at least one source")
    rows = raw.get("rows")
    if not isinstance(rows, list) or not rows:
        raise MatrixError(f"{where}: 'rows' must be a non-empty list")

    professions, specialties = profession_codes(), specialty_codes()
    types, classes = type_codes(), class_codes()
    defaults: dict[tuple[str, str], bool] = {}
    cells: dict[_CellKey, bool] = {}
    for number, row in enumerate(rows, start=1):
        at = f"{where}, row {number}"
        if not isinstance(row, Mapping):
            raise MatrixError(f"{at}: must be an object")
        profession = row.get("profession")
        if profession not in professions:
            raise MatrixError(
                f"{at}: unknown profession code {profession!r} (expected a G15 code of JDV_J01)"
            )
        specialty = row.get("specialty") or ""
        if specialty and (specialty not in specialties or not specialty.startswith(f"{profession}/")):
            raise MatrixError(f"{at}: unknown specialty {specialty!r} for profession {profession}")
        has_type, has_class, has_default = "type" in row, "class" in row, "default" in row
        if has_default:
            if has_type or has_class or "consult" in row:
                raise MatrixError(f"{at}: a 'default' row has no 'type', 'class' or 'consult'")
            if not isinstance(row["default"], bool):
                raise MatrixError(f"{at}: 'default' must be true or false")
            if (profession, specialty) in defaults:
                raise MatrixError(f"{at}: duplicate default for {specialty or profession}")
            defaults[(profession, specialty)] = row["default"]
            continue
        if has_type == has_class:
            raise MatrixError(f"{at}: a row needs exactly one of 'type' or 'class' (or is a 'default' row)")
        consult = row.get("consult")
        if not isinstance(consult, bool):
            raise MatrixError(f"{at}: 'consult' must be true or false")
        axis = "type" if has_type else "class"
        code = str(row[axis])
        if axis == "type" and code not in types:
            raise MatrixError(f"{at}: unknown document type {code!r} (expected a JDV_J07 code)")
        if axis == "class" and code not in classes:
            raise MatrixError(f"{at}: unknown document class {code!r} (expected a JDV_J57 code)")
        key = (str(profession), specialty, axis, code)
        if key in cells:
            raise MatrixError(f"{at}: duplicate cell {specialty or profession} × {axis} {code}")
        cells[key] = consult

    missing = {p for (p, _s, _a, _c) in cells} - {p for (p, s) in defaults if not s}
    if missing:
        raise MatrixError(f"{where}: professions without a 'default' row: {sorted(missing)}")
    return MatrixVersion(
        version=name,
        effective_date=effective,
        status=str(status),
        source=tuple(source),
        defaults=defaults,
        cells=cells,
    )


def parse_matrix(data: Any) -> AuthorisationMatrix:
    """Validate a decoded matrix document and build the lookup tables. Raises ``MatrixError``."""
    if not isinstance(data, Mapping):
        raise MatrixError("the matrix document must be a JSON object")
    if data.get("format") != FORMAT:
        raise MatrixError(f"unknown matrix format {data.get('format')!r} (expected {FORMAT!r})")
    raw_versions = data.get("versions")
    if not isinstance(raw_versions, list) or not raw_versions:
        raise MatrixError("'versions' must be a non-empty list")
    versions = [_parse_version(raw, index) for index, raw in enumerate(raw_versions, start=1)]
    seen: dict[date, str] = {}
    for version in versions:
        if version.effective_date in seen:
            other = seen[version.effective_date]
            raise MatrixError(f"version {version.version!r}: same effective_date as version {other!r}")
        seen[version.effective_date] = version.version
    return AuthorisationMatrix(versions=tuple(sorted(versions, key=lambda v: v.effective_date)))


def load_matrix_file(path: Path) -> AuthorisationMatrix:
    """Read and validate a matrix file (uncached)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise MatrixError(f"{path.name}: not valid JSON (line {exc.lineno})") from exc
    return parse_matrix(data)


@lru_cache(maxsize=4)
def load_matrix(path: Path = DEFAULT_MATRIX_PATH) -> AuthorisationMatrix:
    """The matrix, loaded once per process (call ``load_matrix.cache_clear()`` after editing the file)."""
    return load_matrix_file(path)
