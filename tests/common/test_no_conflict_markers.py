"""No merge leftovers in the tree: a stray ``=======`` in a stylesheet silently dropped the header's rules once."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"^(<{7} |={7}$|>{7} |\|{7} )", re.MULTILINE)
TEXT = (".py", ".html", ".css", ".js", ".md", ".toml", ".po", ".json", ".txt", ".cfg", ".sql", ".sh")


def test_no_file_holds_a_merge_conflict_marker() -> None:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert listed, "git ls-files listed nothing"
    found = []
    for name in listed:
        path = ROOT / name
        if name.endswith(TEXT) and path.is_file() and "vendor" not in path.parts:
            text = path.read_text(encoding="utf-8", errors="replace")
            found += [f"{name}: {m.group(0)!r}" for m in MARKER.finditer(text)]
    assert not found, found
