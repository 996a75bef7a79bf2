"""``carnet verify-erasure-certificate FILE --public-key B64``: verify an erasure certificate offline.

No database access: the verification lives in ``carnet.spaces.certificate`` (json, base64, cryptography
only), which also runs without Django: ``python -m carnet.spaces.certificate FILE --public-key B64``.
Exit codes: 0 valid, 1 not valid (altered, or signed by another key), 2 unreadable file or key.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from carnet.spaces.certificate import run


class Command(BaseCommand):
    help = (
        "Vérifie hors ligne un certificat d'effacement / verify an erasure certificate offline "
        "(the e-mail saved as a file, or the certificate's JSON)."
    )
    requires_system_checks: list[str] = []  # no database, no checks: the file and the key alone
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the certificate: the e-mail saved as text, or its JSON")
        parser.add_argument(
            "--public-key",
            required=True,
            help="Carnet's Ed25519 public key (base64), obtained from the operator: never the file's",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        code = run(options["file"], options["public_key"], self.stdout.write)
        if code:
            raise SystemExit(code)
