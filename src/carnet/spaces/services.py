"""Health-space lifecycle use cases (SPEC §1.2–1.4, state machine R-LC-28).

Every function is one transaction: it checks the transition is allowed, writes the new state, traces
the act through ``audit`` and queues content-free notifications through the outbox.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carnet.audit.services import trace
from carnet.common import clock
from carnet.common.actors import Actor, ActorKind
from carnet.common.cache import counters as cache  # the database cache while Redis is unreachable
from carnet.common.errors import DomainError
from carnet.identity.models import Person
from carnet.identity.validators import normalise_nir
from carnet.notifications.models import Channel
from carnet.notifications.services import notify, outbox_cancel_for_patient
from carnet.vault.blobstore import blob_delete

from . import codes, erasure, messages  # noqa: F401  (messages registers the lifecycle templates)
from .models import (
    Delegation,
    DelegationKind,
    DelegationStatus,
    DeletionStatus,
    ExportRequest,
    ExportStatus,
    HealthSpace,
    ProvisionalCode,
    SpaceStatus,
)
from .selectors import can_manage_space, letter_recipient, person_is_minor, space_identify

log = logging.getLogger(__name__)

# R-LC-28: which status may follow which.
TRANSITIONS: dict[str, set[str]] = {
    SpaceStatus.INFORMED: {
        SpaceStatus.OPEN_NOT_ACTIVATED,
        SpaceStatus.ACTIVATED,
        SpaceStatus.OPPOSED,
        SpaceStatus.SUSPENDED,
        SpaceStatus.CLOSED,
    },
    SpaceStatus.OPEN_NOT_ACTIVATED: {
        SpaceStatus.ACTIVATED,
        SpaceStatus.OPPOSED,
        SpaceStatus.CLOSED,
        SpaceStatus.SUSPENDED,
    },
    # R-MIN-7 "handover": a space activated by a parent waits for the young adult's own activation.
    SpaceStatus.ACTIVATED: {SpaceStatus.CLOSED, SpaceStatus.SUSPENDED, SpaceStatus.OPEN_NOT_ACTIVATED},
    SpaceStatus.OPPOSED: {SpaceStatus.ACTIVATED},  # an opposed person may still ask for a space later
    SpaceStatus.CLOSED: {SpaceStatus.ACTIVATED, SpaceStatus.DELETED},
    SpaceStatus.SUSPENDED: {
        SpaceStatus.CLOSED,
        SpaceStatus.ACTIVATED,
        SpaceStatus.OPEN_NOT_ACTIVATED,
        SpaceStatus.INFORMED,
    },
    SpaceStatus.DELETED: set(),
}


def space_transition(*, space: HealthSpace, to: str, actor: Actor, motif: str, action: str) -> HealthSpace:
    """Move ``space`` to status ``to`` (caller is inside a transaction), trace it with ``action``."""
    if to not in TRANSITIONS[space.status]:
        raise DomainError(
            _("Cette opération n'est pas possible dans l'état actuel du profil."), code="invalid_transition"
        )
    before = space.status
    space.status = to
    space.motif = motif
    space.status_changed_at = clock.now()
    trace(
        actor=actor,
        action=action,
        patient_id=space.patient_id,
        group="general",
        object_type="space",
        object_id=str(space.public_id),
        details={"from": before, "to": to, "motif": motif},
    )
    return space


def _date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return value.isoformat()  # worded in the reader's language when the message is sent (templates_catalogue)


def provisional_code_issue(
    *,
    space: HealthSpace,
    actor: Actor,
    template: str = "provisional_code",
    channel: str | None = None,
) -> str:
    """R-LC-4: revoke earlier codes, issue a new 12-character code valid 6 weeks, queue it to the person.

    ``channel`` ("EMAIL" or "SMS") is the person's choice when he asks for a new code; without it (or
    when the chosen channel has no address) e-mail is preferred (R-LC-2). Nothing is queued for a
    deceased person (R-LC-27). Returns the code in clear: it is never stored (only its keyed hash), so
    this is the only chance to send it.
    """
    now = clock.now()
    ProvisionalCode.objects.filter(space=space, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    code = codes.generate_code()
    expires = now + timedelta(days=settings.CARNET_PROVISIONAL_CODE_DAYS)
    entry = ProvisionalCode.objects.create(
        space=space,
        patient_id=space.patient_id,
        code_hash=codes.hash_code(code),
        created_at=now,
        expires_at=expires,
    )
    trace(
        actor=actor,
        action="PROVISIONAL_CODE_ISSUED",
        patient_id=space.patient_id,
        group="general",
        object_type="provisional_code",
        object_id=entry.pk,
        details={"template": template},
    )
    params = {"code": codes.format_code(code), "expires": _date(expires)}
    if template == "information_letter":
        params |= {"open_date": _date(space.opening_due_at), "base_url": str(settings.CARNET_BASE_URL)}
    elif template == "majority_code":
        params |= {"base_url": str(settings.CARNET_BASE_URL)}
    _notify_holder(
        space=space, template=template, params=params, dedup_key=f"code:{entry.pk}", channel=channel
    )
    return code


def _notify_holder(
    *, space: HealthSpace, template: str, params: dict[str, str], dedup_key: str, channel: str | None = None
) -> None:
    """Queue a content-free message to whoever receives the holder's mail (a minor's: his parent).

    Invariant 5: written in the cause's transaction. R-LC-27: nothing for a deceased person.
    """
    person = space.person
    if person.deceased_on is not None or space.deceased_at is not None:
        return
    recipient = _letter_recipient(person)
    if channel == Channel.SMS and recipient.phone:
        chosen, address = Channel.SMS, recipient.phone
    elif recipient.email:
        chosen, address = Channel.EMAIL, recipient.email
    else:
        chosen, address = Channel.SMS, recipient.phone
    notify(
        patient_id=space.patient_id,
        channel=chosen,
        address=address,
        template=template,
        params=params,
        dedup_key=dedup_key,
    )


def _letter_recipient(person: Person) -> Person:
    """R-LC-6: a minor's letter goes to the parent under whose NIR he is insured (R-ID-4)."""
    return letter_recipient(person)


