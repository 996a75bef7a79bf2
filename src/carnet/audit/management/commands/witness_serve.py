"""``carnet witness-serve --host 127.0.0.1 --port N --data DIR``: run the reference witness.

A separate process with its own Ed25519 key and its own append-only storage (``carnet.audit.witness``);
in production it runs at another organisation, which is what makes its cosignatures worth having.
It trusts the log key given with ``--log-public-key`` (default: this installation's own log key).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from carnet.audit.witness import serve


class Command(BaseCommand):
    help = "Témoin de référence du journal / reference witness of the transparency log."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--data", required=True, help="the witness's own directory")
        parser.add_argument("--name", default="carnet-reference-witness")
        parser.add_argument("--log-public-key", default=None, help="the log's public key (base64)")

    def handle(self, *args: Any, **options: Any) -> None:
        key = options["log_public_key"]
        if not key:
            from carnet.audit.services import public_key_b64

            key = public_key_b64()
        serve(
            host=options["host"],
            port=options["port"],
            data=Path(options["data"]),
            log_public_key=key,
            name=options["name"],
            out=self.stdout.write,
        )
