"""Writes of the prevention calendar (SPEC §6, R-AG-3, R-AG-4): one transaction each, decided by
``access`` (``AGENDA_WRITE``) and traced in the same transaction (invariants 1 and 2).

Traces name the kind of item and the statuses only, never the item (a screening or a vaccine is health
data): ``details={"kind": ..., "before": ..., "after": ...}``.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from carnet.access import gateway
from carnet.access.facts import Action
from carnet.audit.services import trace
from carnet.common import clock
from carnet.common.actors import Actor
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.identity.models import Person

from . import messages as _messages  # noqa: F401  (registers the template and the trace labels)
from .models import PreventionKind, PreventionOptOut, PreventionStatus, PreventionStatusChoice
from .rules import ruleset
from .selectors import NOT_FOUND


def _check_write(actor: Actor, person: Person) -> None:
    scope = gateway.access_scope(actor=actor, patient_id=person.pk, patient=person)
    if not gateway.decide(scope, None, Action.AGENDA_WRITE):
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")


def prevention_status_set(*, actor: Actor, person: Person, item_code: str, status: str) -> PreventionStatus:
    """R-AG-4 ``updatePreventionStatus``: the patient says an item is done, not done, not specified or
    to plan. His choice overrides what the engine computes (even a recorded vaccination)."""
    rule = ruleset().by_code().get(item_code)
    if rule is None or not rule.applies_to(person.sex):
        raise DomainError(
            _("Rendez-vous de prévention : élément inconnu."), code="unknown_item", field="item"
        )
    if status not in PreventionStatusChoice.values:
        raise DomainError(
            _("Statut : choisissez À planifier, Fait, Non fait ou Non renseigné."),
            code="invalid_status",
            field="status",
        )
    _check_write(actor, person)
    with transaction.atomic():
        existing = (
            PreventionStatus.objects.select_for_update()
            .filter(patient_id=person.pk, item_code=item_code)
            .first()
        )
        before = existing.status if existing else ""
        row, _created = PreventionStatus.objects.update_or_create(
            patient_id=person.pk,
            item_code=item_code,
            defaults={"status": status, "updated_at": clock.now(), "updated_by_kind": str(actor.kind)},
        )
        trace(
            actor=actor,
            action="PREVENTION_STATUS_SET",
            patient_id=person.pk,
            object_type="prevention_item",
            details={"kind": str(rule.kind), "before": before, "after": status},
        )
    return row


def _valid_kind(kind: str) -> str:
    if kind not in PreventionKind.values:
        raise DomainError(_("Type de rappel : type inconnu."), code="unknown_kind", field="kind")
    return kind


def prevention_opt_out(*, actor: Actor, person: Person, kind: str) -> bool:
    """R-AG-3: stop items and reminders of ``kind``, without justification. Returns False if already out."""
    _valid_kind(kind)
    _check_write(actor, person)
    with transaction.atomic():
        _row, created = PreventionOptOut.objects.get_or_create(
            patient_id=person.pk, kind=kind, defaults={"created_at": clock.now()}
        )
        if created:
            trace(
                actor=actor,
                action="PREVENTION_OPT_OUT",
                patient_id=person.pk,
                object_type="prevention_kind",
                object_id=kind,
                details={"kind": kind},
            )
    return created


def prevention_opt_in(*, actor: Actor, person: Person, kind: str) -> bool:
    """Undo ``prevention_opt_out``. Returns False when the kind was not opted out."""
    _valid_kind(kind)
    _check_write(actor, person)
    with transaction.atomic():
        deleted, _detail = PreventionOptOut.objects.filter(patient_id=person.pk, kind=kind).delete()
        if deleted:
            trace(
                actor=actor,
                action="PREVENTION_OPT_IN",
                patient_id=person.pk,
                object_type="prevention_kind",
                object_id=kind,
                details={"kind": kind},
            )
    return bool(deleted)