@transaction.atomic
def space_inform(*, person: Person, actor: Actor) -> tuple[HealthSpace, str]:
    """R-LC-1..4: create the space in INFORMED, issue the provisional code and queue the information letter.

    The space opens by itself at the end of the 6-week opposition window (see ``spaces_apply_deadlines``).
    Calling it again for a person who already has a space is refused.
    """
    if HealthSpace.objects.filter(person=person).exists():
        raise DomainError(_("Un profil existe déjà pour cette personne."), code="space_exists")
    now = clock.now()
    space = HealthSpace.objects.create(
        person=person,
        status=SpaceStatus.INFORMED,
        motif="INFORMATION_SENT",
        status_changed_at=now,
        created_at=now,
        informed_at=now,
        opening_due_at=now + timedelta(days=settings.CARNET_OPPOSITION_WINDOW_DAYS),
        # R-MIN-7: an adult has no majority to come; minors are handled by spaces_apply_deadlines.
        majority_handled_at=None if person_is_minor(person) else now,
    )
    trace(
        actor=actor,
        action="SPACE_INFORMED",
        patient_id=space.patient_id,
        group="general",
        object_type="space",
        object_id=str(space.public_id),
    )
    code = provisional_code_issue(space=space, actor=actor, template="information_letter")
    return space, code


