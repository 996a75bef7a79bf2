"""Reads for accounts: devices of a user (R-LC-12), pending logins, where a user lands after login."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from carnet.spaces.models import HealthSpace, ProvisionalCode, SpaceStatus

from .models import Device, LoginChallenge, Role, User


def devices_for_user(user: User) -> QuerySet[Device]:
    """The user's enrolled browsers still able to act (neither revoked nor logged out), latest first.

    Rendered by the partial ``accounts/_devices.html`` (context variable ``devices``).
    """
    return Device.objects.filter(user=user, revoked_at__isnull=True, ended_at__isnull=True).order_by(
        "-last_seen_at"
    )


def settings_devices(request: HttpRequest, acting: Any, credentials: bool) -> dict[str, Any]:
    """The devices part of the space's settings page (``spaces.views.register_settings_part``): the
    logged-in user's own devices, when the page may show his credentials (never for a helped person)."""
    if not credentials or not isinstance(request.user, User):
        return {}
    return {"devices": devices_for_user(request.user), "devices_included": True}


def device_get_for_user(*, user: User, public_id: str) -> Device | None:
    """One of the user's own devices; another user's device is None (same as a missing one)."""
    return Device.objects.filter(user=user, public_id=public_id).first()


def device_get_by_id(device_id: int) -> Device | None:
    return Device.objects.filter(pk=device_id).first()


def user_get_pending(public_id: str) -> User | None:
    """The account of a login in progress (kept in the session by its public id)."""
    return (
        User.objects.select_related("person", "professional")
        .filter(public_id=public_id, is_active=True)
        .first()
    )


def activation_code_get(code_id: int) -> ProvisionalCode | None:
    """The provisional code verified at step 1 of an activation (its id is kept in the session)."""
    return ProvisionalCode.objects.select_related("space__person").filter(pk=code_id).first()


def challenge_get(*, user: User, public_id: str) -> LoginChallenge | None:
    return LoginChallenge.objects.filter(user=user, public_id=public_id).first()


def login_code_dedup_key(challenge: LoginChallenge) -> str:
    """The outbox key of the message carrying a challenge's one-time code."""
    return f"login:{challenge.public_id}"


def login_code_delayed(challenge: LoginChallenge) -> bool:
    """R-LC-12: the one-time code could not be handed to its channel yet (the mail server or SMS gateway
    was unreachable or refused it): its message waits for a retry by the worker, or failed."""
    from carnet.notifications.models import DeliveryState, OutboxMessage

    return OutboxMessage.objects.filter(
        dedup_key=login_code_dedup_key(challenge),
        state__in=[DeliveryState.RETRYING, DeliveryState.FAILED],
    ).exists()


def _first_url(*names: str) -> str:
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return "/"


def login_destination(user: User) -> str:
    """Where a fully logged-in user goes: patients to their space (to the reopening page when it is
    CLOSED, R-LC-23), professionals to their home, operators to the back-office."""
    if user.role == Role.PATIENT and user.person_id is not None:
        status = HealthSpace.objects.filter(person_id=user.person_id).values_list("status", flat=True).first()
        if status == SpaceStatus.CLOSED:
            return _first_url("spaces:reopen", "spaces:home")
        return _first_url("spaces:home")
    if user.role == Role.PROFESSIONAL:
        return _first_url("spaces:pro_home")
    return _first_url("backoffice:home")
