"""``carnet demo-clock``: demo time travel from the command line (demo mode only).

    carnet demo-clock                   # the demo's date, and how far it is from the real one
    carnet demo-clock +6w               # forward by 6 weeks (h, d, w, y), then run the work now due
    carnet demo-clock --set 2027-01-15  # forward to that date (same time of day), then the due work
    carnet demo-clock --reset           # back to the real time

Every process of the data directory (the demo server, ``carnet worker``) sees the moved clock within a
second; see ``carnet.demo.time_travel`` for what is guaranteed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from carnet.common import clock
from carnet.common.errors import DomainError
from carnet.demo.time_travel import Travel, demo_clock_move, demo_clock_offset, demo_clock_reset


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


def parse_date(text: str) -> date | datetime:
    """``2027-01-15``, ``15/01/2027`` or ``2027-01-15T10:00`` (Paris time)."""
    for reader in (date.fromisoformat, lambda t: datetime.strptime(t, "%d/%m/%Y").date()):  # noqa: DTZ007
        try:
            return reader(text)
        except ValueError:
            pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--set : date « {text} » non comprise (AAAA-MM-JJ, JJ/MM/AAAA ou AAAA-MM-JJTHH:MM)"
        ) from None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = (
        "Demo only (CARNET_DEMO=1): move the demo's clock forward (+6w, --set DATE) and run the work "
        "that became due, or --reset it to the real time; without argument, show the demo's date."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("step", nargs="?", help="how far forward: +2h, +3d, +6w, +1y")
        parser.add_argument("--set", dest="to", metavar="DATE", help="forward to this date (2027-01-15)")
        parser.add_argument("--reset", action="store_true", help="back to the real time")

    def handle(self, *args: Any, **options: Any) -> None:
        chosen = [name for name in ("step", "to", "reset") if options[name]]
        if len(chosen) > 1:
            raise CommandError("give one of: a duration (+6w), --set DATE, --reset")
        try:
            if options["reset"]:
                self._report(demo_clock_reset())
            elif options["step"] or options["to"]:
                to = parse_date(options["to"]) if options["to"] else None
                self._report(demo_clock_move(step=options["step"], to=to))
            else:
                offset = demo_clock_offset()
                real = (
                    f"date réelle : {_when(clock.now() - offset)}"
                    if offset
                    else "l'horloge n'est pas déplacée"
                )
                self.stdout.write(f"Date de la démo : {_when(clock.now())} ({real})")
        except DomainError as error:
            where = {"step": "durée", "to": "--set"}.get(error.field or "", "")
            raise CommandError(f"{where} : {error}" if where else str(error)) from None

    def _report(self, travel: Travel) -> None:
        w = self.stdout.write
        w(f"Date de la démo : {_when(travel.before)} -> {_when(travel.after)}")
        offset = clock.demo_offset()
        w(
            f"(date réelle : {_when(travel.after - offset)})"
            if offset
            else "(l'horloge est revenue à la date réelle)"
        )
        if travel.due_work:
            w("Travaux dus exécutés à la nouvelle date :")
            for label, count in travel.lines():
                w(f"  {count:>5}  {label}")