def provisional_code_find(code: str) -> ProvisionalCode | None:
    """The live code matching ``code`` (not used, not revoked, not expired), else None.

    Callers must answer the same way whether the code is unknown, expired or belongs to someone else.
    """
    entry = (
        ProvisionalCode.objects.select_related("space", "space__person")
        .filter(code_hash=codes.hash_code(code), used_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if entry is None or entry.expires_at <= clock.now():
        return None
    return entry


def provisional_code_is_expired(code: str) -> bool:
    """R-LC-4: "Votre code provisoire a expiré" is a distinct state — only once the caller proved identity."""
    entry = ProvisionalCode.objects.filter(code_hash=codes.hash_code(code)).first()
    return entry is not None and entry.expires_at <= clock.now()


def space_activate(*, space: HealthSpace, actor: Actor, code: ProvisionalCode | None = None) -> HealthSpace:
    """R-LC-10..13: first login — the space becomes ACTIVATED, the code is spent, CGU acceptance recorded.

    Allowed from INFORMED (activating before the window ends is the person's choice: it ends the
    window), OPEN_NOT_ACTIVATED, and OPPOSED (a person who objected may change his mind).
    """
    if space.status not in {SpaceStatus.INFORMED, SpaceStatus.OPEN_NOT_ACTIVATED, SpaceStatus.OPPOSED}:
        raise DomainError(_("Ce profil ne peut pas être activé."), code="not_activable")
    now = clock.now()
    with transaction.atomic():
        if code is not None:
            updated = ProvisionalCode.objects.filter(pk=code.pk, used_at__isnull=True).update(used_at=now)
            if updated != 1:
                raise DomainError(_("Ce code provisoire a déjà été utilisé."), code="code_used", field="code")
        if space.opened_at is None:
            space.opened_at = now
        space.activated_at = now
        space.cgu_accepted_at = now
        space.archived_until = None  # an opposition made after opening had started an archive
        space.closed_at = None
        space_transition(
            space=space, to=SpaceStatus.ACTIVATED, actor=actor, motif="ACTIVATION", action="SPACE_ACTIVATED"
        )
        space.save()
    return space


# --- helpers ----------------------------------------------------------------------------------------


def _locked(space: HealthSpace) -> HealthSpace:
    """Re-read the space under a row lock inside the current transaction (concurrent jobs and clicks)."""
    fresh = HealthSpace.objects.select_for_update(of=("self",)).select_related("person").get(pk=space.pk)
    for field in HealthSpace._meta.concrete_fields:
        setattr(space, field.attname, getattr(fresh, field.attname))
    return space


def _require_manager(*, space: HealthSpace, actor: Actor) -> None:
    """R-LC-20, R-DEL-2: only the holder or a minor's legal representative manages the space."""
    if not can_manage_space(actor=actor, space=space):
        raise DomainError(
            _("Vous n'avez pas le droit d'effectuer cette opération sur ce profil."), code="forbidden"
        )


def _require_operator(actor: Actor, *kinds: ActorKind) -> None:
    allowed = set(kinds) or {ActorKind.OPERATOR}
    if actor.kind not in allowed:
        raise DomainError(_("Opération réservée aux opérateurs."), code="forbidden")


def _check_password(*, user: AbstractBaseUser, password: str) -> None:
    if not password or not user.check_password(password):
        raise DomainError(
            _("Mot de passe : le mot de passe saisi est incorrect."), code="password", field="password"
        )


def _close_fields(space: HealthSpace, now: datetime) -> None:
    """R-LC-21: from closure, the data are archived 10 years, then deleted."""
    space.closed_at = now
    space.archived_until = clock.add_years(now, settings.CARNET_ARCHIVE_YEARS)
    space.suspended_at = None
    space.suspension_closes_at = None
    space.status_before_suspension = ""


def _notify_closed(space: HealthSpace) -> None:
    assert space.closed_at is not None and space.archived_until is not None
    _notify_holder(
        space=space,
        template="space_closed",
        params={
            "date": _date(space.closed_at),
            "archived_until": _date(space.archived_until),
            "base_url": str(settings.CARNET_BASE_URL),
        },
        dedup_key=f"closed:{space.public_id}:{space.closed_at.isoformat()}",
    )


def _trace_space(
    *, space: HealthSpace, actor: Actor, action: str, details: dict[str, Any] | None = None
) -> None:
    trace(
        actor=actor,
        action=action,
        patient_id=space.patient_id,
        group="general",
        object_type="space",
        object_id=str(space.public_id),
        details=details,
    )


# --- R-LC-4: a new provisional code -----------------------------------------------------------------

RENEWALS_PER_DAY = 3  # [I] codes a person may receive per 24 hours through the public form
IDENTIFY_ATTEMPTS_PER_HOUR = 10  # [I] identification attempts per NIR per hour (opposition, renewal)


def identify_attempt_allowed(*, nir: str) -> bool:
    """Count one identification attempt for this NIR; False once the hourly budget is spent.

    Keyed by a hash of the NIR (never the NIR itself) in the cache, and applied whether or not the
    person exists, so the throttle does not reveal existence either.
    """
    key = "spaces:identify:" + codes.hash_code("nir|" + normalise_nir(nir))
    cache.add(key, 0, timeout=3600)
    try:
        attempts = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        attempts = 1
    return attempts <= IDENTIFY_ATTEMPTS_PER_HOUR


def provisional_code_renew(*, nir: str, vitale_serial: str, birth_date: date, channel: str) -> None:
    """R-LC-4: send a new provisional code by SMS or e-mail to a person proving his carte Vitale data.

    Always returns None and raises nothing on a mismatch: the page answers the same way whether or
    not the person exists, the data match, or the throttle applies. A code is issued only for a space
    that can still be activated (INFORMED, OPEN_NOT_ACTIVATED, OPPOSED), at most ``RENEWALS_PER_DAY``
    times per 24 hours.
    """
    if channel not in Channel.values:
        raise DomainError(_("Canal : choisissez SMS ou e-mail."), code="channel", field="channel")
    if not identify_attempt_allowed(nir=nir):
        return
    space = space_identify(nir=nir, vitale_serial=vitale_serial, birth_date=birth_date)
    if space is None or space.status not in {
        SpaceStatus.INFORMED,
        SpaceStatus.OPEN_NOT_ACTIVATED,
        SpaceStatus.OPPOSED,
    }:
        return
    if space.person.deceased_on is not None:
        return
    with transaction.atomic():
        _locked(space)
        since = clock.now() - timedelta(days=1)
        if ProvisionalCode.objects.filter(space=space, created_at__gt=since).count() >= RENEWALS_PER_DAY:
            return
        provisional_code_issue(
            space=space, actor=Actor.insurance(), template="provisional_code", channel=channel
        )


# --- R-LC-2/3/5: opposition -------------------------------------------------------------------------


def _opposition_reference() -> str:
    for _attempt in range(5):
        reference = "OPP-" + "".join(secrets.choice(codes.ALPHABET) for _ in range(10))
        if not HealthSpace.objects.filter(opposition_reference=reference).exists():
            return reference
    raise RuntimeError("could not draw a unique opposition reference")


def space_oppose(*, space: HealthSpace, actor: Actor) -> HealthSpace:
    """R-LC-2/3/5, R-LC-28: the person (or a minor's legal representative) objects → OPPOSED.

    Allowed while INFORMED (the space never opens) or OPEN_NOT_ACTIVATED. Decision [I]: opposing an
    opened but not activated space is accepted (R-LC-28 ``OPEN_*`` → ``OPPOSED``); what professionals
    deposited while it was open is archived like after a closure (``archived_until`` = +10 years,
    R-LC-21) and erased by ``spaces_apply_deadlines`` at that date; the status stays OPPOSED. A
    reference is drawn for the proof of opposition. ``actor`` is the person himself (identified on
    the public form: kind PATIENT with his person id) or his legal representative if he is a minor.
    """
    with transaction.atomic():
        _locked(space)
        if actor.kind == ActorKind.LEGAL_REPRESENTATIVE or space.person.pk != actor.person_id:
            _require_manager(space=space, actor=actor)
        elif person_is_minor(space.person):
            raise DomainError(
                _("L'opposition pour un enfant mineur est faite par son représentant légal."),
                code="minor_opposition",
            )
        if space.status not in {SpaceStatus.INFORMED, SpaceStatus.OPEN_NOT_ACTIVATED}:
            raise DomainError(
                _("Opposition impossible : le profil n'est plus dans le délai d'opposition."),
                code="invalid_transition",
            )
        now = clock.now()
        was_open = space.status == SpaceStatus.OPEN_NOT_ACTIVATED
        space_transition(
            space=space, to=SpaceStatus.OPPOSED, actor=actor, motif="OPPOSITION", action="SPACE_OPPOSED"
        )
        space.opposed_at = now
        space.opposition_reference = _opposition_reference()
        if was_open:
            space.closed_at = now
            space.archived_until = clock.add_years(now, settings.CARNET_ARCHIVE_YEARS)
        ProvisionalCode.objects.filter(space=space, used_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=now
        )
        space.save()
        _notify_holder(
            space=space,
            template="space_opposed",
            params={
                "date": _date(now),
                "reference": space.opposition_reference,
                "base_url": str(settings.CARNET_BASE_URL),
            },
            dedup_key=f"opposed:{space.public_id}:{space.opposition_reference}",
        )
    return space


def opposition_proof_downloaded(*, space: HealthSpace, actor: Actor) -> None:
    """R-LC-5: trace each download of the proof of opposition."""
    if space.status != SpaceStatus.OPPOSED:
        raise DomainError(_("Aucune opposition enregistrée pour ce profil."), code="not_opposed")
    with transaction.atomic():
        _trace_space(space=space, actor=actor, action="OPPOSITION_PROOF_DOWNLOADED")


# --- R-LC-20..23: closure, deletion, reopening --------------------------------------------------------


def space_close(
    *, space: HealthSpace, actor: Actor, password: str, user: AbstractBaseUser, request_deletion: bool
) -> HealthSpace:
    """R-LC-20/21/22: close the space after re-entering the password; optionally ask for deletion.

    Refused to caregivers and to a legal representative acting for an adult (R-DEL-2). The data are
    archived 10 years (``archived_until``); with a deletion request they are deleted at the latest
    ``CARNET_DELETION_DELAY_DAYS`` (≤ 3 months) later by ``spaces_apply_deadlines``. The holder is
    informed at once (R-LC-22). Logging out is the page's job.
    """
    _require_manager(space=space, actor=actor)
    _check_password(user=user, password=password)
    with transaction.atomic():
        _locked(space)
        now = clock.now()
        space_transition(
            space=space, to=SpaceStatus.CLOSED, actor=actor, motif="CLOTURE", action="SPACE_CLOSED"
        )
        _close_fields(space, now)
        if request_deletion:
            _deletion_fields(space, now)
            _trace_space(
                space=space,
                actor=actor,
                action="SPACE_DELETION_REQUESTED",
                details={"due": _iso(space.deletion_due_at)},
            )
        space.save()
        _notify_closed(space)
        if request_deletion:
            _notify_deletion_requested(space)
    return space


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def _deletion_fields(space: HealthSpace, now: datetime) -> None:
    space.deletion_status = DeletionStatus.REQUESTED
    space.deletion_requested_at = now
    space.deletion_due_at = now + timedelta(days=settings.CARNET_DELETION_DELAY_DAYS)


def _notify_deletion_requested(space: HealthSpace) -> None:
    assert space.deletion_requested_at is not None and space.deletion_due_at is not None
    _notify_holder(
        space=space,
        template="deletion_requested",
        params={
            "date": _date(space.deletion_requested_at),
            "due": _date(space.deletion_due_at),
            "base_url": str(settings.CARNET_BASE_URL),
        },
        dedup_key=f"deletion:{space.public_id}:{space.deletion_requested_at.isoformat()}",
    )


def space_deletion_request(
    *, space: HealthSpace, actor: Actor, password: str, user: AbstractBaseUser
) -> HealthSpace:
    """R-LC-22: ask for the deletion of an already CLOSED space's data (from the reopening page)."""
    _require_manager(space=space, actor=actor)
    _check_password(user=user, password=password)
    with transaction.atomic():
        _locked(space)
        if space.status != SpaceStatus.CLOSED or space.deletion_status in {
            DeletionStatus.REQUESTED,
            DeletionStatus.DONE,
        }:
            raise DomainError(
                _(
                    "Une demande de suppression n'est possible que pour un profil clôturé "
                    "sans demande en cours."
                ),
                code="invalid_transition",
            )
        _deletion_fields(space, clock.now())
        _trace_space(
            space=space,
            actor=actor,
            action="SPACE_DELETION_REQUESTED",
            details={"due": _iso(space.deletion_due_at)},
        )
        space.save()
        _notify_deletion_requested(space)
    return space


def space_deletion_cancel(*, space: HealthSpace, actor: Actor) -> HealthSpace:
    """R-LC-22: cancel a deletion request until it is done (``ANNULATION_DEMANDE_SUPPRESSION_DONNEES``)."""
    _require_manager(space=space, actor=actor)
    with transaction.atomic():
        _locked(space)
        if space.deletion_status != DeletionStatus.REQUESTED:
            raise DomainError(_("Aucune demande de suppression en cours."), code="no_deletion_request")
        now = clock.now()
        space.deletion_status = DeletionStatus.CANCELLED
        space.deletion_due_at = None
        _trace_space(space=space, actor=actor, action="SPACE_DELETION_CANCELLED")
        space.save()
        _notify_holder(
            space=space,
            template="deletion_cancelled",
            params={"date": _date(now)},
            dedup_key=f"deletion-cancel:{space.public_id}:{now.isoformat()}",
        )
    return space


def space_reopen(*, space: HealthSpace, actor: Actor) -> HealthSpace:
    """R-LC-23: a CLOSED space becomes ACTIVATED again; its archived data are simply kept.

    Refused while a deletion is pending (R-LC-22: "Demande de suppression des données en cours") and
    for a deceased holder (R-LC-27).
    """
    _require_manager(space=space, actor=actor)
    with transaction.atomic():
        _locked(space)
        if space.deletion_status == DeletionStatus.REQUESTED:
            raise DomainError(_("Demande de suppression des données en cours."), code="deletion_pending")
        if space.deceased_at is not None or space.person.deceased_on is not None:
            raise DomainError(_("Ce profil ne peut pas être rouvert."), code="deceased")
        if space.status != SpaceStatus.CLOSED:
            raise DomainError(
                _("Cette opération n'est pas possible dans l'état actuel du profil."),
                code="invalid_transition",
            )
        now = clock.now()
        space_transition(
            space=space, to=SpaceStatus.ACTIVATED, actor=actor, motif="REOUVERTURE", action="SPACE_REOPENED"
        )
        space.archived_until = None
        space.closed_at = None
        if space.deletion_status == DeletionStatus.CANCELLED:
            space.deletion_status = DeletionStatus.NONE
            space.deletion_requested_at = None
        if space.activated_at is None:
            space.activated_at = now
        space.save()
        _notify_holder(
            space=space,
            template="space_reopened",
            params={"date": _date(now)},
            dedup_key=f"reopened:{space.public_id}:{now.isoformat()}",
        )
    return space


# --- R-LC-24: suspension ----------------------------------------------------------------------------


def space_suspend(*, space: HealthSpace, actor: Actor, motif: str) -> HealthSpace:
    """R-LC-24: an operator suspends a space (serious malfunction, fraud); without objection within
    6 weeks (``CARNET_SUSPENSION_OBJECTION_DAYS``) it is closed by ``spaces_apply_deadlines``."""
    _require_operator(actor)
    motif = (motif or "").strip()
    if not motif:
        raise DomainError(_("Motif : indiquez le motif de la suspension."), code="motif", field="motif")
    with transaction.atomic():
        _locked(space)
        before = space.status
        space_transition(
            space=space, to=SpaceStatus.SUSPENDED, actor=actor, motif=motif[:64], action="SPACE_SUSPENDED"
        )
        now = clock.now()
        space.status_before_suspension = before
        space.suspended_at = now
        space.suspension_closes_at = now + timedelta(days=settings.CARNET_SUSPENSION_OBJECTION_DAYS)
        space.save()
        _notify_holder(
            space=space,
            template="space_suspended",
            params={
                "date": _date(now),
                "closes": _date(space.suspension_closes_at),
                "base_url": str(settings.CARNET_BASE_URL),
            },
            dedup_key=f"suspended:{space.public_id}:{now.isoformat()}",
        )
    return space


def _end_suspension(*, space: HealthSpace, actor: Actor, motif: str, action: str) -> HealthSpace:
    with transaction.atomic():
        _locked(space)
        if space.status != SpaceStatus.SUSPENDED:
            raise DomainError(_("Ce profil n'est pas suspendu."), code="not_suspended")
        previous = space.status_before_suspension or SpaceStatus.ACTIVATED
        space_transition(space=space, to=previous, actor=actor, motif=motif, action=action)
        now = clock.now()
        space.status_before_suspension = ""
        space.suspended_at = None
        space.suspension_closes_at = None
        space.save()
        _notify_holder(
            space=space,
            template="suspension_ended",
            params={"date": _date(now)},
            dedup_key=f"suspension-end:{space.public_id}:{now.isoformat()}",
        )
    return space


def space_suspension_object(*, space: HealthSpace, actor: Actor) -> HealthSpace:
    """R-LC-24: the holder objects within the 6 weeks → the space goes back to its previous status."""
    _require_manager(space=space, actor=actor)
    return _end_suspension(space=space, actor=actor, motif="CONTESTATION", action="SPACE_SUSPENSION_OBJECTED")


def space_suspension_lift(*, space: HealthSpace, actor: Actor) -> HealthSpace:
    """R-LC-24: an operator lifts the suspension → the previous status."""
    _require_operator(actor)
    return _end_suspension(space=space, actor=actor, motif="LEVEE", action="SPACE_SUSPENSION_LIFTED")


# --- R-LC-27: death ---------------------------------------------------------------------------------


def space_record_death(*, space: HealthSpace, actor: Actor, died_on: date) -> HealthSpace:
    """R-LC-27: the holder died → flag, close (10-year archive), stop notifications, end delegations.

    Recorded from the health-insurance register (INSURANCE) or by an operator. Messages queued for
    this patient and not yet sent are cancelled (marked sent with ``last_error`` "cancelled:
    deceased") and ``_notify_holder`` queues nothing more. Access by relatives is an offline procedure.
    """
    _require_operator(actor, ActorKind.OPERATOR, ActorKind.INSURANCE)
    if died_on > clock.today():
        raise DomainError(
            _("Date de décès : la date ne peut pas être dans le futur."), code="died_on", field="died_on"
        )
    with transaction.atomic():
        _locked(space)
        if space.deceased_at is not None:
            raise DomainError(_("Le décès est déjà enregistré."), code="already_deceased")
        now = clock.now()
        person = space.person
        person.deceased_on = died_on
        person.updated_at = now
        person.save(update_fields=["deceased_on", "updated_at"])
        space.deceased_at = now
        _trace_space(
            space=space, actor=actor, action="SPACE_DEATH_RECORDED", details={"died_on": died_on.isoformat()}
        )
        if SpaceStatus.CLOSED in TRANSITIONS[space.status]:
            space_transition(
                space=space, to=SpaceStatus.CLOSED, actor=actor, motif="DECES", action="SPACE_CLOSED"
            )
            _close_fields(space, now)
        ProvisionalCode.objects.filter(space=space, used_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=now
        )
        for delegation in Delegation.objects.filter(
            subject=person, status__in=[DelegationStatus.ACCEPTED, DelegationStatus.PENDING]
        ):
            _delegation_end(delegation=delegation, actor=actor, status=DelegationStatus.ENDED, reason="DECES")
        space.save()
        outbox_cancel_for_patient(patient_id=space.patient_id, reason="PatientDeceased")
    return space


def _delegation_end(*, delegation: Delegation, actor: Actor, status: str, reason: str) -> None:
    before = delegation.status
    delegation.status = status
    delegation.end_date = clock.now()
    delegation.save(update_fields=["status", "end_date"])
    trace(
        actor=actor,
        action="DELEGATION_ENDED" if status == DelegationStatus.ENDED else "DELEGATION_EXPIRED",
        patient_id=delegation.patient_id,
        group="general",
        object_type="delegation",
        object_id=str(delegation.public_id),
        details={"from": before, "to": status, "kind": delegation.kind, "reason": reason},
    )


# --- R-LC-25/26: export -----------------------------------------------------------------------------


def export_request(*, space: HealthSpace, actor: Actor, user: AbstractBaseUser | None) -> ExportRequest:
    """R-LC-25: ask for an asynchronous export; the task "spaces.build_export" builds it.

    R-DEL-2: refused to caregivers. R-LC-26: available before closure and after it until deletion.
    One export at a time: while one is being prepared, asking again returns it.
    """
    _require_manager(space=space, actor=actor)
    if space.status not in {SpaceStatus.OPEN_NOT_ACTIVATED, SpaceStatus.ACTIVATED, SpaceStatus.CLOSED} or (
        space.deletion_status == DeletionStatus.DONE
    ):
        raise DomainError(_("L'export n'est pas disponible pour ce profil."), code="export_unavailable")
    from carnet.tasks import enqueue

    with transaction.atomic():
        _locked(space)
        pending = ExportRequest.objects.filter(
            patient_id=space.patient_id, space=space, status=ExportStatus.PENDING
        ).first()
        if pending is not None:
            return pending
        export = ExportRequest.objects.create(
            space=space,
            patient_id=space.patient_id,
            requested_by_id=user.pk if user is not None and user.pk else None,
            created_at=clock.now(),
        )
        trace(
            actor=actor,
            action="EXPORT_REQUESTED",
            patient_id=space.patient_id,
            group="general",
            object_type="export",
            object_id=str(export.public_id),
        )
        enqueue("spaces.build_export", export_id=export.pk)
    return export


def export_downloaded(*, export: ExportRequest, actor: Actor) -> None:
    """R-LC-25: each download of an export archive is traced ("EXPORT_DOWNLOADED")."""
    with transaction.atomic():
        trace(
            actor=actor,
            action="EXPORT_DOWNLOADED",
            patient_id=export.patient_id,
            group="general",
            object_type="export",
            object_id=str(export.public_id),
        )


# --- the scheduled job -------------------------------------------------------------------------------

DEADLINE_BATCH = 500


def _batched_ids(queryset: QuerySet[Any]) -> Iterator[int]:
    """Primary keys of ``queryset`` in ascending batches (keyset pagination: safe while rows change)."""
    last = 0
    while True:
        ids = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:DEADLINE_BATCH])
        if not ids:
            return
        yield from ids
        last = ids[-1]


