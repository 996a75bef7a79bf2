"""``carnet import-persons FILE [--report PATH] [--inform] [--quiet]``: import an insurance extract."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.utils.translation import gettext as _

from carnet.identity.importers import ImportResult, import_persons

from ._import_base import ImportCommand


class Command(ImportCommand):
    help = "Import insured persons (INS) from a CSV extract of the insurance register, in one transaction."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--inform",
            action="store_true",
            help="after the import, inform each new person (space, provisional code, letter: R-LC-1..4)",
        )

    def run_import(self, options: dict[str, Any]) -> ImportResult:
        return import_persons(
            options["file"],
            report_path=options["report"],
            inform=options["inform"],
            progress=not options["quiet"],
        )

    def summary(self, result: ImportResult) -> str:
        text = super().summary(result)
        if result.informed:
            text += "\n" + _("%(count)s personne(s) informée(s).") % {"count": result.informed}
        return text
