"""``carnet worker``: run background work.

carnet worker            # poll loop (embedded or production without Celery)
carnet worker --once     # one cycle, then exit (cron-style)
carnet worker --celery   # a Celery worker with beat (CARNET_TASK_BACKEND=celery, CARNET_BROKER_URL)
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from carnet.config.worker import loop, run_cycle


class Command(BaseCommand):
    help = "Run Carnet's background work (outbox delivery, exports, lifecycle deadlines)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run one cycle and exit")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between cycles")
        parser.add_argument("--celery", action="store_true", help="start a Celery worker (with beat) instead")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["celery"]:
            from carnet.config.celery import app

            app.worker_main(["worker", "--beat", "--loglevel=INFO", "--concurrency=2"])
            return
        if options["once"]:
            for name, result in run_cycle().items():
                self.stdout.write(f"{name}: {result}")
            return
        self.stdout.write(f"Carnet worker running every {options['interval']} s (Ctrl-C to stop)")
        try:
            loop(options["interval"], threading.Event())
        except KeyboardInterrupt:
            self.stdout.write("worker stopped")
