"""Operator and support-desk use cases (writes). One transaction each, traced with the acting user.

Operators never see or change medical content (ARCHITECTURE "operator staff"): the only acts here are
support-request handling, the consultation of a space's administrative data, and two lifecycle
transitions owned by ``carnet.spaces.services`` (R-LC-24 suspension, R-LC-27 death), which this
module only calls with an OPERATOR actor.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from carnet.accounts.models import Role, User
from carnet.audit.services import trace
from carnet.common import clock
from carnet.common.actors import Actor, ActorKind
from carnet.common.errors import DomainError
from carnet.identity.models import Person
from carnet.notifications.models import Channel
from carnet.notifications.services import notify
from carnet.spaces.models import HealthSpace

from .messages import SUPPORT_REQUEST_RECEIVED
from .models import SupportCategory, SupportRequest, SupportStatus

# OPEN → IN_PROGRESS → CLOSED; an OPEN request may also be closed directly (duplicates, spam).
SUPPORT_TRANSITIONS: dict[str, set[str]] = {
    SupportStatus.OPEN: {SupportStatus.IN_PROGRESS, SupportStatus.CLOSED},
    SupportStatus.IN_PROGRESS: {SupportStatus.CLOSED},
    SupportStatus.CLOSED: set(),
}

_ROLE_KIND = {
    Role.PATIENT: ActorKind.PATIENT,
    Role.PROFESSIONAL: ActorKind.PROFESSIONAL,
    Role.OPERATOR: ActorKind.OPERATOR,
}


def actor_for_user(user: User) -> Actor:
    """The actor of an authenticated user; its label is what a patient reads in his history."""
    kind = _ROLE_KIND[Role(user.role)]
    label = "Opérateur Carnet" if kind == ActorKind.OPERATOR else ""
    return Actor(kind, str(user.public_id), label=label, user_id=user.pk, person_id=user.person_id)


def operator_actor(user: User) -> Actor:
    """The OPERATOR actor of a back-office act; refuses any other role (defence in depth)."""
    if user.role != Role.OPERATOR:
        raise DomainError(_("Seul un opérateur peut effectuer cette action."), code="not_operator")
    return actor_for_user(user)


# --- support requests -----------------------------------------------------------------------------


def support_request_create(
    *, category: str, contact_email: str, user: User | None = None, language: str = "fr"
) -> SupportRequest:
    """Record a support request from the public form (``/aide/``), anonymous or logged in.

    There is no free text on purpose: a request never holds medical content. A logged-in patient's
    request is linked to his person, which lets operators see his contact details while it is open.
    The acknowledgement e-mail is deduplicated per address and day, so the form cannot be used to
    flood someone's mailbox.
    """
    errors: list[DomainError] = []
    if category not in SupportCategory.values:
        errors.append(
            DomainError(
                _("Catégorie : choisissez une catégorie dans la liste."), code="category", field="category"
            )
        )
    email = (contact_email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        errors.append(
            DomainError(
                _("Adresse e-mail de contact : saisissez une adresse valide, par exemple nom@exemple.fr."),
                code="contact_email",
                field="contact_email",
            )
        )
    if errors:
        raise errors[0]
    person: Person | None = None
    if user is not None and user.is_authenticated and user.role == Role.PATIENT:
        person = user.person
    actor = (
        actor_for_user(user) if user is not None and user.is_authenticated else Actor.system("support-form")
    )
    now = clock.now()
    with transaction.atomic():
        request = SupportRequest.objects.create(
            person=person,
            category=category,
            contact_email=email,
            status=SupportStatus.OPEN,
            created_at=now,
            updated_at=now,
        )
        trace(
            actor=actor,
            action="SUPPORT_REQUEST_CREATED",
            patient_id=person.pk if person is not None else None,
            group="general",
            object_type="support_request",
            object_id=str(request.public_id),
            details={"category": category},
        )
        notify(
            patient_id=person.pk if person is not None else None,
            channel=Channel.EMAIL,
            address=email,
            template=SUPPORT_REQUEST_RECEIVED,
            params={"reference": request.reference},
            dedup_key=f"support-ack:{email.lower()}:{clock.today().isoformat()}",
            language=language if language in {"fr", "en"} else "fr",
        )
    return request


def support_request_set_status(*, request: SupportRequest, status: str, operator: User) -> SupportRequest:
    """Move a support request along OPEN → IN_PROGRESS → CLOSED (traced with the operator)."""
    actor = operator_actor(operator)
    if status not in SupportStatus.values:
        raise DomainError(_("Statut : choisissez un statut dans la liste."), code="status", field="status")
    with transaction.atomic():
        current = SupportRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
        if status not in SUPPORT_TRANSITIONS[current.status]:
            raise DomainError(
                _("Statut : une demande « %(current)s » ne peut pas passer à « %(target)s ».")
                % {"current": current.get_status_display(), "target": SupportStatus(status).label},
                code="invalid_transition",
                field="status",
            )
        before = current.status
        now = clock.now()
        current.status = status
        current.updated_at = now
        current.handled_by = operator
        if status == SupportStatus.CLOSED:
            current.closed_at = now
        current.save(update_fields=["status", "updated_at", "handled_by", "closed_at"])
        trace(
            actor=actor,
            action="SUPPORT_REQUEST_STATUS_CHANGED",
            patient_id=current.person_id,
            group="general",
            object_type="support_request",
            object_id=str(current.public_id),
            details={"from": before, "to": status},
        )
    return current


# --- spaces ---------------------------------------------------------------------------------------


def space_consult_by_operator(*, space: HealthSpace, operator: User) -> None:
    """Trace that an operator opened a space's administrative page (reads are traced too)."""
    actor = operator_actor(operator)
    with transaction.atomic():
        trace(
            actor=actor,
            action="OPERATOR_SPACE_VIEWED",
            patient_id=space.patient_id,
            group="general",
            object_type="space",
            object_id=str(space.public_id),
        )


def _space_service(name: str) -> Any:
    """The lifecycle transition ``name`` of ``carnet.spaces.services`` (imported lazily)."""
    from carnet.spaces import services as space_services

    func = getattr(space_services, name, None)
    if func is None:
        raise DomainError(_("Cette action n'est pas encore disponible."), code="not_available")
    return func


def operator_space_suspend(*, space: HealthSpace, operator: User, motif: str) -> HealthSpace:
    """R-LC-24: suspend a space on fraud or serious malfunction (closed after 6 weeks without objection).

    The transition, its trace and the holder's notification belong to ``spaces.space_suspend``; this
    function only checks the operator and passes an OPERATOR actor.
    """
    actor = operator_actor(operator)
    func = _space_service("space_suspend")
    # Hand over a fully loaded row (operator selectors load only administrative columns).
    full = HealthSpace.objects.select_related("person").get(pk=space.pk)
    result: HealthSpace = func(space=full, actor=actor, motif=motif)
    return result


def operator_space_record_death(*, space: HealthSpace, operator: User, died_on: date) -> HealthSpace:
    """R-LC-27: record the holder's death (the space is closed, notifications stop, "deceased" flag kept)."""
    actor = operator_actor(operator)
    if died_on > clock.today():
        raise DomainError(
            _("Date du décès : la date ne peut pas être dans le futur."),
            code="died_on_future",
            field="died_on",
        )
    func = _space_service("space_record_death")
    full = HealthSpace.objects.select_related("person").get(pk=space.pk)
    result: HealthSpace = func(space=full, actor=actor, died_on=died_on)
    return result
