"""``carnet demo [ADDR:PORT] [--reset [--yes]] [--no-serve]``: the demo, in one command.

Migrate, load the demo population once, print what a newcomer needs to try each journey, then serve
(``carnet serve``) on ``ADDR:PORT`` (default 127.0.0.1:8000). Demo mode only (``CARNET_DEMO=1``, which
``carnet demo`` sets unless the environment says otherwise); a database holding other people than the
demo's is refused.

``--reset`` wipes the demo's database and loads the population again: the embedded SQLite file of the data
directory (with its WAL and journal files), the encrypted blobs and the demo clock; the generated keys
stay. It asks for confirmation (``--yes`` skips it) and refuses when the database is not that embedded
file (PostgreSQL, or a file elsewhere) or holds people who are not the demo's.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connections
from django.utils import timezone

from carnet.common import clock
from carnet.demo import population

CONFIRMATIONS = {"yes", "y", "oui", "o"}


def embedded_database() -> Path:
    """The embedded SQLite file of the data directory (``settings.DATABASES`` default without a URL)."""
    return Path(settings.DATA_DIR).resolve() / "carnet.sqlite3"


def uses_embedded_database() -> bool:
    database = settings.DATABASES["default"]
    if not str(database["ENGINE"]).endswith("sqlite3"):
        return False
    return Path(str(database["NAME"])).resolve() == embedded_database()


class Command(BaseCommand):
    help = (
        "Demo mode: load the demo population (idempotent), print what each journey needs, and serve on "
        "ADDR:PORT (default 127.0.0.1:8000; e.g. `carnet demo 127.0.0.1:8001`). Links in e-mails follow "
        "that address unless CARNET_BASE_URL is set. --reset wipes the demo's database first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "addrport",
            nargs="?",
            default="127.0.0.1:8000",
            help="ADDR:PORT or PORT to serve on (default 127.0.0.1:8000)",
        )
        parser.add_argument("--no-serve", action="store_true", help="load and print, then exit")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="wipe the demo's embedded SQLite database (data directory) and load the demo again",
        )
        parser.add_argument("--yes", action="store_true", help="with --reset: do not ask for confirmation")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.CARNET_DEMO:
            raise CommandError(
                "CARNET_DEMO is off: this installation is not a demo. `carnet demo` turns demo mode on by "
                "itself unless CARNET_DEMO=0 is set; unset it (or set CARNET_DEMO=1) to run the demo."
            )
        if options["reset"]:
            self._reset(confirmed=options["yes"])
        call_command("migrate", interactive=False, verbosity=0)
        if population.holds_other_data():
            raise CommandError(
                "this database holds people who are not the demo's: refusing to load the demo population "
                f"into it. Use another CARNET_DATA_DIR (now {settings.DATA_DIR}) or CARNET_DATABASE_URL."
            )
        if not population.already_loaded():
            self.stdout.write("Loading the demo population…")
            population.load()
        codes = population.fresh_codes()
        call_command("run_deadlines", verbosity=0, stdout=io.StringIO())
        self._print(codes, options["addrport"])
        if not options["no_serve"]:
            call_command("serve", options["addrport"])

    # --- --reset ------------------------------------------------------------------------------------

    def _reset(self, *, confirmed: bool) -> None:
        target = embedded_database()
        if not uses_embedded_database():
            raise CommandError(
                f"--reset only wipes the demo's embedded SQLite database ({target}); this installation "
                "uses another database (CARNET_DATABASE_URL): nothing was erased."
            )
        if target.exists():
            try:
                other = population.holds_other_data()
            except DatabaseError:  # not migrated yet: nothing of value in it
                other = False
            if other:
                raise CommandError(
                    f"{target} holds people who are not the demo's: --reset refuses to erase it."
                )
        if not confirmed and not self._confirm(target):
            raise CommandError("--reset cancelled: nothing was erased.")
        connections.close_all()
        data_dir = Path(settings.DATA_DIR)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.rmtree(data_dir / "blobs", ignore_errors=True)
        clock.demo_offset_store(None)
        self.stdout.write(f"Demo database erased ({target}); loading the demo again.")
        if settings.CARNET_AUDIT_WITNESS_URL or settings.CARNET_AUDIT_WITNESS_FILE:
            self.stderr.write(
                "A witness is configured: it keeps the erased log's heads and will refuse the new log. "
                "Give the demo a new witness (or none)."
            )

    def _confirm(self, target: Path) -> bool:
        self.stdout.write(
            f"--reset erases every account, document, message and trace of the demo in {target} "
            "(and its encrypted files), then loads the demo population again."
        )
        try:
            answer = input("Erase the demo's data? Type 'yes' (or 'oui'): ")
        except EOFError:
            return False
        return answer.strip().lower() in CONFIRMATIONS

    # --- what a newcomer needs ----------------------------------------------------------------------

    def _print(self, codes: list[dict[str, str]], addrport: str) -> None:
        from carnet.cli import base_url_for

        w = self.stdout.write
        url = base_url_for(addrport)
        links = str(settings.CARNET_BASE_URL).rstrip("/")
        w("")
        w("=" * 78)
        w(f"Carnet demo — {url}   (data in {settings.DATA_DIR})")
        w("=" * 78)
        w(f"Every account's password: {population.DEMO_PASSWORD}")
        w(f"One-time login codes (patients) and TOTP codes (staff) are shown on {url}/demo/outbox/")
        if links != url:
            w(f"Links in e-mails point to {links} (CARNET_BASE_URL), not to the address served.")
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
        w("Their INS (NIR + birth date), to find them as a professional (« Rechercher un patient »):")
        for row in population.identities():
            w(f"  {row['name']:<20} NIR {row['nir']}  born {row['birth_date']}")
        claire = next(row for row in population.identities() if row["key"] == "claire")
        w(f"  Claire's messaging address (SMTP gateway): {claire['address']}")
        w("Professionals (login + password + TOTP from the demo outbox):")
        for s in population.STAFF:
            if s.role == "PROFESSIONAL":
                w(f"  {s.username:<15} {s.first_name} {s.last_name}, {s.profession} = {s.profession_words}")
                w(f"  {'':<15} RPPS {s.rpps}; {s.note}")
        w("  (G15_xx: profession code of the national directory of health professionals; with the type")
        w("  of each document it decides what the professional may read: the authorisation matrix.)")
        w("Operator (back-office, no medical content):")
        w("  operateur.demo")
        w(
            f"Establishment for the API / FHIR: Centre hospitalier de Démonstration, FINESS {population.HOSPITAL_FINESS}"
        )
        w(f'  carnet create-api-client --finess {population.HOSPITAL_FINESS} --name "SIH"')
        w("")
        for row in codes:
            what = "Activate at /activation/" if row["purpose"] == "activation" else "Object at /opposition/"
            opens = f" (profile opens on {row['opens']} without an objection)" if row["opens"] else ""
            w(f"{what}: {row['name']}{opens}")
            w(
                f"  code {row['code']}  NIR {row['nir']}  carte Vitale {row['vitale']}  born {row['birth_date']}"
            )
        w("")
        w(f"Time travel (demo only): {url}/demo/horloge/, or `CARNET_DEMO=1 carnet demo-clock +6w`")
        w("  (--set 2027-01-15, --reset): +6w opens the profiles above; reminders and deletions follow.")
        offset = clock.demo_offset()
        if offset:
            moment = timezone.localtime(clock.now())
            real = timezone.localtime(clock.now() - offset)
            w(
                f"  The demo clock is moved: demo date {moment:%d/%m/%Y %H:%M} (real date {real:%d/%m/%Y %H:%M})."
            )
        w("=" * 78)