def _open_one(pk: int, moment: datetime, actor: Actor) -> bool:
    """R-LC-3: no opposition within 6 weeks → OPEN_NOT_ACTIVATED (the code expired with the window)."""
    with transaction.atomic():
        space = (
            HealthSpace.objects.select_for_update(of=("self",))
            .filter(pk=pk, status=SpaceStatus.INFORMED, opening_due_at__lte=moment)
            .first()
        )
        if space is None:
            return False
        space_transition(
            space=space,
            to=SpaceStatus.OPEN_NOT_ACTIVATED,
            actor=actor,
            motif="OUVERTURE_AUTO",
            action="SPACE_OPENED",
        )
        space.opened_at = clock.now()
        space.save()
    return True


def _delete_one(pk: int, moment: datetime, actor: Actor, *, requested: bool) -> bool:
    """R-LC-22 (requested deletion, ≤ 3 months) or R-LC-21 (end of the 10-year archive) → DELETED, and
    the erasure transaction (``erasure.space_erase``, ADR 0008): everything of the space goes, the person
    row is anonymised, the signed certificate is queued to the holder's address."""
    with transaction.atomic():
        base = HealthSpace.objects.select_for_update(of=("self",)).select_related("person")
        if requested:
            space = base.filter(
                pk=pk,
                status=SpaceStatus.CLOSED,
                deletion_status=DeletionStatus.REQUESTED,
                deletion_due_at__lte=moment,
            ).first()
        else:
            space = base.filter(pk=pk, status=SpaceStatus.CLOSED, archived_until__lte=moment).first()
        if space is None:
            return False
        motif = erasure.REQUESTED if requested else erasure.ARCHIVE_END
        space_transition(
            space=space, to=SpaceStatus.DELETED, actor=actor, motif=motif, action="SPACE_DELETED"
        )
        for delegation in Delegation.objects.filter(
            Q(subject_id=space.patient_id) | Q(delegate_id=space.patient_id),
            status__in=[DelegationStatus.ACCEPTED, DelegationStatus.PENDING],
        ):
            _delegation_end(
                delegation=delegation, actor=actor, status=DelegationStatus.ENDED, reason="SUPPRESSION"
            )
        erasure.space_erase(space=space, actor=actor, motif=motif, full=True)
    return True


