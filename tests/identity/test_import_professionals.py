"""``import_professionals`` / ``carnet import-professionals``: one row per practice place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from stdnum import luhn

from carnet.identity.importers import import_professionals
from carnet.identity.models import Organisation, PracticePlace, Professional

from .conftest import read_report, write_professionals

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "carnet" / "identity" / "samples" / "professionals.csv"
RPPS = "1000000001" + luhn.calc_check_digit("1000000001")
FINESS = "75000001" + luhn.calc_check_digit("75000001")


def _row(**overrides: str) -> dict[str, str]:
    row = {
        "rpps": RPPS,
        "last_name": "DURAND",
        "first_name": "Anne",
        "profession_code": "G15_10",
        "specialty_code": "SM26",
        "email": "anne@example.org",
        "phone": "01 23 45 67 89",
        "finess": "",
        "organisation_name": "",
        "facility_type_code": "",
        "place_name": "Cabinet Durand",
        "address": "1 rue de la Paix",
        "city": "Paris",
    }
    row.update(overrides)
    return row


def _hospital(**overrides: str) -> dict[str, str]:
    values = {
        "finess": FINESS,
        "organisation_name": "CHU",
        "facility_type_code": "SA01",
        "place_name": "",
        "address": "",
    }
    return _row(**(values | overrides))


def test_the_sample_file_imports_without_rejects(tmp_path: Path) -> None:
    result = import_professionals(SAMPLE, report_path=tmp_path / "r.csv")
    assert (result.rejected, Professional.objects.count(), PracticePlace.objects.count()) == (0, 3, 4)


def test_a_professional_with_two_places_gets_both(tmp_path: Path) -> None:
    result = import_professionals(write_professionals(tmp_path / "p.csv", [_row(), _hospital()]))
    assert (result.created, result.updated) == (1, 1)
    pro = Professional.objects.get(rpps=RPPS)
    assert sorted(pro.practice_places.values_list("name", flat=True)) == ["CHU", "Cabinet Durand"]
    assert Organisation.objects.get(finess=FINESS).facility_type_code == "SA01"


def test_re_importing_the_directory_changes_nothing(tmp_path: Path) -> None:
    path = write_professionals(tmp_path / "p.csv", [_row(), _hospital()])
    import_professionals(path)
    again = import_professionals(path)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 2, 0)


def test_an_unknown_profession_code_is_rejected(tmp_path: Path) -> None:
    import_professionals(
        write_professionals(tmp_path / "p.csv", [_row(profession_code="G15_99")]),
        report_path=tmp_path / "r.csv",
    )
    [reject] = read_report(tmp_path / "r.csv")
    assert (reject["line"], reject["field"], reject["identifier"]) == ("2", "profession_code", RPPS)


def test_a_specialty_of_another_profession_is_rejected(tmp_path: Path) -> None:
    path = write_professionals(
        tmp_path / "p.csv", [_row(profession_code="G15_40", specialty_code="G15_10/SM26")]
    )
    result = import_professionals(path, report_path=tmp_path / "r.csv")
    assert result.rejected == 1 and read_report(tmp_path / "r.csv")[0]["field"] == "specialty_code"


def test_the_same_professional_and_place_twice_is_rejected_as_a_duplicate(tmp_path: Path) -> None:
    path = write_professionals(tmp_path / "p.csv", [_row(), _row()])
    result = import_professionals(path, report_path=tmp_path / "r.csv")
    assert (result.created, result.rejected) == (1, 1)
    assert "ligne 2" in read_report(tmp_path / "r.csv")[0]["reason"]


def test_a_row_contradicting_an_earlier_row_of_the_same_rpps_is_rejected(tmp_path: Path) -> None:
    path = write_professionals(tmp_path / "p.csv", [_row(), _hospital(last_name="DUPONT")])
    result = import_professionals(path, report_path=tmp_path / "r.csv")
    assert (result.created, result.rejected) == (1, 1)
    assert Professional.objects.get(rpps=RPPS).last_name == "DURAND"


def test_a_wrong_finess_key_is_rejected(tmp_path: Path) -> None:
    bad = FINESS[:-1] + str((int(FINESS[-1]) + 1) % 10)
    result = import_professionals(
        write_professionals(tmp_path / "p.csv", [_hospital(finess=bad)]), report_path=tmp_path / "r.csv"
    )
    assert result.rejected == 1 and read_report(tmp_path / "r.csv")[0]["field"] == "finess"


def test_the_command_imports_and_reports(tmp_path: Path, capsys: Any) -> None:
    call_command("import_professionals", str(write_professionals(tmp_path / "p.csv", [_row()])), "--quiet")
    assert "1 créé(s)" in capsys.readouterr().out
    assert (tmp_path / "p.csv.rejects.csv").exists()
