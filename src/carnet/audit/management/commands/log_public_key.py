"""``carnet log-public-key``: print the transparency log's Ed25519 public key (base64), to publish.

Patients and auditors verify downloaded histories with this key obtained out of band (the verifier
page shows it too, with its fingerprint); ``--with-id`` also prints its key id.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from carnet.audit.services import public_key_b64, signing_key_id


class Command(BaseCommand):
    help = "Affiche la clé publique du journal / print the log's public key (base64)."
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--with-id", action="store_true", help="also print the key id")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(public_key_b64())
        if options["with_id"]:
            self.stdout.write(f"key_id {signing_key_id()}")
