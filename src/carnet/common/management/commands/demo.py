"""``carnet demo``: migrate, load the demo population once, print the logins, then serve."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from carnet.common import demo


class Command(BaseCommand):
    help = "Load the demo population (idempotent), print the demo logins and serve on 127.0.0.1:8000."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="load and print, then exit")
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        if not demo.already_loaded():
            self.stdout.write("Loading the demo population…")
            demo.load()
        codes = demo.fresh_codes()
        call_command("run_deadlines", verbosity=0)
        self._print(codes, options["addrport"])
        if not options["no_serve"]:
            call_command("serve", options["addrport"])

    def _print(self, codes: list[dict[str, str]], addrport: str) -> None:
        w = self.stdout.write
        url = f"http://{addrport}"
        w("")
        w("=" * 78)
        w(f"Carnet demo — {url}   (data in {settings.DATA_DIR})")
        w("=" * 78)
        w(f"Every account's password: {demo.DEMO_PASSWORD}")
        w(f"One-time login codes (patients) and TOTP codes (staff) are shown on {url}/demo/outbox/")
        w("")
        w("Patients (login: identifiant + password + one-time code by e-mail):")
        w(
            "  claire.martin   adult, legal representative of Lucas (12); 3 documents, one masked, one invisible"
        )
        w(
            "                  to her for a month; Dr Durand is her médecin traitant, Dr Leroy (dentist) has consent"
        )
        w("  hugo.martin     adult, second legal representative of Lucas")
        w("  jean.dubois     79 years old, helped by Léa (caregiver)")
        w("  lea.petit       caregiver of Jean")
        w("Professionals (login + password + TOTP):")
        for s in demo.STAFF:
            if s.role == "PROFESSIONAL":
                w(f"  {s.username:<15} {s.first_name} {s.last_name} ({s.profession}) RPPS {s.rpps}")
        w("Operator (back-office, no medical content):")
        w("  operateur.demo")
        w("")
        for row in codes:
            what = "Activate at /activation/" if row["purpose"] == "activation" else "Object at /opposition/"
            w(f"{what}: {row['name']}")
            w(
                f"  code {row['code']}  NIR {row['nir']}  carte Vitale {row['vitale']}  born {row['birth_date']}"
            )
        w("=" * 78)
