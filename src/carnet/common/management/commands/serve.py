"""``carnet serve``: apply migrations, start the background worker thread and serve on 127.0.0.1:8000.

This is the embedded mode (SQLite, inline tasks). In production run a WSGI server (e.g. gunicorn
``carnet.config.wsgi``) behind a reverse proxy and ``carnet worker`` separately.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from carnet.common.worker import start_background


class Command(BaseCommand):
    help = "Serve Carnet (embedded mode) with its background worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        if not options["no_worker"]:
            start_background()
        call_command("runserver", options["addrport"], use_reloader=False, use_threading=True)
