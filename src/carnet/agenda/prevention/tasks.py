"""The daily prevention reminder job (SPEC §6, R-AG-3, R-AG-5; ARCHITECTURE invariant 5).

``prevention_daily_reminders(today=..., batch_size=5000)`` walks the persons whose space is ACTIVATED and
who are alive, by increasing id, in batches. Per batch, a constant number of queries (never one per
person): the batch's persons; their vaccinations, statuses, opt-outs, already-sent reminders and e-mail
preferences (one id-range query each); then one transaction with three bulk inserts (``ReminderSent``, in-app
entries, outbox messages) and the progress row. Computation is the pure engine, in Python.

* idempotent: ``ReminderSent(patient_id, item_code, window_start)`` is unique; an item already reminded
  is never reminded again, and outbox ``dedup_key`` s are derived from the new reminders;
* resumable: ``PreventionJobRun(run_date)`` stores the last person of the last committed batch; a crashed
  run is continued by the next call, a finished one returns at once (cheap for the worker's cycle).

One content-free message per person and run (R-NOT-2): "a prevention reminder is waiting".
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction

from carnet.common import clock
from carnet.identity.models import Person
from carnet.notifications.models import NotificationKind, NotificationPreference, ResourceType
from carnet.profile.vitals.models import Vaccination
from carnet.spaces.models import SpaceStatus
from carnet.tasks import task

from . import engine
from .bulk import insert_ignore
from .messages import REMINDER_TEMPLATE
from .models import PreventionJobRun, PreventionOptOut, PreventionStatus, ReminderSent
from .outbox import Message, notify_many
from .rules import ruleset

LINK = "/espace/prevention/"


def _dedup_key(patient_id: int, item_code: str, window_start: date) -> str:
    """Derived from the first new reminder; hashed so the outbox (seen by operators) names no item."""
    digest = hashlib.sha256(f"{item_code}:{window_start.isoformat()}".encode()).hexdigest()[:20]
    return f"prevention:{patient_id}:{digest}"


def _batch(after_id: int, size: int) -> list[tuple[int, date, str, str]]:
    return list(
        Person.objects.filter(id__gt=after_id, deceased_on__isnull=True, space__status=SpaceStatus.ACTIVATED)
        .order_by("id")
        .values_list("id", "birth_date", "sex", "email")[:size]
    )


def process_batch(persons: list[tuple[int, date, str, str]], *, today: date, run: PreventionJobRun) -> int:
    """Compute and queue the reminders of one batch; commit them with the progress. Returns reminders."""
    ids = [p[0] for p in persons]
    # The batch is a contiguous id range of eligible persons: each read filters on that range (one index
    # range scan on patient_id, a few bytes of parameters) instead of a list of thousands of ids; rows of
    # non-eligible persons inside the range are dropped in Python.
    in_batch = {"patient_id__gte": ids[0], "patient_id__lte": ids[-1]}
    vaccinations: dict[int, dict[str, list[date]]] = defaultdict(lambda: defaultdict(list))
    for patient_id, effective_date, targets in Vaccination.objects.filter(**in_batch).values_list(
        "patient_id", "effective_date", "targets"
    ):
        for target in targets or ():
            vaccinations[patient_id][target].append(effective_date)
    statuses: dict[int, dict[str, str]] = defaultdict(dict)
    for patient_id, code, status in PreventionStatus.objects.filter(**in_batch).values_list(
        "patient_id", "item_code", "status"
    ):
        statuses[patient_id][code] = status
    opt_outs: dict[int, set[str]] = defaultdict(set)
    for patient_id, kind in PreventionOptOut.objects.filter(**in_batch).values_list("patient_id", "kind"):
        opt_outs[patient_id].add(kind)
    sent: set[tuple[int, str, date]] = set(
        ReminderSent.objects.filter(**in_batch).values_list("patient_id", "item_code", "window_start")
    )
    email_off = set(
        NotificationPreference.objects.filter(
            person_id__gte=ids[0],
            person_id__lte=ids[-1],
            kind=NotificationKind.SCREENING,
            email_enabled=False,
        ).values_list("person_id", flat=True)
    )

    rules = ruleset()
    now = clock.now()
    empty_v: dict[str, list[date]] = {}
    empty_s: dict[str, str] = {}
    no_opt: set[str] = set()
    reminders: list[tuple[int, str, date, Any]] = []
    messages: list[Message] = []
    for patient_id, birth_date, sex, email in persons:
        due = engine.reminders_due(
            sex=sex,
            birth_date=birth_date,
            today=today,
            vaccinations=vaccinations.get(patient_id, empty_v),
            statuses=statuses.get(patient_id, empty_s),
            opt_outs=opt_outs.get(patient_id, no_opt),
            rules=rules,
        )
        new = [item for item in due if (patient_id, item.code, item.window_start) not in sent]
        if not new:
            continue
        reminders.extend((patient_id, i.code, i.window_start, now) for i in new)
        first = new[0]
        messages.append(
            Message(
                patient_id=patient_id,
                address=email,
                dedup_key=_dedup_key(patient_id, first.code, first.window_start),
                email_enabled=patient_id not in email_off,
            )
        )

    with transaction.atomic():
        insert_ignore(ReminderSent, ["patient_id", "item_code", "window_start", "sent_at"], reminders)
        notify_many(
            messages=messages,
            template=REMINDER_TEMPLATE,
            params={"base_url": str(getattr(settings, "CARNET_BASE_URL", "") or "")},
            in_app=ResourceType.RAPPEL_RDV_PREV,
            link=LINK,
            kind=NotificationKind.SCREENING,
        )
        run.last_person_id = ids[-1]
        run.persons_processed += len(ids)
        run.reminders_sent += len(reminders)
        run.batches += 1
        run.save(update_fields=["last_person_id", "persons_processed", "reminders_sent", "batches"])
    return len(reminders)


def prevention_daily_reminders(*, today: date | None = None, batch_size: int = 5000) -> dict[str, Any]:
    """Send the due prevention reminders of ``today`` (default: the clock's today). Safe to call again:
    a finished day returns at once, an interrupted one continues after its last committed batch."""
    today = today or clock.today()
    run, _created = PreventionJobRun.objects.get_or_create(
        run_date=today, defaults={"started_at": clock.now()}
    )
    if run.finished_at is None:
        while True:
            persons = _batch(run.last_person_id, batch_size)
            if not persons:
                break
            process_batch(persons, today=today, run=run)
        run.finished_at = clock.now()
        run.save(update_fields=["finished_at"])
        if run.reminders_sent:
            from carnet.tasks import enqueue

            enqueue("notifications.deliver_pending")
    return {
        "date": today.isoformat(),
        "persons": run.persons_processed,
        "reminders": run.reminders_sent,
        "batches": run.batches,
    }


@task("prevention.daily_reminders")
def daily_reminders() -> dict[str, Any]:
    return prevention_daily_reminders()
