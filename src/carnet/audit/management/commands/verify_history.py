"""``carnet verify-history FILE [--public-key B64]``: verify a downloaded history offline.

No database access: the verification lives in ``carnet.audit.verify`` (hashlib, json, cryptography only),
which can also run without Django: ``python -m carnet.audit.verify FILE``.
Exit codes: 0 verified, 1 problems found (each printed with its seq), 2 unreadable file.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from carnet.audit.verify import run


class Command(BaseCommand):
    help = "Vérifie hors ligne un historique téléchargé / verify a downloaded history offline."
    requires_system_checks: list[str] = []  # no database, no checks: the file alone
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the downloaded history (.json)")
        parser.add_argument(
            "--public-key",
            default=None,
            help="trusted Ed25519 public key (base64), e.g. the one the operator publishes; "
            "default: the key embedded in the file",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        code = run(options["file"], options["public_key"], self.stdout.write)
        if code:
            raise SystemExit(code)
