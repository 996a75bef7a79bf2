"""Reading the append-only witness file (``CARNET_AUDIT_WITNESS_FILE``, see ``witnessing``): the heads it
holds. The sequencer's check (``log``) and the witnessing (``witnessing``, which appends) both read it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings


def witness_file() -> Path | None:
    path = str(getattr(settings, "CARNET_AUDIT_WITNESS_FILE", "") or "")
    return Path(path) if path else None


def witness_file_heads() -> list[dict[str, Any]]:
    path = witness_file()
    if path is None or not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def witness_file_latest_size() -> int | None:
    heads = witness_file_heads()
    return int(heads[-1]["size"]) if heads else None
