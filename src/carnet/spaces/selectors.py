"""Reads over health spaces, and who may manage a space (SPEC §1.4, §1.5, R-DEL-2).

The capacity checks live here so that services (which enforce them) and pages (which hide what the
actor may not do) share one answer.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from django.conf import settings
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from carnet.common import clock
from carnet.common.actors import Actor, ActorKind
from carnet.identity.hashing import vitale_matches
from carnet.identity.models import Person
from carnet.identity.validators import normalise_nir

from . import codes
from .models import (
    Delegation,
    DelegationKind,
    DelegationStatus,
    ExportRequest,
    HealthSpace,
    ProvisionalCode,
    SpaceStatus,
)


def person_is_minor(person: Person, on: date | None = None) -> bool:
    """R-MIN-7: under ``CARNET_MAJORITY_AGE`` (18) on ``on`` (today by default)."""
    return clock.age_on(person.birth_date, on or clock.today()) < settings.CARNET_MAJORITY_AGE


def letter_recipient(person: Person) -> Person:
    """R-LC-6: a minor's letters go to the parent under whose NIR he is insured (R-ID-4)."""
    if person.insured_under_id is not None and person_is_minor(person):
        return person.insured_under  # type: ignore[return-value]
    return person


def space_for_person(person: Person) -> HealthSpace | None:
    return HealthSpace.objects.filter(person=person).select_related("person").first()


def is_legal_representative_of(*, actor: Actor, person: Person) -> bool:
    """An accepted LEGAL_REPRESENTATION delegation from ``person`` to the acting person (R-MIN-1)."""
    if actor.person_id is None:
        return False
    return Delegation.objects.filter(
        delegate_id=actor.person_id,
        subject=person,
        kind=DelegationKind.LEGAL_REPRESENTATION,
        status=DelegationStatus.ACCEPTED,
    ).exists()


def can_manage_space(*, actor: Actor, space: HealthSpace) -> bool:
    """R-LC-20, R-DEL-2: close, delete, export, reopen, object to a suspension.

    Allowed to the holder himself and to the legal representative of a minor. Refused to caregivers
    (R-DEL-2: no closure, deletion, export, credentials) and to a legal representative acting for an
    adult (protected adults: SPEC R-MIN-9 leaves it to an offline procedure [I]).
    """
    person = space.person
    if actor.kind == ActorKind.PATIENT:
        return actor.person_id is not None and actor.person_id == person.pk
    if actor.kind == ActorKind.LEGAL_REPRESENTATIVE:
        return person_is_minor(person) and is_legal_representative_of(actor=actor, person=person)
    return False


@dataclass(frozen=True)
class SpaceCapabilities:
    """What the pages offer to the acting person on the shown space."""

    manage: bool  # closure, deletion request, export, reopen (R-LC-20, R-DEL-2)
    credentials: bool  # devices, password: only one's own account (R-DEL-2)
    oppose_for_child: bool  # R-LC-2: a legal representative opposes for a minor


def space_capabilities(*, actor: Actor, space: HealthSpace | None, is_self: bool) -> SpaceCapabilities:
    if space is None:
        return SpaceCapabilities(manage=False, credentials=is_self, oppose_for_child=False)
    manage = can_manage_space(actor=actor, space=space)
    oppose = (
        actor.kind == ActorKind.LEGAL_REPRESENTATIVE
        and manage
        and space.status in {SpaceStatus.INFORMED, SpaceStatus.OPEN_NOT_ACTIVATED}
    )
    return SpaceCapabilities(manage=manage, credentials=is_self, oppose_for_child=oppose)


def space_identify(*, nir: str, vitale_serial: str, birth_date: date, code: str = "") -> HealthSpace | None:
    """R-LC-2/R-LC-4/R-LC-10: the space of the person proving NIR + carte Vitale serial + birth date.

    When ``code`` is given it must be one of the space's provisional codes (expired ones included:
    the opposition window and the code validity are the same 6 weeks). Returns None on any mismatch,
    whatever the reason, so callers answer the same way (identity errors never reveal existence).
    """
    person = Person.objects.filter(ins_matricule=normalise_nir(nir)).first()
    if person is None:
        vitale_matches(vitale_serial, "0" * 64)  # same work whether or not the person exists
        return None
    if not vitale_matches(vitale_serial, person.vitale_serial_hash) or person.birth_date != birth_date:
        return None
    space = space_for_person(person)
    if space is None:
        return None
    if code:
        wanted = codes.hash_code(code)
        hashes = ProvisionalCode.objects.filter(space=space).values_list("code_hash", flat=True)
        if not any(hmac.compare_digest(wanted, h) for h in hashes):
            return None
    return space


def _uuid(value: str | UUID | None) -> UUID | None:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except (ValueError, TypeError):  # empty or tampered value
        return None


def space_get_by_public_id(public_id: str | UUID | None) -> HealthSpace | None:
    uid = _uuid(public_id)
    if uid is None:
        return None
    return HealthSpace.objects.select_related("person").filter(public_id=uid).first()


def space_key_dates(space: HealthSpace) -> list[tuple[str | Promise, datetime]]:
    """The dates shown to the holder, in order (R-LC-28: statuses with their timestamps)."""
    candidates: list[tuple[str | Promise, datetime | None]] = [
        (_("Information envoyée le"), space.informed_at),
        (
            _("Fin du délai d'opposition"),
            space.opening_due_at if space.status == SpaceStatus.INFORMED else None,
        ),
        (_("Ouvert le"), space.opened_at),
        (_("Activé le"), space.activated_at),
        (_("Opposition enregistrée le"), space.opposed_at),
        (_("Clôturé le"), space.closed_at if space.status == SpaceStatus.CLOSED else None),
        (_("Données archivées jusqu'au"), space.archived_until),
        (_("Suppression demandée le"), space.deletion_requested_at),
        (_("Suppression prévue au plus tard le"), space.deletion_due_at),
        (_("Données supprimées le"), space.deleted_at),
        (_("Suspendu le"), space.suspended_at if space.status == SpaceStatus.SUSPENDED else None),
        (_("Clôture automatique sans contestation le"), space.suspension_closes_at),
    ]
    return [(label, value) for label, value in candidates if value is not None]


def exports_for_space(space: HealthSpace) -> QuerySet[ExportRequest]:
    return ExportRequest.objects.filter(patient_id=space.patient_id, space=space).order_by("-created_at")


def export_get_for_actor(*, actor: Actor, space: HealthSpace, public_id: str | UUID) -> ExportRequest | None:
    """A downloadable export of ``space`` for an actor allowed to export it; None otherwise (one 404)."""
    if not can_manage_space(actor=actor, space=space):
        return None
    uid = _uuid(public_id)
    if uid is None:
        return None
    export = (
        ExportRequest.objects.select_related("blob")
        .filter(patient_id=space.patient_id, space=space, public_id=uid)
        .first()
    )
    if export is None or export.status != "READY" or export.blob is None:
        return None
    if export.expires_at is not None and export.expires_at <= clock.now():
        return None
    return export
