"""A tiny reader for GNU gettext ``.po`` files (no third-party dependency), enough for the catalogue checks."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$')


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    line: int = 0

    @property
    def translations(self) -> list[str]:
        if self.msgid_plural is None:
            return [self.msgstr]
        return [self.msgstr_plural[k] for k in sorted(self.msgstr_plural)]


def parse(path: Path) -> list[Entry]:
    """Return every entry of the catalogue except the header (``msgid ""``). Obsolete (``#~``) entries are flagged."""
    entries: list[Entry] = []
    current = Entry()
    key: str | None = None
    started = False

    def flush() -> None:
        nonlocal current, key, started
        if started:
            entries.append(current)
        current, key, started = Entry(), None, False

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#~"):
            current.obsolete = True
            line = line[2:].strip()
            if not line:
                continue
        elif not line:
            flush()
            continue
        elif line.startswith("#"):
            if key is not None and key != "comments":
                flush()
            if line.startswith("#,"):
                current.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            key = "comments" if key is None else key
            continue
        match = _KEYWORD.match(line)
        if match:
            if match.group(1) == "msgid" and started and key not in (None, "comments", "msgctxt"):
                flush()
            key, index, value = match.group(1), match.group(2), ast.literal_eval(match.group(3))
            if not started:
                current.line, started = number, True
            if index is not None:
                current.msgstr_plural[int(index)] = value
            else:
                setattr(current, key, value)
        elif line.startswith('"') and key is not None and key != "comments":
            value = ast.literal_eval(line)
            if key.startswith("msgstr["):
                index = int(key[7:-1])
                current.msgstr_plural[index] += value
            else:
                setattr(current, key, getattr(current, key) + value)
        else:
            raise ValueError(f"{path}:{number}: unparsable line {raw!r}")
    flush()
    return [entry for entry in entries if entry.msgid or entry.msgctxt]
