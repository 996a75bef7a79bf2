"""``carnet serve [ADDR:PORT]``: apply migrations, start the background worker thread and serve
(default 127.0.0.1:8000). Links in e-mails follow ADDR:PORT unless ``CARNET_BASE_URL`` is set (``carnet.cli``).

This is the embedded mode (SQLite, inline tasks). In production run a WSGI server (e.g. gunicorn
``carnet.config.wsgi``) behind a reverse proxy and ``carnet worker`` separately.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from carnet.config.worker import start_background


class Command(BaseCommand):
    help = "Serve Carnet (embedded mode) with its background worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "addrport", nargs="?", default="127.0.0.1:8000", help="ADDR:PORT or PORT (default 127.0.0.1:8000)"
        )
        parser.add_argument("--no-worker", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(
            f"Carnet: data directory {settings.DATA_DIR}; links in e-mails point to {settings.CARNET_BASE_URL}"
        )
        call_command("migrate", interactive=False, verbosity=0)
        if not options["no_worker"]:
            start_background()
        call_command("runserver", options["addrport"], use_reloader=False, use_threading=True)
