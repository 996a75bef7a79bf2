"""``carnet import-persons FILE [--report PATH] [--inform] [--quiet]``: import an insurance extract.

The import is identity's (``identity.importers``); ``--inform`` opens each new person's information window,
which is the space lifecycle's (``spaces.services.space_inform``): the command lives with the highest of
the two, and hands the one to the other."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.utils.translation import gettext as _

from carnet.identity.importers import ImportResult, import_persons
from carnet.identity.management.commands._import_base import ImportCommand
from carnet.spaces.services import space_inform


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
            inform=space_inform if options["inform"] else None,
            progress=not options["quiet"],
        )

    def summary(self, result: ImportResult) -> str:
        text = super().summary(result)
        if result.informed:
            text += "\n" + _("%(count)s personne(s) informée(s).") % {"count": result.informed}
        return text
