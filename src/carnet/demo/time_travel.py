"""Demo time travel: move the demo's clock forward, then run the work that became due.

Used by ``carnet demo-clock`` and the demo page ``/demo/horloge/``, so that a visitor sees the 6-week
opening (R-LC-3), deletions (R-LC-22), appointment and prevention reminders happen. Demo mode only
(``CARNET_DEMO``): outside it every function here refuses, and the offset file is never read
(``carnet.common.clock``).

* The clock only moves **forward** (``+6w``, ``--set 2027-01-15``); ``reset`` returns to the real time.
  What the moved clock did stays done: an opened profile is not closed again, a sent reminder is not
  recalled, traces keep the simulated dates they were written at.
* After a move the worker cycle runs once in the caller's process (``config.worker.run_cycle``: outbox,
  deadlines, reminders, the log's sequencing...), then the outbox once more for what the cycle queued.
  Each step is idempotent, so the background worker running the same steps at the same time is harmless.
* Sessions are judged on the same clock: moving it by more than the idle lifetime (30 minutes) ends
  every session, as those weeks would have.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from carnet.common import clock, dates
from carnet.common.errors import DomainError

log = logging.getLogger("carnet.demo_clock")

STEP = re.compile(r"^\+?(\d{1,6})([a-z]+)$")
UNIT_NAMES = {
    name: unit
    for unit, names in {
        "hours": ("h", "hour", "hours", "heure", "heures"),
        "days": ("d", "day", "days", "j", "jour", "jours"),
        "weeks": ("w", "week", "weeks", "s", "sem", "semaine", "semaines"),
        "years": ("y", "year", "years", "a", "an", "ans"),
    }.items()
    for name in names
}
# What the page offers as one click (label, step).
QUICK_STEPS: list[tuple[Promise, str]] = [
    (_("+1 jour"), "+1d"),
    (_("+1 semaine"), "+1w"),
    (_("+6 semaines"), "+6w"),
    (_("+3 mois"), "+13w"),
    (_("+1 an"), "+1y"),
]
# Plain words for the counts of the work run after a move (worker step, key in its result or "").
DUE_WORK_LABELS: list[tuple[str, str, Promise]] = [
    ("spaces.apply_deadlines", "opened", _("profils ouverts au terme des 6 semaines sans opposition")),
    ("spaces.apply_deadlines", "deleted_on_request", _("profils supprimés à la demande de leur titulaire")),
    ("spaces.apply_deadlines", "purged_after_archive", _("profils clôturés supprimés après 10 ans")),
    ("spaces.apply_deadlines", "opposed_archives_erased", _("traces d'opposition effacées")),
    ("spaces.apply_deadlines", "suspensions_closed", _("profils suspendus clôturés")),
    ("spaces.apply_deadlines", "majority_handled", _("passages à la majorité")),
    ("spaces.apply_deadlines", "exports_expired", _("exports expirés")),
    ("spaces.apply_deadlines", "delegations_expired", _("invitations d'aidant expirées")),
    ("agenda.appointment_reminders", "", _("rappels de rendez-vous")),
    ("prevention.daily_reminders", "reminders", _("rappels de prévention du jour")),
    ("records.invisible_notices", "", _("avis de documents déposés mais pas encore visibles au patient")),
    ("notifications.deliver_pending", "", _("messages envoyés (e-mail, SMS)")),
]


@dataclass(frozen=True)
class Travel:
    """A move of the demo clock: where it was, where it is, what the work run afterwards did."""

    before: datetime
    after: datetime
    due_work: dict[str, Any] = field(default_factory=dict)

    def lines(self) -> list[tuple[str, int]]:
        """``(plain label, count)`` for each kind of due work (zeros included)."""
        rows: list[tuple[str, int]] = []
        for step, key, label in DUE_WORK_LABELS:
            result = self.due_work.get(step)
            value = result.get(key) if isinstance(result, dict) and key else result
            rows.append((str(label), value if isinstance(value, int) and not isinstance(value, bool) else 0))
        return rows


def _require_demo() -> None:
    if not settings.CARNET_DEMO:
        raise DomainError(
            _("L'horloge ne peut être déplacée qu'en mode démonstration (CARNET_DEMO=1)."),
            code="demo_only",
        )


def demo_clock_offset() -> timedelta:
    """How far the demo clock is ahead of the real time (zero when it was not moved)."""
    _require_demo()
    return clock.demo_offset()


def parse_step(text: str) -> tuple[int, str]:
    """``+6w`` -> ``(6, "weeks")``. Units: h, d (j), w (s), y (a). Only forward moves exist."""
    match = STEP.match(text.strip().lower().replace(" ", ""))
    unit = UNIT_NAMES.get(match.group(2)) if match else None
    if match is None or unit is None:
        raise DomainError(
            _(
                "Durée « %(value)s » non comprise : écrivez par exemple +2h, +3d, +6w ou +1y "
                "(heures, jours, semaines, années ; l'horloge n'avance que vers le futur)."
            )
            % {"value": text},
            code="invalid",
            field="step",
        )
    amount = int(match.group(1))
    if amount == 0:
        raise DomainError(
            _("La durée doit être d'au moins une unité (par exemple +1d)."), code="invalid", field="step"
        )
    return amount, unit


def _target_of_step(start: datetime, amount: int, unit: str) -> datetime:
    if unit == "years":
        return clock.add_years(start, amount)
    return start + timedelta(**{unit: amount})


def _target_of_date(start: datetime, to: date | datetime) -> datetime:
    if isinstance(to, datetime):
        return to if timezone.is_aware(to) else timezone.make_aware(to)
    local = timezone.localtime(start)
    return timezone.make_aware(datetime.combine(to, time(local.hour, local.minute, local.second)))


def demo_clock_move(*, step: str | None = None, to: date | datetime | None = None) -> Travel:
    """Move the demo clock forward by ``step`` (``"+6w"``) or to the date ``to``; run the due work."""
    _require_demo()
    if (step is None) == (to is None):
        raise DomainError(_("Indiquez une durée ou une date, pas les deux."), code="invalid", field="step")
    before = clock.now()
    if step is not None:
        amount, unit = parse_step(step)
        try:
            target = _target_of_step(before, amount, unit)
        except (OverflowError, ValueError):  # beyond year 9999: far past the limit below
            target = before + clock.DEMO_CLOCK_MAX_OFFSET + timedelta(days=1)
    else:
        assert to is not None
        target = _target_of_date(before, to)
        if target <= before:
            raise DomainError(
                _(
                    "La date choisie (%(date)s) n'est pas dans le futur de la démo : l'horloge n'avance "
                    "que vers le futur. Revenez d'abord à la date réelle."
                )
                % {"date": dates.format_moment(target)},
                code="invalid",
                field="to",
            )
    offset = clock.demo_offset() + (target - before)
    if offset > clock.DEMO_CLOCK_MAX_OFFSET:
        raise DomainError(
            _("La démo ne peut pas avancer de plus de 100 ans."),
            code="invalid",
            field="to" if to is not None else "step",
        )
    clock.demo_offset_store(offset)
    log.info("demo clock moved forward by %s (offset now %s)", target - before, offset)
    return Travel(before=before, after=clock.now(), due_work=run_due_work())


def demo_clock_reset() -> Travel:
    """Back to the real time. Nothing becomes due by going back, so no work is run."""
    _require_demo()
    before = clock.now()
    clock.demo_offset_store(None)
    log.info("demo clock back to the real time")
    return Travel(before=before, after=clock.now())


def run_due_work() -> dict[str, Any]:
    """One worker cycle at the new time, then the outbox again for what the cycle queued."""
    from carnet.config.worker import run_cycle
    from carnet.tasks import load_tasks

    results = run_cycle()
    deliver = load_tasks().get("notifications.deliver_pending")
    if deliver is not None:
        again = deliver()
        first = results.get("notifications.deliver_pending")
        if isinstance(first, int) and isinstance(again, int):
            results["notifications.deliver_pending"] = first + again
    return results
