"""``carnet verify-log``: the server's own check of the whole transparency log (``checks.log_verify``).

Recomputes every leaf hash from the stored content, checks every signed entry timestamp, rebuilds the
tree, checks every stored signed head and every stored hash, and compares with the witnesses. The result
is recorded (``LogCheck``); the output names the first changed entry by leaf index, date and action only.
Exit codes: 0 intact, 1 problems found.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from carnet.audit.checks import log_check_record, log_verify


class Command(BaseCommand):
    help = "Vérifie tout le journal des traces / check the whole transparency log."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-witness", action="store_true", help="do not ask the witnesses")
        parser.add_argument("--no-record", action="store_true", help="do not record the result")

    def handle(self, *args: Any, **options: Any) -> None:
        witness = not options["no_witness"]
        report = log_verify(witness=witness)
        for line in report.lines():
            self.stdout.write(line)
        if not options["no_record"]:
            log_check_record(witness=witness)
        if not report.ok:
            raise SystemExit(1)
