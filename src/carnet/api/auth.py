"""Who calls the JSON API: an establishment's software (OAuth2 bearer) or a logged-in user (session + CSRF).

Both resolve to a ``Caller`` whose ``actor_for(patient)`` gives the ``Actor`` handed to the records and
access services (the policy, not this module, decides what that actor may do: invariant 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer

from carnet.accounts.models import Role, User
from carnet.common.actors import Actor, ActorKind
from carnet.common.users import actor_for_user
from carnet.identity.models import Organisation, Person

from .services import SCOPE_DOCUMENTS, ApiPrincipal, token_authenticate


@dataclass(frozen=True)
class Caller:
    """The authenticated caller of one request."""

    principal: ApiPrincipal | None = None
    user: User | None = None

    @property
    def organisation(self) -> Organisation | None:
        return self.principal.organisation if self.principal is not None else None

    def actor_for(self, patient: Person | None) -> Actor:
        """The actor acting on ``patient``'s record. A patient-side user acting on someone else's record
        acts as legal representative or caregiver when an accepted delegation links them (R-MIN-1,
        R-DEL-2); the policy checks it again (and refuses a stranger)."""
        if self.principal is not None:
            return self.principal.actor
        assert self.user is not None
        user = self.user
        me = user.person
        if user.role != Role.PATIENT or me is None or patient is None or patient.pk == me.pk:
            return actor_for_user(user)
        return Actor(
            _delegate_kind(me, patient),
            str(user.public_id),
            label=me.display_name,
            user_id=user.pk,
            person_id=me.pk,
        )


def _delegate_kind(me: Person, patient: Person) -> ActorKind:
    from carnet.spaces.models import Delegation, DelegationKind, DelegationStatus

    delegation = Delegation.objects.filter(
        delegate=me, subject=patient, status=DelegationStatus.ACCEPTED
    ).first()
    if delegation is None:
        return ActorKind.PATIENT  # a stranger: the policy denies (actor is not the holder)
    if delegation.kind == DelegationKind.LEGAL_REPRESENTATION:
        return ActorKind.LEGAL_REPRESENTATIVE
    return ActorKind.CAREGIVER


class OAuthBearer(HttpBearer):
    """RFC 6750 bearer token from ``POST /api/oauth/token``; the ``documents`` scope is required."""

    def __init__(self, scope: str = SCOPE_DOCUMENTS) -> None:
        self.scope = scope
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        principal = token_authenticate(token)
        if principal is None:
            return None
        if self.scope not in principal.scopes:
            raise HttpError(403, "insufficient_scope")
        return Caller(principal=principal)


class UserSession(APIKeyCookie):
    """Django session of a logged-in patient or professional, with CSRF checked on unsafe methods."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        user: Any = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if user.role not in (Role.PATIENT, Role.PROFESSIONAL):
            return None  # operators never reach medical content (R-AC-4)
        return Caller(user=user)


bearer = OAuthBearer()
session = UserSession()


def caller_of(request: HttpRequest) -> Caller:
    auth = getattr(request, "auth", None)
    if not isinstance(auth, Caller):  # pragma: no cover - every route is authenticated
        raise HttpError(401, "authentication required")
    return auth
