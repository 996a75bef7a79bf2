"""``carnet create-staff --role operator|professional --username NAME [--rpps RPPS]``

Creates a professional or operator account. The password is read from the environment variable
``CARNET_NEW_PASSWORD`` (for scripts) or prompted twice (never an argument: it would end up in the
shell history and the process list). The second factor (TOTP) is enrolled at the first login.
"""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carnet.accounts.models import Role
from carnet.accounts.services import staff_create
from carnet.common.errors import DomainError


class Command(BaseCommand):
    help = "Create a professional or operator account (password from CARNET_NEW_PASSWORD or prompted)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", required=True, choices=["operator", "professional"])
        parser.add_argument("--username", required=True)
        parser.add_argument("--rpps", default="", help="RPPS number of the professional (directory entry)")

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("CARNET_NEW_PASSWORD")
        if not password:
            password = getpass.getpass("Mot de passe : ")
            if password != getpass.getpass("Mot de passe (confirmation) : "):
                raise CommandError("Les deux mots de passe saisis ne sont pas identiques.")
        role = Role.OPERATOR if options["role"] == "operator" else Role.PROFESSIONAL
        try:
            user = staff_create(
                role=role, username=options["username"], password=password, rpps=options["rpps"]
            )
        except DomainError as exc:
            field = f" ({exc.field})" if exc.field else ""
            raise CommandError(f"{exc.message}{field}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Compte {user.get_role_display().lower()} « {user.username} » créé. "
                "L'application d'authentification sera configurée à la première connexion."
            )
        )