def _erase_opposed_one(pk: int, moment: datetime, actor: Actor) -> bool:
    """R-LC-21 for a space opposed after opening: its archive ends, the status stays OPPOSED; the
    opposition, its proof and the identity that honours it stay too (``erasure.space_erase``, content)."""
    with transaction.atomic():
        space = (
            HealthSpace.objects.select_for_update(of=("self",))
            .select_related("person")
            .filter(pk=pk, status=SpaceStatus.OPPOSED, archived_until__lte=moment, deleted_at__isnull=True)
            .first()
        )
        if space is None:
            return False
        _trace_space(space=space, actor=actor, action="SPACE_DATA_ERASED", details={"motif": "FIN_ARCHIVAGE"})
        erasure.space_erase(space=space, actor=actor, motif=erasure.OPPOSED_ARCHIVE_END, full=False)
    return True


def _close_suspended_one(pk: int, moment: datetime, actor: Actor) -> bool:
    """R-LC-24: no objection within 6 weeks of the suspension → CLOSED (10-year archive)."""
    with transaction.atomic():
        space = (
            HealthSpace.objects.select_for_update(of=("self",))
            .select_related("person")
            .filter(pk=pk, status=SpaceStatus.SUSPENDED, suspension_closes_at__lte=moment)
            .first()
        )
        if space is None:
            return False
        space_transition(
            space=space,
            to=SpaceStatus.CLOSED,
            actor=actor,
            motif="SUSPENSION_SANS_CONTESTATION",
            action="SPACE_CLOSED",
        )
        _close_fields(space, clock.now())
        space.save()
        _notify_closed(space)
    return True


