"""The JSON API (django-ninja), mounted at ``/api/``; its OpenAPI document is ``/api/openapi.json``.

No Swagger page: ninja's loads its assets from a CDN, which our Content-Security-Policy forbids (no
third-party assets); the OpenAPI JSON is the reference (docs/subsystems/api.md).

Authentication, tried in order: an OAuth2 bearer token of an establishment's software (scope
``documents``), then the Django session of a logged-in patient or professional (CSRF checked on unsafe
methods). Errors are JSON ``{"field", "code", "message"}``; messages follow ``Accept-Language``.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from carnet.common.errors import DomainError, NotFoundOrForbidden

from .auth import bearer, session
from .routers import documents, oauth, sharing

# Domain refusals that are not bad input but a rule saying no (the actor is known to see the object).
FORBIDDEN_CODES = frozenset({"not_deletable"})

api = NinjaAPI(
    title="Carnet API",
    version="1",
    description="Documents of the shared medical record and their sharing (SPEC §2, §3).",
    urls_namespace="api",
    docs_url=None,
    auth=[bearer, session],
)
api.add_router("", oauth.router)
api.add_router("", documents.router)
api.add_router("", sharing.router)


def _error(
    request: HttpRequest, status: int, *, code: str, message: object, field: str | None = None
) -> HttpResponse:
    response = api.create_response(
        request, {"field": field, "code": code, "message": str(message)}, status=status
    )
    response["Cache-Control"] = "no-store"
    return response


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    if isinstance(exc, NotFoundOrForbidden):
        # Same answer for missing and forbidden, whatever the service said (nobody can probe).
        return _error(request, 404, code="not_found", message=_("Introuvable ou non autorisé."))
    status = 403 if exc.code in FORBIDDEN_CODES else 422
    return _error(request, status, code=exc.code, message=exc.message, field=exc.field)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    loc = [
        str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path", "form", "file")
    ]
    if loc and loc[0] in ("body", "payload"):
        loc = loc[1:]
    return _error(
        request,
        422,
        code="invalid",
        field=".".join(loc) or None,
        message=_("Champ invalide : %(detail)s") % {"detail": first.get("msg", "")},
    )


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(request, 401, code="unauthenticated", message=_("Authentification requise."))
    response["WWW-Authenticate"] = 'Bearer realm="carnet"'
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 403 and str(exc) == "insufficient_scope":
        response = _error(request, 403, code="insufficient_scope", message=_("Portée (scope) insuffisante."))
        response["WWW-Authenticate"] = 'Bearer realm="carnet", error="insufficient_scope", scope="documents"'
        return response
    if exc.status_code == 403:
        return _error(request, 403, code="forbidden", message=_("Vérification CSRF en échec."))
    return _error(request, exc.status_code, code="error", message=str(exc))


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _error(request, 413, code="too_large", field="content", message=_("Requête trop volumineuse."))
