"""``carnet verify-history NEW.json [--since OLD.json] --public-key B64 | --public-key-file F``.

No database access: the verification lives in ``carnet.audit.verify`` (hashlib, json, cryptography only),
which also runs without Django: ``python -m carnet.audit.verify NEW.json ...``. A trusted key is required
(the key inside the file proves nothing): ``carnet log-public-key`` prints the operator's, which is also
shown on the verifier page. Exit codes: 0 verified, 1 problems found (the first changed entry named),
2 unreadable file or no trusted key.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from carnet.audit.verify import run


class Command(BaseCommand):
    help = "Vérifie hors ligne un historique téléchargé / verify a downloaded history offline."
    requires_system_checks: list[str] = []  # no database, no checks: the files and the key alone
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the downloaded history (.json)")
        parser.add_argument("--since", default=None, help="an older download of the same history")
        parser.add_argument("--public-key", default=None, help="Carnet's log public key (base64)")
        parser.add_argument("--public-key-file", default=None, help="a file holding that key")

    def handle(self, *args: Any, **options: Any) -> None:
        code = run(
            options["file"],
            since=options["since"],
            public_key=options["public_key"],
            public_key_file=options["public_key_file"],
            write=self.stdout.write,
        )
        if code:
            raise SystemExit(code)
