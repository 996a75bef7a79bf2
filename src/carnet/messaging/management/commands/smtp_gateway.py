"""``carnet smtp-gateway``: the SMTP gateway of the secure messaging (issue 5).

carnet smtp-gateway --host 127.0.0.1 --port 2525        # receive professionals' mail, relay replies
carnet smtp-gateway --relay-interval 0                  # receive only (the worker relays)

Inbound: ``carnet.messaging.smtp_gateway``; outbound relay of patients' replies every ``--relay-interval``
seconds: ``carnet.messaging.smtp_outbound.relay_pending``. Binds to loopback unless told otherwise
(``--allow-non-loopback``): in production an MTA with TLS and the MSSanté trust checks sits in front.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Run the SMTP gateway of the secure messaging (professionals' mail in, patients' replies out)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=2525, help="port to bind (default 2525)")
        parser.add_argument(
            "--relay-interval",
            type=float,
            default=5.0,
            help="seconds between two relays of patients' replies (0: do not relay)",
        )
        parser.add_argument(
            "--allow-non-loopback", action="store_true", help="allow binding an address other than loopback"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from carnet.messaging import smtp_gateway, smtp_outbound

        host, port = options["host"], options["port"]
        if not options["allow_non_loopback"] and not smtp_gateway.is_loopback(host):
            raise CommandError(f"{host} is not a loopback address: pass --allow-non-loopback to bind it")
        controller = smtp_gateway.start_gateway(host=host, port=port)
        self.stdout.write(f"Carnet SMTP gateway listening on {host}:{port} (Ctrl-C to stop)")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())  # a service manager's stop
        interval = float(options["relay_interval"])
        try:
            while not stop.wait(interval if interval > 0 else 1.0):
                if interval > 0:
                    try:
                        smtp_outbound.relay_pending()
                    except Exception as exc:  # keep receiving; the next round retries
                        self.stderr.write(f"relay failed: {type(exc).__name__}")
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()
            self.stdout.write("SMTP gateway stopped")
