"""Reads for the operator back-office. Administrative data only, never medical content.

What an operator may see of a person (decision recorded in docs/subsystems/backoffice.md):
birth name, first first-name and birth year — enough to support someone on the phone — and the
space's status, motif and lifecycle dates. Contact details (e-mail, phone) are shown only while a
support request linked to that person is open or in progress. The NIR is never displayed: it is only
accepted as a search key in a POST form and never echoed back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from carnet.audit.selectors import traces_for_patient
from carnet.identity.models import Person
from carnet.identity.validators import normalise_nir
from carnet.spaces.models import HealthSpace, SpaceStatus

from .models import SupportRequest, SupportStatus

PAGE_SIZE = 50
ACTIVE_SUPPORT_STATUSES = (SupportStatus.OPEN, SupportStatus.IN_PROGRESS)

# Only these columns of HealthSpace and Person are ever loaded for operator pages.
SPACE_FIELDS = (
    "id",
    "public_id",
    "status",
    "motif",
    "status_changed_at",
    "created_at",
    "informed_at",
    "opening_due_at",
    "opened_at",
    "activated_at",
    "opposed_at",
    "closed_at",
    "archived_until",
    "deletion_status",
    "deletion_due_at",
    "suspended_at",
    "suspension_closes_at",
    "deceased_at",
    "person__id",
    "person__birth_name",
    "person__first_names",
    "person__birth_date",
    "person__deceased_on",
)


def _spaces() -> QuerySet[HealthSpace]:
    return HealthSpace.objects.select_related("person").only(*SPACE_FIELDS)


def space_status_counts() -> list[tuple[str, str, int]]:
    """(status, label, count) for every status, zeros included, in the state machine's order."""
    counts = dict(
        HealthSpace.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    return [(value, str(label), counts.get(value, 0)) for value, label in SpaceStatus.choices]


def support_request_counts() -> dict[str, int]:
    counts = dict(
        SupportRequest.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    return {value: counts.get(value, 0) for value in SupportStatus.values}


def space_list_for_operator(*, status: str = "") -> QuerySet[HealthSpace]:
    """Spaces, newest status change first, optionally filtered on a known status."""
    spaces = _spaces()
    if status in SpaceStatus.values:
        spaces = spaces.filter(status=status)
    return spaces.order_by("-status_changed_at", "-id")


def space_get_for_operator(*, public_id: uuid.UUID | str) -> HealthSpace | None:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return _spaces().filter(public_id=key).first()


def space_find_for_operator(*, query: str) -> HealthSpace | None:
    """A space by its public id or by the holder's exact NIR (15 characters, spaces ignored)."""
    query = (query or "").strip()
    if not query:
        return None
    try:
        return _spaces().filter(public_id=uuid.UUID(query)).first()
    except ValueError:
        pass
    nir = normalise_nir(query)
    if len(nir) != 15:
        return None
    return _spaces().filter(person__ins_matricule=nir).first()


def person_has_active_support_request(person_id: int) -> bool:
    return SupportRequest.objects.filter(person_id=person_id, status__in=ACTIVE_SUPPORT_STATUSES).exists()


@dataclass(frozen=True)
class PersonContact:
    email: str
    phone: str


def person_contact_for_operator(*, person_id: int) -> PersonContact | None:
    """The person's contact details, only while one of his support requests is open or in progress."""
    if not person_has_active_support_request(person_id):
        return None
    row = Person.objects.filter(pk=person_id).values("email", "phone").first()
    return PersonContact(email=row["email"], phone=row["phone"]) if row else None


@dataclass(frozen=True)
class TraceLine:
    action: str
    at: datetime
    actor_kind: str


def space_general_traces(*, space: HealthSpace, limit: int = 200) -> list[TraceLine]:
    """The space's "general" group traces, newest first: action, date and actor kind only (no details)."""
    rows = (
        traces_for_patient(space.patient_id)
        .filter(group="general")
        .order_by("-at", "-id")
        .values_list("action", "at", "actor_kind")[:limit]
    )
    return [TraceLine(action=a, at=at, actor_kind=k) for a, at, k in rows]


def support_request_list(*, status: str = "") -> QuerySet[SupportRequest]:
    """Support requests, oldest first (a queue), with ``space_public_id`` when the requester has a space.

    The person row itself is not loaded: the list shows category, status, dates and the contact e-mail
    the requester typed (only while the request is active).
    """
    requests = SupportRequest.objects.annotate(
        space_public_id=Subquery(
            HealthSpace.objects.filter(person_id=OuterRef("person_id")).values("public_id")[:1]
        )
    )
    if status in SupportStatus.values:
        requests = requests.filter(status=status)
    return requests.order_by("created_at", "id")


def support_request_get(*, public_id: uuid.UUID | str) -> SupportRequest | None:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return SupportRequest.objects.filter(public_id=key).first()


def identity_summary(space: HealthSpace) -> dict[str, Any]:
    """The part of the holder's identity operators may see (see module docstring)."""
    person = space.person
    if space.status == SpaceStatus.DELETED:  # ADR 0008: the person row was anonymised
        return {"birth_name": _("Identité effacée"), "first_name": "", "birth_year": "—", "deceased": False}
    return {
        "birth_name": person.birth_name,
        "first_name": person.first_name,
        "birth_year": person.birth_date.year,
        "deceased": space.deceased_at is not None or person.deceased_on is not None,
    }
