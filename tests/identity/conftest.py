"""Helpers for the identity tests: CSV writers with valid identifiers."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path

from stdnum.fr import nir as stdnum_nir

from carnet.identity.importers import PERSON_COLUMNS, PROFESSIONAL_COLUMNS
from carnet.identity.validators import OID_INS_NIR_TEST


def nir(body: str) -> str:
    """A NIR (or NIA) with its correct key for a 13-character body."""
    return body + stdnum_nir.calc_check_digits(body)


def person_row(index: int = 0, **overrides: str) -> dict[str, str]:
    """A valid register row: a woman born 17/05/1980 in Paris, unique per ``index`` (< 999 000)."""
    row = {
        "ins_matricule": nir(f"28005{75000 + index // 999:05d}{index % 999 + 1:03d}"),
        "ins_oid": OID_INS_NIR_TEST,
        "birth_name": "MARTIN",
        "first_names": "Claire Marie",
        "birth_date": "1980-05-17",
        "sex": "F",
        "birth_place_cog": "75056",
        "email": f"usager{index}@example.org",
        "phone": "0612345678",
        "vitale_serial": "",
        "insured_under": "",
    }
    row.update(overrides)
    return row


def write_csv(path: Path, columns: Iterable[str], rows: Iterable[Mapping[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_persons(path: Path, rows: Iterable[Mapping[str, str]]) -> Path:
    return write_csv(path, PERSON_COLUMNS, rows)


def write_professionals(path: Path, rows: Iterable[Mapping[str, str]]) -> Path:
    return write_csv(path, PROFESSIONAL_COLUMNS, rows)


def read_report(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
