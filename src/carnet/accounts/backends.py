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
from carnet.common.rawsql import Columns, fetchone, link
from carnet.identity.models import Person, Professional

from .models import User

BACKEND_PATH = "carnet.accounts.backends.AccountBackend"

_USER = Columns(User, "u")
_PERSON = Columns(Person, "pe")
_PROFESSIONAL = Columns(Professional, "pr")
_QUALIFICATION = Columns(ProfessionalQualification, "q")
_SQL: dict[str, str] = {}


def _sql() -> str:
    vendor = connection.vendor
    if vendor not in _SQL:
        q = connection.ops.quote_name
        user = User._meta
        pro_fk = user.get_field("professional").column
        person_fk = user.get_field("person").column
        qual_fk = ProfessionalQualification._meta.get_field("professional").column
        _SQL[vendor] = (
            f"SELECT {_USER.sql()}, {_PERSON.sql()}, {_PROFESSIONAL.sql()}, {_QUALIFICATION.sql()} "  # noqa: S608 - names from _meta
            f"FROM {q(user.db_table)} u "
            f"LEFT JOIN {q(Person._meta.db_table)} pe ON pe.{q('id')} = u.{q(person_fk)} "
            f"LEFT JOIN {q(Professional._meta.db_table)} pr ON pr.{q('id')} = u.{q(pro_fk)} "
            f"LEFT JOIN {q(ProfessionalQualification._meta.db_table)} q ON q.{q(qual_fk)} = pr.{q('id')} "
            f"WHERE u.{q('id')} = %s"
        )
    return _SQL[vendor]


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
