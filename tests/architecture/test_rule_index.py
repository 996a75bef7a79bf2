"""docs/rules.md, the SPEC rule index that docs/architecture.md points newcomers to, matches the code."""

from __future__ import annotations

from .rule_index import INDEX, render, rule_ids


def test_the_rule_index_is_current() -> None:
    assert INDEX.read_text(encoding="utf-8") == render(), (
        "docs/rules.md is stale: run `python -m tests.architecture.rule_index --write` and commit it"
    )


def test_shorthand_citations_name_every_rule() -> None:
    assert rule_ids("R-AC-11/12/16, R-LC-1..4 and R-MASK-6 (not R-X or SPEC §2)") == {
        "R-AC-11",
        "R-AC-12",
        "R-AC-16",
        "R-LC-1",
        "R-LC-2",
        "R-LC-3",
        "R-LC-4",
        "R-MASK-6",
    }
