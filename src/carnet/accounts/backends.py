"""The authentication backend: Django's ``ModelBackend`` (argon2 passwords, ``is_active``) with a
per-request user load that costs no statement of its own on a logged-in browser.

Every authenticated request loads the session's user; the JSON API then needs the professional's
directory row and access qualification (``api.resolvers.professional_of_user``, the access gateway) or
the patient's person (``api.auth.Caller.actor_for``). ``ModelBackend.get_user`` reads the user alone and
each relation costs one more ORM query later (0.3–1 ms of query compilation each, bench/README.md).
Here the user, his person, his professional and that professional's qualification come from one
``SELECT`` with LEFT JOINs (``user_select_sql`` / ``user_relation_joins_sql``), hydrated with the ORM's converters
(``carnet.common.rawsql``) and cached on the instances exactly as ``select_related`` would, so no later
access queries again.

On a browser enrolled by a completed login (a ``Device``, R-LC-12) the session read itself carries the
user: ``carnet.accounts.sessions`` joins the device holding the session key and that device's user with
these same joins, in the session's own statement. ``get_user(request)`` (used by
``carnet.accounts.middleware.AuthenticationMiddleware``) offers that row to ``AccountBackend.get_user``,
which takes it only when it is the very user the session names; Django's ``get_user`` still does every
check (backend path, session hash against the password). Anything else — no device, two devices on one
key, a device of another user — is a miss, and the user is read by id as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any

from django.contrib import auth
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest

from carnet.access.models import ProfessionalQualification
from carnet.common.rawsql import Columns, column, fetchone, link, per_vendor, table
from carnet.identity.models import Person, Professional

from .models import User

BACKEND_PATH = "carnet.accounts.backends.AccountBackend"

_USER = Columns(User, "u")
_PERSON = Columns(Person, "pe")
_PROFESSIONAL = Columns(Professional, "pr")
_QUALIFICATION = Columns(ProfessionalQualification, "q")

# The session store of the request whose user ``get_user(request)`` is resolving (None otherwise): set
# and reset around Django's ``get_user`` only, so nothing outlives the call or crosses requests.
_OFFERED: ContextVar[Any] = ContextVar("carnet_offered_session", default=None)


def user_select_sql() -> str:
    """The select list of the user and his relations (aliases ``u``, ``pe``, ``pr``, ``q``)."""
    return f"{_USER.sql()}, {_PERSON.sql()}, {_PROFESSIONAL.sql()}, {_QUALIFICATION.sql()}"


def user_relation_joins_sql() -> str:
    """``LEFT JOIN`` s of the relations of the user aliased ``u`` (person, professional, qualification)."""
    return (
        f"LEFT JOIN {table(Person)} pe ON pe.id = u.{column(User, 'person')} "
        f"LEFT JOIN {table(Professional)} pr ON pr.id = u.{column(User, 'professional')} "
        f"LEFT JOIN {table(ProfessionalQualification)} q "
        f"ON q.{column(ProfessionalQualification, 'professional')} = pr.id"
    )


@per_vendor
def _sql() -> str:
    return (
        f"SELECT {user_select_sql()} FROM {table(User)} u "  # noqa: S608 - names from _meta
        f"{user_relation_joins_sql()} WHERE u.id = %s"
    )


def load_user(row: Sequence[Any], start: int = 0) -> User | None:
    """The user in ``row[start:]`` (``user_select_sql`` order) with ``person``, ``professional`` and
    ``professional.access_qualification`` cached; ``None`` when the row has no user."""
    user = _USER.load(row, start)
    if user is None:
        return None
    start += _USER.width
    person = _PERSON.load(row, start)
    start += _PERSON.width
    professional = _PROFESSIONAL.load(row, start)
    start += _PROFESSIONAL.width
    link(user, "person", person)
    link(user, "professional", professional)
    if professional is not None:
        link(professional, "access_qualification", _QUALIFICATION.load(row, start))
    return user


def user_with_relations(user_id: Any) -> User | None:
    """The user with ``person``, ``professional`` and ``professional.access_qualification`` cached."""
    row = fetchone(_sql(), [user_id])
    return load_user(row) if row is not None else None


def get_user(request: HttpRequest) -> AbstractBaseUser | AnonymousUser:
    """``django.contrib.auth.get_user``, with the user the session read already loaded on offer."""
    token = _OFFERED.set(getattr(request, "session", None))
    try:
        return auth.get_user(request)
    finally:
        _OFFERED.reset(token)


def _offered_user(pk: int) -> User | None:
    """The user loaded with the session being resolved, if it is the user ``pk`` (else ``None``)."""
    store = _OFFERED.get()
    offered = getattr(store, "prefetched_user", None) if store is not None else None
    return offered if isinstance(offered, User) and offered.pk == pk else None


class AccountBackend(ModelBackend):
    """``ModelBackend`` whose per-request ``get_user`` loads the user and his relations in one query,
    or in none when the session read brought them (see the module's docstring)."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = User._meta.pk.to_python(user_id)
        except (TypeError, ValueError, ValidationError):  # a tampered session id is simply no user
            return None
        low, high = connection.ops.integer_field_range(User._meta.pk.get_internal_type())
        if pk is None or not low <= pk <= high:  # out of the column's range: no such row (as the ORM says)
            return None
        user = _offered_user(pk) or user_with_relations(pk)
        return user if user is not None and self.user_can_authenticate(user) else None
