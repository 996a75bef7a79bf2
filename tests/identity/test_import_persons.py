"""``import_persons`` / ``carnet import-persons``: streamed, idempotent, all-or-nothing (R-ID-1..4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from carnet.audit.models import Trace
from carnet.identity import services
from carnet.identity.importers import import_persons, mask_identifier
from carnet.identity.models import Person
from carnet.spaces import services as space_services

from .conftest import nir, person_row, read_report, write_persons

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "carnet" / "identity" / "samples" / "persons.csv"


def test_the_sample_file_imports_without_rejects(tmp_path: Path) -> None:
    result = import_persons(SAMPLE, report_path=tmp_path / "rejects.csv")
    assert (result.created, result.rejected) == (5, 0)
    child = Person.objects.get(first_names="Léa Jeanne")
    assert child.insured_under is not None and child.insured_under.birth_name == "MARTIN"


def test_import_counts_created_updated_unchanged_and_rejected_rows(tmp_path: Path) -> None:
    import_persons(write_persons(tmp_path / "first.csv", [person_row(0), person_row(1)]))
    rows = [
        person_row(0),  # unchanged
        person_row(1, email="autre@example.org"),  # updated
        person_row(2),  # created
        person_row(3, sex="M"),  # rejected: contradicts the NIR
    ]
    result = import_persons(write_persons(tmp_path / "second.csv", rows))
    assert (result.created, result.updated, result.unchanged, result.rejected) == (1, 1, 1, 1)
    assert Person.objects.get(ins_matricule=person_row(1)["ins_matricule"]).email == "autre@example.org"


def test_each_created_or_updated_person_is_traced_once(tmp_path: Path) -> None:
    import_persons(write_persons(tmp_path / "a.csv", [person_row(0), person_row(1)]))
    import_persons(write_persons(tmp_path / "b.csv", [person_row(0), person_row(1, phone="0700000000")]))
    actions = sorted(Trace.objects.values_list("action", flat=True))
    assert actions == ["PERSON_REGISTERED", "PERSON_REGISTERED", "PERSON_UPDATED"]


def test_re_importing_the_same_file_creates_nothing(tmp_path: Path) -> None:
    path = write_persons(
        tmp_path / "persons.csv", [person_row(i) for i in range(5)] + [person_row(9, sex="X")]
    )
    import_persons(path)
    traces = Trace.objects.count()
    again = import_persons(path)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 5, 1)
    assert (Person.objects.count(), Trace.objects.count()) == (5, traces)


def test_a_duplicate_matricule_in_the_same_file_is_rejected_with_the_first_line(tmp_path: Path) -> None:
    rows = [person_row(0), person_row(1), person_row(0, email="doublon@example.org")]
    result = import_persons(write_persons(tmp_path / "persons.csv", rows), report_path=tmp_path / "r.csv")
    assert (result.created, result.rejected) == (2, 1)
    [reject] = read_report(tmp_path / "r.csv")
    assert (reject["line"], reject["field"]) == ("4", "ins_matricule")
    assert "ligne 2" in reject["reason"]
    assert Person.objects.get(ins_matricule=person_row(0)["ins_matricule"]).email == "usager0@example.org"


def test_a_duplicate_across_batches_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("carnet.identity.importers.BATCH_SIZE", 2)
    rows = [person_row(0), person_row(1), person_row(2), person_row(0)]
    result = import_persons(write_persons(tmp_path / "persons.csv", rows))
    assert (result.created, result.rejected) == (3, 1)


def test_the_rejects_report_gives_line_field_and_reason_with_a_masked_identifier(tmp_path: Path) -> None:
    bad = person_row(0, email="pas-une-adresse", birth_place_cog="7")
    import_persons(
        write_persons(tmp_path / "persons.csv", [person_row(1), bad]), report_path=tmp_path / "r.csv"
    )
    report = read_report(tmp_path / "r.csv")
    assert {(r["line"], r["field"]) for r in report} == {("3", "email"), ("3", "birth_place_cog")}
    assert all(r["identifier"] == bad["ins_matricule"][:7] + "********" for r in report)
    assert all(r["reason"] for r in report)


def test_the_rejects_report_never_contains_a_full_nir(tmp_path: Path) -> None:
    rows = [
        person_row(0, sex="M"),
        person_row(1, insured_under=nir("1700575056001")),  # unknown parent
        person_row(2, ins_matricule=person_row(2)["ins_matricule"][:13] + "00"),  # wrong key
        person_row(3, vitale_serial=person_row(3)["ins_matricule"][2:13]),
        person_row(3),
    ]
    import_persons(write_persons(tmp_path / "persons.csv", rows), report_path=tmp_path / "r.csv")
    text = (tmp_path / "r.csv").read_text(encoding="utf-8")
    assert len(read_report(tmp_path / "r.csv")) >= 4
    for row in rows:
        for value in (row["ins_matricule"], row["insured_under"]):
            if value:
                assert value not in text
                assert value[:13] not in text


def test_the_report_goes_next_to_the_file_by_default(tmp_path: Path) -> None:
    result = import_persons(write_persons(tmp_path / "persons.csv", [person_row(0)]))
    assert result.report_path == tmp_path / "persons.csv.rejects.csv"
    assert read_report(tmp_path / "persons.csv.rejects.csv") == []


def test_mask_identifier_keeps_seven_characters() -> None:
    assert mask_identifier("280057505601206") == "2800575********"


def test_a_child_listed_before_his_parent_is_imported_r_id_4(tmp_path: Path) -> None:
    parent = person_row(0)
    child = person_row(
        1, birth_date="2015-05-09", ins_matricule=nir("2150575056101"), insured_under=parent["ins_matricule"]
    )
    result = import_persons(write_persons(tmp_path / "persons.csv", [child, parent]))
    assert (result.created, result.rejected) == (2, 0)
    assert (
        Person.objects.get(ins_matricule=child["ins_matricule"]).insured_under.ins_matricule
        == parent["ins_matricule"]
    )  # type: ignore[union-attr]


def test_a_child_whose_parent_is_nowhere_is_rejected_r_id_4(tmp_path: Path) -> None:
    child = person_row(1, insured_under=nir("1700575056001"))
    result = import_persons(write_persons(tmp_path / "persons.csv", [child]), report_path=tmp_path / "r.csv")
    assert (result.created, result.rejected) == (0, 1)
    assert read_report(tmp_path / "r.csv")[0]["field"] == "insured_under"


def test_a_semicolon_separated_file_with_a_bom_is_accepted(tmp_path: Path) -> None:
    row = person_row(0)
    path = tmp_path / "persons.csv"
    path.write_text("\ufeff" + ";".join(row) + "\n" + ";".join(row.values()) + "\n", encoding="utf-8")
    assert import_persons(path).created == 1


def test_a_file_without_a_required_column_is_refused_before_writing(tmp_path: Path) -> None:
    path = tmp_path / "persons.csv"
    path.write_text("ins_matricule,birth_name\n280057505601206,MARTIN\n", encoding="utf-8")
    with pytest.raises(CommandError, match="ins_oid"):
        call_command("import_persons", str(path), "--quiet")
    assert Person.objects.count() == 0


def _crash_on_call(monkeypatch: pytest.MonkeyPatch, n: int, error: BaseException) -> None:
    real = services.person_clean
    calls = {"n": 0}

    def flaky(**kwargs: Any) -> services.PersonData:
        calls["n"] += 1
        if calls["n"] == n:
            raise error
        return real(**kwargs)

    monkeypatch.setattr(services, "person_clean", flaky)


def test_a_crash_mid_import_leaves_no_person_no_trace_and_no_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_persons(tmp_path / "persons.csv", [person_row(i) for i in range(1500)])
    _crash_on_call(monkeypatch, 1200, RuntimeError("disk on fire"))  # the first batch of 1000 was written
    with pytest.raises(RuntimeError):
        import_persons(path, report_path=tmp_path / "r.csv")
    assert (Person.objects.count(), Trace.objects.count()) == (0, 0)
    assert not (tmp_path / "r.csv").exists()


def test_an_interrupted_command_exits_non_zero_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_persons(tmp_path / "persons.csv", [person_row(i) for i in range(1100)])
    _crash_on_call(monkeypatch, 1050, KeyboardInterrupt())
    with pytest.raises(CommandError) as exc:
        call_command("import_persons", str(path), "--quiet")
    assert exc.value.returncode == 130
    assert (Person.objects.count(), Trace.objects.count()) == (0, 0)


def test_a_crashing_command_does_not_print_row_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = person_row(0)
    path = write_persons(tmp_path / "persons.csv", [row])
    _crash_on_call(monkeypatch, 1, ValueError(row["ins_matricule"]))
    with pytest.raises(CommandError) as exc:
        call_command("import_persons", str(path), "--quiet")
    assert row["ins_matricule"] not in str(exc.value) and exc.value.returncode == 1


def test_the_command_prints_the_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_persons(tmp_path / "persons.csv", [person_row(0), person_row(1, sex="X")])
    call_command("import_persons", str(path), "--quiet", "--report", str(tmp_path / "r.csv"))
    out = capsys.readouterr().out
    assert "1 créé(s)" in out and "1 rejeté(s)" in out and str(tmp_path / "r.csv") in out


def test_the_command_informs_the_new_persons_when_asked_r_lc_1(tmp_path: Path, capsys: Any) -> None:
    """``carnet import-persons --inform`` hands the lifecycle's ``space_inform`` to the importer."""
    from carnet.spaces.models import HealthSpace

    path = write_persons(tmp_path / "persons.csv", [person_row(0)])
    call_command("import_persons", str(path), "--quiet", "--report", str(tmp_path / "r.csv"), "--inform")
    assert "1 personne(s) informée(s)" in capsys.readouterr().out
    assert HealthSpace.objects.get().person.ins_matricule == person_row(0)["ins_matricule"]


def test_inform_opens_the_information_window_of_new_persons_only_r_lc_1(tmp_path: Path) -> None:
    from carnet.spaces.models import HealthSpace

    import_persons(write_persons(tmp_path / "a.csv", [person_row(0)]))
    result = import_persons(
        write_persons(tmp_path / "b.csv", [person_row(0), person_row(1)]), inform=space_services.space_inform
    )
    assert result.informed == 1
    [space] = HealthSpace.objects.all()
    assert space.person.ins_matricule == person_row(1)["ins_matricule"]


def test_several_batches_of_generated_rows_import_in_one_go(tmp_path: Path) -> None:
    """Streaming over several 1,000-row batches (speed is measured in bench/, never asserted here)."""
    path = write_persons(tmp_path / "big.csv", (person_row(i) for i in range(3_500)))
    result = import_persons(path)
    assert (result.created, result.rejected) == (3_500, 0)
    assert Person.objects.count() == 3_500
