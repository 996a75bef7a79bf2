"""``carnet import-professionals FILE [--report PATH] [--quiet]``: import a health directory extract."""

from __future__ import annotations

from typing import Any

from carnet.identity.importers import ImportResult, import_professionals

from ._import_base import ImportCommand


class Command(ImportCommand):
    help = (
        "Import health professionals (RPPS), establishments (FINESS) and practice places from a CSV extract."
    )

    def run_import(self, options: dict[str, Any]) -> ImportResult:
        return import_professionals(
            options["file"], report_path=options["report"], progress=not options["quiet"]
        )