def _majority_one(pk: int, today: date, actor: Actor) -> bool:
    """R-MIN-7 [I]: the holder turned 18.

    "handover": legal representations end, a space activated by the parent goes back to
    OPEN_NOT_ACTIVATED and the young adult receives a new provisional code at his own address.
    "keep": nothing but the bookkeeping. Either way ``majority_handled_at`` is set (idempotence).
    """
    with transaction.atomic():
        space = (
            HealthSpace.objects.select_for_update(of=("self",))
            .select_related("person")
            .filter(pk=pk, majority_handled_at__isnull=True)
            .first()
        )
        if space is None:
            return False
        person = space.person
        now = clock.now()
        majority_day = clock.add_years(
            datetime(person.birth_date.year, person.birth_date.month, person.birth_date.day, tzinfo=UTC),
            settings.CARNET_MAJORITY_AGE,
        ).date()
        if majority_day > today:
            return False
        space.majority_handled_at = now
        if (
            timezone.localtime(space.created_at).date() >= majority_day
        ):  # created for an adult: nothing to hand over
            space.save(update_fields=["majority_handled_at"])
            return False
        handover = settings.CARNET_MAJORITY_POLICY == "handover"
        if handover and space.status != SpaceStatus.DELETED and person.deceased_on is None:
            for delegation in Delegation.objects.filter(
                subject=person,
                kind=DelegationKind.LEGAL_REPRESENTATION,
                status__in=[DelegationStatus.ACCEPTED, DelegationStatus.PENDING],
            ):
                _delegation_end(
                    delegation=delegation, actor=actor, status=DelegationStatus.ENDED, reason="MAJORITE"
                )
            own_account = getattr(person, "account", None) is not None
            if space.status == SpaceStatus.ACTIVATED and not own_account:
                space_transition(
                    space=space,
                    to=SpaceStatus.OPEN_NOT_ACTIVATED,
                    actor=actor,
                    motif="MAJORITE",
                    action="SPACE_MAJORITY_HANDOVER",
                )
            space.save()
            if space.status in {SpaceStatus.INFORMED, SpaceStatus.OPEN_NOT_ACTIVATED}:
                provisional_code_issue(space=space, actor=actor, template="majority_code")
        else:
            space.save(update_fields=["majority_handled_at"])
        _trace_space(
            space=space,
            actor=actor,
            action="SPACE_MAJORITY_HANDLED",
            details={"policy": str(settings.CARNET_MAJORITY_POLICY)},
        )
    return True


