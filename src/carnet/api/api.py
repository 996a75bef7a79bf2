"""The JSON API (django-ninja), mounted at ``/api/``; its OpenAPI document is ``/api/openapi.json``.

No Swagger page: ninja's loads its assets from a CDN, which our Content-Security-Policy forbids (no
third-party assets); the OpenAPI JSON is the reference (docs/subsystems/api.md).

Authentication, tried in order: an OAuth2 bearer token of an establishment's software (scope
``documents``), then the Django session of a logged-in patient or professional (CSRF checked on unsafe
methods). Errors are JSON ``{"field", "code", "message"}``; messages follow ``Accept-Language``.
"""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.types import DictStrAny

from carnet.common.errors import DomainError, NotFoundOrForbidden

from . import bodies
from .auth import bearer, session
from .routers import documents, oauth, sharing
from .schemas import NON_BLANK

# Domain refusals that are not bad input but a rule saying no (the actor is known to see the object).
FORBIDDEN_CODES = frozenset({"not_deletable"})


class GuardedParser(Parser):
    """JSON bodies: ``application/json`` only (415), size and nesting bounded before parsing
    (``carnet.api.bodies``). ninja turns any parser exception into a 400 "Cannot parse request body";
    ``on_http_error`` answers the ``BodyRefused`` it was raised from instead."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        return cast(DictStrAny, bodies.json_body(request, bodies.JSON_MEDIA_TYPES))


api = NinjaAPI(
    title="Carnet API",
    version="1",
    description="Documents of the shared medical record and their sharing (SPEC §2, §3).",
    urls_namespace="api",
    docs_url=None,
    auth=[bearer, session],
    parser=GuardedParser(),
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


# What a person reads when a body does not match its schema (pydantic's own messages are English only).
_REASONS: dict[str, Promise] = {
    "missing": _("champ obligatoire"),
    "extra_forbidden": _("champ inconnu"),
    "null_refused": _("null n'est pas accepté : omettez le champ"),
    "model_type": _("un objet JSON est attendu"),
    "model_attributes_type": _("un objet JSON est attendu"),
    "dict_type": _("un objet JSON est attendu"),
    "list_type": _("une liste est attendue"),
    "string_type": _("une chaîne de caractères est attendue"),
    "bool_type": _("true ou false est attendu"),
    "literal_error": _("valeur non autorisée"),
    "enum": _("valeur non autorisée"),
    "string_too_short": _("texte trop court"),
    "string_too_long": _("texte trop long"),
    "string_pattern_mismatch": _("format invalide"),
    "too_short": _("liste trop courte"),
    "too_long": _("liste trop longue"),
    "uuid_format": _("identifiant UUID attendu (8-4-4-4-12 chiffres hexadécimaux)"),
    "uuid_type": _("identifiant UUID attendu (8-4-4-4-12 chiffres hexadécimaux)"),
    "uuid_parsing": _("identifiant UUID attendu (8-4-4-4-12 chiffres hexadécimaux)"),
    "date_format": _("date attendue au format AAAA-MM-JJ"),
    "date_type": _("date attendue au format AAAA-MM-JJ"),
    "date_from_datetime_parsing": _("date attendue au format AAAA-MM-JJ"),
    "date_parsing": _("date attendue au format AAAA-MM-JJ"),
    "nothing_to_change": _("indiquez au moins un champ à modifier"),
    "patient_required": _("indiquez le patient (identifiant ou INS)"),
    "access_code_required": _("saisissez le code d'accès donné par l'usager"),
    "care_team_only": _("seul un consentement d'équipe de soins peut être donné à un établissement"),
    "reason_required": _("indiquez par écrit la raison de l'accès en urgence"),
}
# Where a model-level refusal points, below the object refused (the field a person must fill).
_MODEL_FIELDS = {
    "access_code_required": "access_code",
    "care_team_only": "organisation_id",
    "reason_required": "reason",
}


def _error_field(error: dict[str, Any]) -> str | None:
    loc = [str(part) for part in error.get("loc", ()) if part not in ("query", "path", "form", "file")]
    if loc[:1] == ["body"]:
        loc = loc[1:]
    if loc[:1] in (["body"], ["payload"]):  # ninja's single body parameter
        loc = loc[1:]
    # a Literal's or a validator's branch name is no field
    loc = [part for part in loc if not part.startswith(("literal[", "function-"))]
    below = _MODEL_FIELDS.get(str(error.get("type")))
    if below is not None:
        loc.append(below)
    if not loc and error.get("type") in ("missing", "model_type", "dict_type", "nothing_to_change"):
        return "body"  # the whole body: missing, not an object, or nothing in it
    return ".".join(loc) or None


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    field = _error_field(first)
    kind = str(first.get("type"))
    reason: object = _REASONS.get(kind, first.get("msg", ""))
    if kind == "string_pattern_mismatch" and (first.get("ctx") or {}).get("pattern") == NON_BLANK:
        reason = _("ne doit pas être vide")
    return _error(
        request,
        422,
        code="invalid",
        field=field,
        message=_("Champ invalide : %(detail)s")
        % {"detail": _("%(field)s : %(reason)s") % {"field": field, "reason": reason} if field else reason},
    )


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(request, 401, code="unauthenticated", message=_("Authentification requise."))
    response["WWW-Authenticate"] = 'Bearer realm="carnet"'
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    refused = exc.__cause__
    if isinstance(refused, bodies.BodyRefused):  # raised by GuardedParser: 400, 413 or 415
        return _error(request, refused.status, code=refused.code, field="body", message=refused.message)
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
