"""``carnet create-api-client --finess FINESS --name NAME [--scopes "documents"]``

Registers the software of an establishment (known in the directory by its FINESS) as an OAuth2 client
(RFC 6749 §4.4) and prints its client id and secret ONCE: only a keyed hash of the secret is stored.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carnet.api.services import SCOPE_DOCUMENTS, api_client_create
from carnet.common.errors import DomainError
from carnet.identity.models import Organisation


class Command(BaseCommand):
    help = "Create an OAuth2 client (client credentials) for an establishment; prints the secret once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--finess", required=True, help="FINESS of the establishment (directory entry)")
        parser.add_argument("--name", required=True, help="name of the software")
        parser.add_argument(
            "--scopes", default=SCOPE_DOCUMENTS, help="space-separated scopes (default: documents)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(finess=options["finess"].strip()).first()
        if organisation is None:
            raise CommandError("Aucun établissement avec ce FINESS dans l'annuaire.")
        try:
            client, secret = api_client_create(
                organisation=organisation, name=options["name"], scopes=options["scopes"]
            )
        except DomainError as exc:
            raise CommandError(f"{exc.message} ({exc.field})") from exc
        self.stdout.write(f"client_id: {client.client_id}")
        self.stdout.write(f"client_secret: {secret}")
        self.stdout.write(
            self.style.WARNING("Conservez ce secret maintenant : il ne sera plus jamais affiché.")
        )
