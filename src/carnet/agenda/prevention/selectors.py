"""Reads of the prevention calendar, scoped by the policy (invariant 1) and traced (invariant 2).

``prevention_items_for_actor`` asks ``access`` (``AGENDA_READ``) and reads the vaccinations through the
profile's own selector (``PROFILE_READ`` on the vaccination section), so both reads are decided and
traced where they belong. A refused read answers ``NotFoundOrForbidden`` (same as missing).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from carnet.access import gateway
from carnet.access.facts import Action
from carnet.audit.services import trace
from carnet.common import clock
from carnet.common.actors import Actor
from carnet.common.errors import NotFoundOrForbidden
from carnet.identity.models import Person
from carnet.profile.vitals import selectors as vitals_selectors

from . import engine
from .models import PreventionOptOut, PreventionStatus

NOT_FOUND = _("Information introuvable.")
UPCOMING_HORIZON_DAYS = 365


def statuses_of(patient_id: int) -> dict[str, str]:
    return dict(PreventionStatus.objects.filter(patient_id=patient_id).values_list("item_code", "status"))


def opt_outs_of(patient_id: int) -> set[str]:
    return set(PreventionOptOut.objects.filter(patient_id=patient_id).values_list("kind", flat=True))


def prevention_items_for_actor(
    *, actor: Actor, person: Person, horizon_days: int = UPCOMING_HORIZON_DAYS
) -> list[engine.PreventionItem]:
    """R-AG-3/R-AG-4: the person's items due today and opening within ``horizon_days``."""
    scope = gateway.access_scope(actor=actor, patient_id=person.pk, patient=person)
    decision = gateway.decide(scope, None, Action.AGENDA_READ)
    if not decision:
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    try:
        vaccinations = vitals_selectors.vaccination_list_for_actor(actor=actor, patient_id=person.pk)
    except NotFoundOrForbidden:
        vaccinations = []  # the calendar still shows; vaccine items are simply not marked done
    by_target: dict[str, list[date]] = defaultdict(list)
    for vaccination in vaccinations:
        for target in vaccination.targets or []:
            by_target[target].append(vaccination.effective_date)
    items = engine.items_for(
        sex=person.sex,
        birth_date=person.birth_date,
        today=clock.today(),
        vaccinations=by_target,
        statuses=statuses_of(person.pk),
        opt_outs=opt_outs_of(person.pk),
        horizon_days=horizon_days,
    )
    with transaction.atomic():
        trace(
            actor=actor,
            action="PREVENTION_LIST",
            patient_id=person.pk,
            group="general",
            object_type="prevention",
            object_id=str(person.public_id),
            details={"count": len(items), "rule": decision.rule},
        )
    return items
