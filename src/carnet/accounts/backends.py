"""The authentication backend: Django's ``ModelBackend`` (argon2 passwords, ``is_active``) with a
per-request user load in ONE statement.

Every authenticated request loads the session's user; the JSON API then needs the professional's
directory row and access qualification (``api.resolvers.professional_of_user``, the access gateway) or
the patient's person (``api.auth.Caller.actor_for``). ``ModelBackend.get_user`` reads the user alone and
each relation costs one more ORM query later (0.3–1 ms of query compilation each, bench/README.md).
Here the user, his person, his professional and that professional's qualification come from one
``SELECT`` with LEFT JOINs, hydrated with the ORM's converters (``carnet.common.rawsql``) and cached on
the instances exactly as ``select_related`` would, so no later access queries again.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connection

from carnet.access.models import ProfessionalQualification
from carnet.common.rawsql import Columns, column, fetchone, link, per_vendor, table
from carnet.identity.models import Person, Professional

from .models import User

BACKEND_PATH = "carnet.accounts.backends.AccountBackend"

_USER = Columns(User, "u")
_PERSON = Columns(Person, "pe")
_PROFESSIONAL = Columns(Professional, "pr")
_QUALIFICATION = Columns(ProfessionalQualification, "q")


@per_vendor
def _sql() -> str:
    return (
        f"SELECT {_USER.sql()}, {_PERSON.sql()}, {_PROFESSIONAL.sql()}, {_QUALIFICATION.sql()} "  # noqa: S608 - names from _meta
        f"FROM {table(User)} u "
        f"LEFT JOIN {table(Person)} pe ON pe.id = u.{column(User, 'person')} "
        f"LEFT JOIN {table(Professional)} pr ON pr.id = u.{column(User, 'professional')} "
        f"LEFT JOIN {table(ProfessionalQualification)} q "
        f"ON q.{column(ProfessionalQualification, 'professional')} = pr.id "
        "WHERE u.id = %s"
    )


def user_with_relations(user_id: Any) -> User | None:
    """The user with ``person``, ``professional`` and ``professional.access_qualification`` cached."""
    row = fetchone(_sql(), [user_id])
    if row is None:
        return None
    user = _USER.load(row, 0)
    assert user is not None
    start = _USER.width
    person = _PERSON.load(row, start)
    start += _PERSON.width
    professional = _PROFESSIONAL.load(row, start)
    start += _PROFESSIONAL.width
    link(user, "person", person)
    link(user, "professional", professional)
    if professional is not None:
        link(professional, "access_qualification", _QUALIFICATION.load(row, start))
    return user


class AccountBackend(ModelBackend):
    """``ModelBackend`` whose per-request ``get_user`` loads the user and his relations in one query."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = User._meta.pk.to_python(user_id)
        except (TypeError, ValueError, ValidationError):  # a tampered session id is simply no user
            return None
        low, high = connection.ops.integer_field_range(User._meta.pk.get_internal_type())
        if pk is None or not low <= pk <= high:  # out of the column's range: no such row (as the ORM says)
            return None
        user = user_with_relations(pk)
        return user if user is not None and self.user_can_authenticate(user) else None
