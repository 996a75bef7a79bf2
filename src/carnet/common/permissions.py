"""Role gates for pages (STYLE "fail closed": a wrong role answers exactly like a missing page).

``role_required(Role.OPERATOR)`` lets through only authenticated users whose ``role`` is listed:

* anonymous visitors are redirected to the login page (with ``next``);
* any other role gets the ordinary 404 page, so nobody learns that an operator (or patient) page
  exists at that address.

The decorator decides *who may open a page*; what a page may show of a patient's data is still
decided by ``access`` (ARCHITECTURE invariant 1).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponseBase

from carnet.common.roles import Role

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])


def user_has_role(request: HttpRequest, *roles: str) -> bool:
    user = getattr(request, "user", None)
    return bool(
        user is not None and user.is_authenticated and user.is_active and getattr(user, "role", None) in roles
    )


def role_required(*roles: str) -> Callable[[ViewFunc], ViewFunc]:
    """Gate a view on ``request.user.role`` (values of ``common.roles.Role``)."""
    if not roles:
        raise ValueError("role_required() needs at least one role")
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = getattr(request, "user", None)
            if user is None or not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if not user_has_role(request, *roles):
                raise Http404  # same answer as a page that does not exist
            return view(request, *args, **kwargs)

        wrapper.carnet_roles = frozenset(roles)  # type: ignore[attr-defined]  # introspected by tests
        return cast(ViewFunc, wrapper)

    return decorator


operator_required = role_required(Role.OPERATOR)
patient_required = role_required(Role.PATIENT)
professional_required = role_required(Role.PROFESSIONAL)
