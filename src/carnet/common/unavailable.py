"""A database that is down or read-only answers 503 with ``Retry-After``, never Django's HTML 500.

What counts as "unavailable" (``unavailability(exc)``), from the driver's own error:

* any ``django.db.InterfaceError`` (the connection is closed or unusable);
* PostgreSQL (psycopg): a failure without SQLSTATE (the connection could not be made or was lost),
  SQLSTATE classes ``08`` (connection), ``40`` (serialization failure, deadlock: retry), ``53``
  (insufficient resources: disk full, too many connections), ``57`` (operator intervention: shutdown,
  statement timeout, "cannot connect now"), ``58`` (system I/O error), ``55P03`` (lock not available);
  ``25006`` (read-only transaction: ``default_transaction_read_only``, a hot standby) is "read-only";
* SQLite: primary result codes ``SQLITE_BUSY``, ``SQLITE_LOCKED``, ``SQLITE_IOERR``, ``SQLITE_FULL``,
  ``SQLITE_CANTOPEN``, ``SQLITE_PROTOCOL``; ``SQLITE_READONLY`` is "read-only".

Anything else — an ``IntegrityError``, a ``ProgrammingError``, SQLite's "no such table" — is a bug: it
stays a 500 and is logged with its traceback by Django.

Where the answer is made:

* ``DatabaseUnavailableMiddleware.process_exception`` for errors raised by a view (the API, FHIR and
  pages all end in views);
* ``server_error`` (the project's ``handler500``) for errors raised by a middleware, e.g. the session
  read of ``accounts.middleware.DeviceMiddleware``: Django calls it inside its ``except`` block, so the
  exception is ``sys.exc_info()`` (WSGI; Carnet has no ASGI entry point).

The answer, by URL prefix: ``/api/`` gets the API's JSON error ``{"field", "code", "message"}``,
``/fhir/`` an ``OperationOutcome`` (issue ``transient``), anything else a static bilingual HTML page
(``503.html``) rendered without a request context, so without touching the database (no context
processor, no session, no user). Every 503 carries ``Retry-After: CARNET_RETRY_AFTER_SECONDS`` and
``Cache-Control: no-store``. The log line names the error class, its SQLSTATE / SQLite code and the
path (paths never carry health data), never the statement or its parameters.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
from typing import Literal

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext
from django.views import defaults

logger = logging.getLogger("carnet.unavailable")

Unavailability = Literal["unavailable", "read_only"]

# PostgreSQL SQLSTATE classes of a database that cannot serve now (retrying later may succeed).
_PG_TRANSIENT_CLASSES = frozenset({"08", "40", "53", "57", "58"})
_PG_TRANSIENT_STATES = frozenset({"55P03"})  # lock_not_available (lock_timeout)
_PG_READ_ONLY = "25006"  # read_only_sql_transaction
# SQLite primary result codes (https://www.sqlite.org/rescode.html).
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR = 5, 6, 8, 10
_SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_PROTOCOL = 13, 14, 15
_SQLITE_TRANSIENT = frozenset(
    {_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_PROTOCOL}
)


def unavailability(exc: BaseException | None) -> Unavailability | None:
    """ "unavailable", "read_only", or None when ``exc`` is not the database failing to serve."""
    if not isinstance(exc, DatabaseError | InterfaceError):
        return None
    if isinstance(exc, InterfaceError):
        return "unavailable"
    cause = exc.__cause__
    if isinstance(cause, sqlite3.Error):
        code = getattr(cause, "sqlite_errorcode", None)
        if code is None:
            return None
        primary = code & 0xFF
        if primary == _SQLITE_READONLY:
            return "read_only"
        return "unavailable" if primary in _SQLITE_TRANSIENT else None
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is None:
        # psycopg: no SQLSTATE means the server never answered (refused, unreachable, timed out, lost).
        return "unavailable" if isinstance(exc, OperationalError) and cause is not None else None
    if sqlstate == _PG_READ_ONLY:
        return "read_only"
    if sqlstate[:2] in _PG_TRANSIENT_CLASSES or sqlstate in _PG_TRANSIENT_STATES:
        return "unavailable"
    return None


def _retry_after() -> int:
    return int(getattr(settings, "CARNET_RETRY_AFTER_SECONDS", 30))


def _language(request: HttpRequest) -> str:
    """The request's language from its cookie or ``Accept-Language`` (never the session: no database)."""
    return translation.get_language_from_request(request, check_path=False) or settings.LANGUAGE_CODE


def _message(kind: Unavailability) -> str:
    if kind == "read_only":
        return gettext(
            "Le service est en lecture seule pour une maintenance : votre modification n'a pas été "
            "enregistrée. Réessayez dans quelques minutes."
        )
    return gettext("Le service est momentanément indisponible. Réessayez dans quelques minutes.")


def unavailable_response(request: HttpRequest, kind: Unavailability) -> HttpResponse:
    """The 503 for this request's kind of client (JSON API, FHIR, or a page)."""
    path = request.path_info or request.path
    if path.startswith(("/api/", "/fhir/")):
        with translation.override(_language(request)):
            message = _message(kind)
        if path.startswith("/api/"):
            body = {"field": None, "code": kind, "message": message}
            response = HttpResponse(
                json.dumps(body, ensure_ascii=False), status=503, content_type="application/json"
            )
        else:
            issue = {"severity": "error", "code": "transient", "diagnostics": message}
            outcome = {"resourceType": "OperationOutcome", "issue": [issue]}
            response = HttpResponse(
                json.dumps(outcome, ensure_ascii=False),
                status=503,
                content_type="application/fhir+json; charset=utf-8",
            )
    else:
        # A static template: no request context, so no context processor reads the session or the user.
        html = render_to_string("503.html", {"read_only": kind == "read_only"})
        response = HttpResponse(html, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(_retry_after())
    response["Cache-Control"] = "no-store"
    response.carnet_unavailable = True  # type: ignore[attr-defined]  # read by SecurityHeadersMiddleware
    return response


def _log(request: HttpRequest, exc: BaseException, kind: Unavailability) -> None:
    cause = exc.__cause__
    detail = getattr(cause, "sqlstate", None) or getattr(cause, "sqlite_errorname", None) or ""
    logger.warning(
        "database %s: %s %s on %s %s",
        kind.replace("_", "-"),
        type(cause or exc).__name__,
        detail,
        request.method,
        request.path,
    )


class DatabaseUnavailableMiddleware:
    """Turns a view's database-unavailable error into a 503 (``unavailable_response``)."""

    def __init__(self, get_response):  # type: ignore[no-untyped-def]
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = self.get_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        kind = unavailability(exception)
        if kind is None:
            return None  # a bug: Django's 500, logged with its traceback
        _log(request, exception, kind)
        return unavailable_response(request, kind)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a 503 when the uncaught exception (raised by a middleware) is the database being
    unavailable or read-only; Django's own 500 otherwise."""
    exc = sys.exc_info()[1]
    kind = unavailability(exc)
    if kind is None:
        return defaults.server_error(request)
    # Django logs this response ("Service Unavailable: <path>") with the exception: no second line here.
    return unavailable_response(request, kind)
