"""The prevention rules are data (invariant 7): versioned, dated, with their public sources (R-AG-3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carnet.agenda.prevention import rules

RAW = json.loads(rules.RULES_FILE.read_text(encoding="utf-8"))


def test_the_rule_file_is_versioned_with_an_effective_date_r_ag_3() -> None:
    loaded = rules.ruleset()
    assert loaded.version == RAW["version"]
    assert loaded.effective_date.isoformat() == RAW["effective_date"]


@pytest.mark.parametrize(
    ("kind", "cited"),
    [
        ("VACCINATION", "Calendrier des vaccinations"),
        ("CHILD_EXAM", "R2132-1"),
        ("DENTAL", "M'T dents"),
        ("SCREENING", "INCa"),
        ("CHECKUP", "bilan prévention"),
    ],
)
def test_every_kind_cites_its_public_source_in_the_file_r_ag_3(kind: str, cited: str) -> None:
    assert cited in RAW["sources"][kind]


def test_vaccination_items_come_from_the_vaccines_calendar_not_a_copy_r_ag_3() -> None:
    vaccine_rules = [r for r in rules.ruleset().rules if r.kind == rules.Kind.VACCINATION]
    assert {r.vaccine for r in vaccine_rules} >= {"HEXAVALENT", "ROR", "DTP_ADULT", "INFLUENZA"}
    assert "calendar" not in RAW


def test_a_rule_file_with_duplicate_codes_is_refused(tmp_path: Path) -> None:
    broken = dict(RAW, rules=RAW["rules"] + [RAW["rules"][0]])
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate"):
        rules.load(path)
