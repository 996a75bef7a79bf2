"""Build ``data_strings.py``: the texts of the data files that people read, as gettext message ids.

The data files keep the labels the national code lists publish (French) and the prevention rules' French texts;
pages translate them at display time (``gettext(label)``). ``makemessages`` only finds strings written in
Python or templates, so this module writes them all into ``data_strings.py`` as ``gettext_noop`` calls, with
the file and code each one comes from. Run it after changing a data file, then update the catalogue
(docs/subsystems/i18n.md)::

    .venv/bin/python -m carnet.data.build_strings

``tests/i18n/test_data_strings.py`` fails when ``data_strings.py`` is not what this module would write.

What is collected (what a page shows):

* ``codes/JDV_J01_XdsAuthorSpecialty_CISIS.csv``: the professions (G15 codes without a specialty);
* ``codes/JDV_J07_XdsTypeCode_CISIS.csv``: every document type;
* ``prevention/rules.json``: the sources, the vaccination "why" texts, each rule's label and "why" text.

The vaccines and the measures (``vaccines.json``, ``measures.json``) carry their English labels themselves.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
OUTPUT = DATA_DIR / "data_strings.py"
LINE_LENGTH = 110  # pyproject.toml [tool.ruff]

HEADER = '''"""The texts of the data files that pages show, as message ids for the catalogue (GENERATED: do not edit).

Written by ``python -m carnet.data.build_strings`` from the files named in the comments; pages translate these
labels with ``gettext`` when they show them. Never imported: ``makemessages`` reads it.
"""

from django.utils.translation import gettext_noop as _

STRINGS = (
'''


def _csv(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / "codes" / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def collect() -> list[tuple[str, str]]:
    """``(text, where)`` pairs, in file order, each text once (its first place)."""
    found: list[tuple[str, str]] = []
    for row in _csv("JDV_J01_XdsAuthorSpecialty_CISIS.csv"):
        if row["code"].startswith("G15_") and "/" not in row["code"]:
            found.append((row["displayName"], f"JDV_J01 {row['code']}"))
    for row in _csv("JDV_J07_XdsTypeCode_CISIS.csv"):
        found.append((row["displayName"], f"JDV_J07 {row['code']}"))
    rules = json.loads((DATA_DIR / "prevention" / "rules.json").read_text(encoding="utf-8"))
    for kind, source in rules["sources"].items():
        found.append((source, f"prevention/rules.json sources {kind}"))
    for key in ("why_fr", "why_mandatory_fr"):
        found.append((rules["vaccination"][key], f"prevention/rules.json vaccination {key}"))
    for rule in rules["rules"]:
        found.append((rule["label_fr"], f"prevention/rules.json {rule['code']} label_fr"))
        if rule.get("why_fr"):
            found.append((rule["why_fr"], f"prevention/rules.json {rule['code']} why_fr"))
    seen: set[str] = set()
    unique = []
    for text, where in found:
        if text and text not in seen:
            seen.add(text)
            unique.append((text, where))
    return unique


def render() -> str:
    lines = [HEADER]
    for text, where in collect():
        literal = json.dumps(text, ensure_ascii=False)
        if len(literal) + 7 <= LINE_LENGTH:
            lines.append(f"    # {where}\n    _({literal}),\n")
        else:  # as ``ruff format`` writes a call too long for one line
            lines.append(f"    # {where}\n    _(\n        {literal}\n    ),\n")
    lines.append(")\n")
    return "".join(lines)


def main() -> None:
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"{OUTPUT}: {len(collect())} strings")


if __name__ == "__main__":
    main()
