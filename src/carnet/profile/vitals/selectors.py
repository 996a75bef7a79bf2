"""Reads of vaccinations and measurements, scoped by the policy (invariant 1) and traced (invariant 2).

A missing record and a refused one answer the same ``NotFoundOrForbidden`` (STYLE "fail closed"); denied
reads are traced ``DENY`` too. Reads by professionals queue the "premier accès" e-mail once (R-AC-14) and
honour the emergency obligations (R-EM-3) through ``access.services.professional_read_recorded``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from carnet.access import gateway
from carnet.access import services as access_services
from carnet.access.facts import AccessMode, Action
from carnet.common import clock
from carnet.common.actors import Actor
from carnet.common.errors import NotFoundOrForbidden

from . import access, referential
from .models import Measurement, Vaccination

NOT_FOUND = _("Information introuvable.")

# Period filter of the charts (``/espace/profil/mesures/?periode=...``).
PERIODS: dict[str, timedelta | None] = {"3m": timedelta(days=92), "1a": timedelta(days=366), "tout": None}


def _vaccinations(patient_id: int) -> QuerySet[Vaccination]:
    return (
        Vaccination.objects.filter(patient_id=patient_id)
        .select_related("author_professional", "author_organisation", "performer_professional")
        .order_by("-effective_date", "-id")
    )


def vaccination_list_for_actor(
    *, actor: Actor, patient_id: int, mode: AccessMode | str = AccessMode.NORMAL
) -> list[Vaccination]:
    """The holder's vaccinations, newest first (R-PML-1: authorised professionals see them too)."""
    scope = gateway.access_scope(actor=actor, patient_id=patient_id, mode=mode)
    decision = access.decide(scope, Action.PROFILE_READ, section=access.VACCINATIONS)
    if not decision:
        access.deny_trace(scope, action="VACCINATION_LIST", decision=decision, object_type="record")
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    rows = list(_vaccinations(patient_id))
    with transaction.atomic():
        access.record_trace(
            scope,
            action="VACCINATION_LIST",
            decision=decision,
            object_type="record",
            section=str(access.VACCINATIONS),
            count=len(rows),
        )
        if scope.is_professional_side:
            access_services.professional_read_recorded(scope, [decision])
    return rows


def vaccination_get_for_actor(
    *,
    actor: Actor,
    patient_id: int,
    vaccination_public_id: uuid.UUID | str,
    mode: AccessMode | str = AccessMode.NORMAL,
) -> Vaccination:
    """One vaccination; missing and refused answer the same ``NotFoundOrForbidden``."""
    scope = gateway.access_scope(actor=actor, patient_id=patient_id, mode=mode)
    decision = access.decide(scope, Action.PROFILE_READ, section=access.VACCINATIONS)
    vaccination = _find(_vaccinations(patient_id), vaccination_public_id) if decision else None
    with transaction.atomic():
        access.record_trace(
            scope,
            action="VACCINATION_CONSULT",
            decision=decision if vaccination is not None or not decision else _missing(),
            object_type="vaccination",
            object_id=str(vaccination_public_id)[:64],
        )
        if decision and vaccination is not None and scope.is_professional_side:
            access_services.professional_read_recorded(scope, [decision])
    if vaccination is None:
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found", field="vaccination")
    return vaccination


def _missing() -> access.Decision:
    return access.Decision(False, "DEFAULT-DENY", "no such entry")


def _find(qs: QuerySet[Vaccination], public_id: uuid.UUID | str) -> Vaccination | None:
    try:
        wanted = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return qs.filter(public_id=wanted).first()


@dataclass(frozen=True)
class VaccinationGroup:
    """Done vaccines grouped by target disease (the vaccination record page)."""

    disease_code: str
    label: str
    vaccinations: list[Vaccination]


def vaccinations_by_disease(vaccinations: list[Vaccination]) -> list[VaccinationGroup]:
    """Group by target disease, in the referential's order (a combined vaccine appears under each of its
    targets); entries without a known target are grouped under "Autre", last."""
    diseases = referential.diseases()
    by_code: dict[str, list[Vaccination]] = {}
    for vaccination in vaccinations:
        targets = [t for t in (vaccination.targets or []) if t in diseases] or ["OTHER"]
        for target in targets:
            by_code.setdefault(target, []).append(vaccination)
    return [
        VaccinationGroup(code, diseases[code].label, by_code[code]) for code in diseases if code in by_code
    ]


# --------------------------------------------------------------------------------------------------
# Measurements (never shown to professionals outside a saved summary, R-PML-1)


def measurement_list_for_actor(
    *,
    actor: Actor,
    patient_id: int,
    code: str | None = None,
    since: datetime | None = None,
) -> list[Measurement]:
    """The holder's measurements, oldest first (per code when given, from ``since`` when given)."""
    scope = gateway.access_scope(actor=actor, patient_id=patient_id)
    decision = access.decide(scope, Action.PROFILE_READ, section=access.MEASUREMENTS)
    if not decision:
        access.deny_trace(scope, action="MEASUREMENT_LIST", decision=decision, object_type="record")
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    qs = Measurement.objects.filter(patient_id=patient_id)
    if code:
        qs = qs.filter(code=code)
    if since is not None:
        qs = qs.filter(measured_at__gte=since)
    rows = list(qs.order_by("measured_at", "id"))
    with transaction.atomic():
        access.record_trace(
            scope,
            action="MEASUREMENT_LIST",
            decision=decision,
            object_type="record",
            section=str(access.MEASUREMENTS),
            count=len(rows),
        )
    return rows


def period_start(period: str) -> datetime | None:
    """The first instant of a chart period (``3m``, ``1a``, ``tout``); unknown periods mean ``tout``."""
    delta = PERIODS.get(period)
    return clock.now() - delta if delta is not None else None


def measurements_by_code(measurements: list[Measurement]) -> dict[str, list[Measurement]]:
    """Series per code, in the referential's order, oldest first."""
    grouped: dict[str, list[Measurement]] = {}
    for m in measurements:
        grouped.setdefault(m.code, []).append(m)
    return {code: grouped[code] for code in referential.measures() if code in grouped}
