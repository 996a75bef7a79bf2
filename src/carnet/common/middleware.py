"""Strict security headers on every response (CSP with a per-request nonce).

Headers set here (see docs/subsystems/security.md for the reasons):

* ``Content-Security-Policy``: scripts only from our origin or carrying this request's nonce (the
  DSFR scripts get it through ``{% dsfr_js nonce=csp_nonce %}``); never ``'unsafe-eval'``; styles only
  from our stylesheets or a ``<style nonce="{{ csp_nonce }}">`` element, never an inline ``style``
  attribute (no ``'unsafe-inline'``); no plugin content and no frames (``object-src``/``frame-src``
  ``'none'``) except on the pages that preview one of our own documents (``embeds_own_documents``);
  no framing by anyone (``frame-ancestors 'none'``, doubled by ``X-Frame-Options: DENY`` from Django);
  forms post only to our origin. A view may set its own, stricter policy (``setdefault``).
* ``Permissions-Policy`` and ``Cross-Origin-Resource-Policy``.
* ``Cache-Control: no-store`` on every page served to an authenticated user: they may hold
  personal data and must not stay in a shared or browser cache.

``X-Content-Type-Options``, ``Referrer-Policy``, ``Cross-Origin-Opener-Policy`` and HSTS come from
Django's ``SecurityMiddleware`` settings.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import Error as DatabaseDriverError
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


def content_security_policy(nonce: str, *, embeds_own_documents: bool = False) -> str:
    embeds = "'self'" if embeds_own_documents else "'none'"
    directives = [
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        # No 'unsafe-inline': style attributes are refused; a <style> element needs this request's nonce.
        f"style-src 'self' 'nonce-{nonce}'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        # A PDF preview needs <object> (and a text preview an <iframe>) of our own origin: only on the
        # pages that show one (embeds_own_documents); nowhere else may plugin content or a frame load.
        f"object-src {embeds}",
        f"frame-src {embeds}",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
    if getattr(settings, "SECURE", False):
        directives.append("upgrade-insecure-requests")
    return "; ".join(directives)


_View = TypeVar("_View", bound=Callable[..., HttpResponse])


def embeds_own_documents(view: _View) -> _View:
    """For the views whose page previews one of our documents in an ``<object>`` (PDF) or an
    ``<iframe>`` (text): their policy allows ``object-src``/``frame-src 'self'``, every other page ``'none'``."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.csp_embeds_own_documents = True  # type: ignore[attr-defined]  # read by the middleware
        return response

    return wrapped  # type: ignore[return-value]


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault(
            "Content-Security-Policy",
            content_security_policy(
                nonce, embeds_own_documents=getattr(response, "csp_embeds_own_documents", False)
            ),
        )
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if _may_hold_personal_data(request, response):
            # Pages of an authenticated user may hold personal data: never cache them.
            patch_cache_control(response, no_store=True, private=True)
        return response


def _may_hold_personal_data(request: HttpRequest, response: HttpResponse) -> bool:
    if getattr(response, "carnet_unavailable", False):
        return True  # a 503 of carnet.common.unavailable: the session cannot be read, never cache it
    user = getattr(request, "user", None)
    if user is None:
        return False
    try:
        return bool(user.is_authenticated)
    except DatabaseDriverError:  # the lazy user could not be read (database gone): assume personal
        return True