def _expire_export_one(pk: int, moment: datetime, actor: Actor) -> bool:
    """R-LC-26 [I]: an export archive is kept ``CARNET_EXPORT_RETENTION_DAYS`` days."""
    with transaction.atomic():
        export = (
            ExportRequest.objects.select_for_update(of=("self",))
            .select_related("blob")
            .filter(pk=pk, status=ExportStatus.READY, expires_at__lte=moment)
            .first()
        )
        if export is None:
            return False
        if export.blob is not None:
            blob_delete(export.blob)
        export.blob = None
        export.status = ExportStatus.EXPIRED
        export.save(update_fields=["blob", "status"])
        trace(
            actor=actor,
            action="EXPORT_EXPIRED",
            patient_id=export.patient_id,
            group="general",
            object_type="export",
            object_id=str(export.public_id),
        )
    return True


def _expire_delegation_one(pk: int, moment: datetime, actor: Actor) -> bool:
    """R-DEL-2: a pending invitation past its ``expires_at`` becomes EXPIRED."""
    with transaction.atomic():
        delegation = (
            Delegation.objects.select_for_update(of=("self",))
            .filter(pk=pk, status=DelegationStatus.PENDING, expires_at__lte=moment)
            .first()
        )
        if delegation is None:
            return False
        _delegation_end(
            delegation=delegation, actor=actor, status=DelegationStatus.EXPIRED, reason="EXPIRATION"
        )
    return True


