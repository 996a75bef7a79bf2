"""From the identifiers callers give (public ids, INS) to the registry's rows. Not a policy: an unknown
patient or professional answers the same 404 as a forbidden one (``NotFoundOrForbidden``)."""

from __future__ import annotations

import uuid

from django.db import connection
from django.utils.translation import gettext_lazy as _

from carnet.accounts.models import Role, User
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.common.rawsql import Columns, column, fetchone, link, per_vendor, table
from carnet.identity.models import Organisation, Person, Professional
from carnet.identity.selectors import person_find_by_ins
from carnet.spaces.models import HealthSpace

NOT_FOUND = _("Dossier introuvable ou action non autorisée.")
INS_OIDS = frozenset(
    {
        "1.2.250.1.213.1.4.8",  # INS-NIR
        "1.2.250.1.213.1.4.9",  # INS-NIA
        "1.2.250.1.213.1.4.10",  # INS-NIR test
        "1.2.250.1.213.1.4.11",  # INS-NIA test
    }
)


def _not_found(field: str = "patient") -> NotFoundOrForbidden:
    return NotFoundOrForbidden(NOT_FOUND, code="not_found", field=field)


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


_PERSON = Columns(Person, "p")
_SPACE = Columns(HealthSpace, "s")


def patient_by_public_id(value: object) -> Person:
    """The person behind a public id, with his space cached (``access.gateway.access_scope`` reuses both).

    On every API read: one statement of plain SQL (``carnet.common.rawsql``), not an ORM query."""
    wanted = _uuid(value)
    if wanted is None:
        raise _not_found()
    row = fetchone(
        _patient_sql(),
        [Person._meta.get_field("public_id").get_db_prep_value(wanted, connection, prepared=False)],
    )
    person = _PERSON.load(row) if row is not None else None
    if row is None or person is None:
        raise _not_found()
    link(person, "space", _SPACE.load(row, _PERSON.width))
    return person


@per_vendor
def _patient_sql() -> str:
    return (
        f"SELECT {_PERSON.sql()}, {_SPACE.sql()} FROM {table(Person)} p "  # noqa: S608 - names from _meta
        f"LEFT JOIN {table(HealthSpace)} s ON s.{column(HealthSpace, 'person')} = p.id "
        f"WHERE p.{column(Person, 'public_id')} = %s"
    )


def patient_by_ins(matricule: str, oid: str | None = None) -> Person:
    """INS matricule (+ optional OID, with or without ``urn:oid:``) → the person, else 404."""
    person = person_find_by_ins((matricule or "").strip())
    if person is None:
        raise _not_found()
    if oid:
        oid = oid.removeprefix("urn:oid:")
        if oid != person.ins_oid:
            raise _not_found()
    return person


def patient_from_ref(*, id: object = None, ins: str | None = None, ins_oid: str | None = None) -> Person:
    if id is not None:
        return patient_by_public_id(id)
    if ins:
        return patient_by_ins(ins, ins_oid)
    raise DomainError(_("Indiquez le patient (identifiant ou INS)."), code="required", field="patient")


def professional_by_public_id(value: object) -> Professional:
    wanted = _uuid(value)
    found = Professional.objects.filter(public_id=wanted).first() if wanted is not None else None
    if found is None:
        raise _not_found("professional")
    return found


def organisation_by_public_id(value: object) -> Organisation:
    wanted = _uuid(value)
    found = Organisation.objects.filter(public_id=wanted).first() if wanted is not None else None
    if found is None:
        raise _not_found("organisation_id")
    return found


def professional_of_user(user: User | None) -> Professional | None:
    """The calling professional's directory entry with its access qualification, read ONCE per request.

    The row is set on ``user.professional`` so ``common.users.actor_for_user`` uses it instead of
    loading it again, and it carries ``user`` as its cached ``account``: ``access.gateway.access_scope``
    (given ``professional=``) checks that link without a query. Not a policy: ``None`` for anyone else,
    and the gateway still resolves and checks the actor itself.
    """
    if user is None or user.role != Role.PROFESSIONAL or user.professional_id is None:
        return None
    relation = User._meta.get_field("professional")
    if relation.is_cached(user):  # loaded with the user (accounts.backends)
        cached: Professional | None = user.professional
        if cached is not None and Professional._meta.get_field("access_qualification").is_cached(cached):
            return cached
    found = next(
        iter(Professional.objects.select_related("access_qualification").filter(pk=user.professional_id)[:1]),
        None,
    )
    if found is not None:
        user.professional = found  # also caches found.account = user (one-to-one)
    return found
