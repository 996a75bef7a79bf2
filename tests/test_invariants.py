"""Architecture invariants that can be checked over the source tree itself."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "carnet"


def _python_sources() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if "migrations" not in p.parts and "tests" not in p.parts]


def test_domain_code_reads_time_only_through_the_clock() -> None:
    """Invariant 6: deadlines read one clock that tests move (no direct system time reads)."""
    forbidden = re.compile(r"timezone\.now\(\)|datetime\.now\(|datetime\.utcnow\(|date\.today\(\)")
    offenders = [
        f"{p.relative_to(SRC)}:{n}"
        for p in _python_sources()
        if p.name != "clock.py"
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if forbidden.search(line)
    ]
    assert offenders == []


def test_only_audit_writes_trace_rows() -> None:
    """STYLE: only `audit` writes traces — nobody else creates Trace rows directly."""
    offenders = [
        str(p.relative_to(SRC))
        for p in _python_sources()
        if "audit" not in p.parts
        and re.search(r"Trace\.objects\.(create|bulk_create|update|filter\(.*\)\.update)", p.read_text())
    ]
    assert offenders == []


def test_carnet_command_maps_dashes_to_management_commands(capsys) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from carnet.cli import main

    with pytest.raises(SystemExit):
        main(["run-deadlines", "--help"])
    assert "run_deadlines" in capsys.readouterr().out
