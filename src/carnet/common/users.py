"""What the packages below ``accounts`` know of a logged-in user: the actor of his own acts.

``accounts`` owns the account (``accounts.models.User``); the pages of ``access``, ``records``, ``profile``...
sit below or beside it and only need who acts. ``common.actors`` stays free of Django (the pure policy
imports it), hence this module.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.utils.translation import gettext_lazy as _

from .actors import Actor, ActorKind
from .roles import Role


class Account(Protocol):
    """What ``actor_for_user`` reads of an account (``accounts.models.User``)."""

    @property
    def pk(self) -> Any: ...
    @property
    def public_id(self) -> Any: ...
    @property
    def role(self) -> str: ...
    @property
    def person(self) -> Any: ...
    @property
    def professional(self) -> Any: ...


def actor_for_user(user: Account) -> Actor:
    """The actor of a user's own acts (his traces show his name, never health data)."""
    if user.role == Role.PATIENT and user.person is not None:
        person = user.person
        return Actor(
            ActorKind.PATIENT,
            str(user.public_id),
            label=person.display_name,
            user_id=user.pk,
            person_id=person.pk,
        )
    if user.role == Role.PROFESSIONAL and user.professional is not None:
        return Actor(
            ActorKind.PROFESSIONAL, str(user.public_id), label=user.professional.display_name, user_id=user.pk
        )
    return Actor(ActorKind.OPERATOR, str(user.public_id), label=str(_("Opérateur")), user_id=user.pk)