def _count_erasure(counts: dict[str, int], key: str, pk: int, erase_one: Callable[[int], bool]) -> None:
    """One erasure that cannot complete (``erasure.ErasureIncomplete``: rows nobody erased) is rolled
    back, logged and counted; the others go on. The next run tries it again. The log names the tables
    (a missing eraser is a code defect) but not the space: "space X has rows in profile_allergy" would be
    health data in a log."""
    try:
        counts[key] += erase_one(pk)
    except erasure.ErasureIncomplete as exc:
        log.error("an erasure was rolled back: %s", exc)
        counts["erasures_failed"] += 1


def spaces_apply_deadlines(*, now: datetime | None = None) -> dict[str, int]:
    """The one scheduled lifecycle job (R-LC-3, R-LC-21/22, R-LC-24, R-MIN-7, R-LC-26, R-DEL-2).

    Set-based: each step selects its rows by an indexed due column, in batches, and moves each row
    in its own transaction after re-checking the condition under a row lock. Idempotent: a second
    run finds nothing left to do and returns zeros. ``now`` defaults to the injectable clock.
    """
    moment = now or clock.now()
    today = timezone.localtime(moment).date()
    actor = Actor.system("spaces.apply_deadlines")
    counts = {
        "opened": 0,
        "deleted_on_request": 0,
        "purged_after_archive": 0,
        "opposed_archives_erased": 0,
        "suspensions_closed": 0,
        "majority_handled": 0,
        "exports_expired": 0,
        "delegations_expired": 0,
        "erasure_notices_settled": 0,
        "erasures_failed": 0,
    }
    spaces = HealthSpace.objects.all()
    for pk in _batched_ids(spaces.filter(status=SpaceStatus.INFORMED, opening_due_at__lte=moment)):
        counts["opened"] += _open_one(pk, moment, actor)
    for pk in _batched_ids(
        spaces.filter(
            status=SpaceStatus.CLOSED, deletion_status=DeletionStatus.REQUESTED, deletion_due_at__lte=moment
        )
    ):
        _count_erasure(
            counts, "deleted_on_request", pk, lambda pk: _delete_one(pk, moment, actor, requested=True)
        )
    for pk in _batched_ids(spaces.filter(status=SpaceStatus.CLOSED, archived_until__lte=moment)):
        _count_erasure(
            counts, "purged_after_archive", pk, lambda pk: _delete_one(pk, moment, actor, requested=False)
        )
    for pk in _batched_ids(
        spaces.filter(status=SpaceStatus.OPPOSED, archived_until__lte=moment, deleted_at__isnull=True)
    ):
        _count_erasure(
            counts, "opposed_archives_erased", pk, lambda pk: _erase_opposed_one(pk, moment, actor)
        )
    for pk in _batched_ids(spaces.filter(status=SpaceStatus.SUSPENDED, suspension_closes_at__lte=moment)):
        counts["suspensions_closed"] += _close_suspended_one(pk, moment, actor)
    cutoff = clock.add_years(
        datetime(today.year, today.month, today.day, tzinfo=UTC), -settings.CARNET_MAJORITY_AGE
    ).date()
    for pk in _batched_ids(spaces.filter(majority_handled_at__isnull=True, person__birth_date__lte=cutoff)):
        counts["majority_handled"] += _majority_one(pk, today, actor)
    for pk in _batched_ids(ExportRequest.objects.filter(status=ExportStatus.READY, expires_at__lte=moment)):
        counts["exports_expired"] += _expire_export_one(pk, moment, actor)
    for pk in _batched_ids(
        Delegation.objects.filter(status=DelegationStatus.PENDING, expires_at__lte=moment)
    ):
        counts["delegations_expired"] += _expire_delegation_one(pk, moment, actor)
    counts["erasure_notices_settled"] = erasure.erasure_notices_settle(now=moment)
    return counts
