"""What every FHIR view asks of its caller: an establishment's OAuth2 bearer token with the documents scope
(``authenticate``), a patient found by public id (GET) or INS (POST ``_search`` bodies only,
``search_patient``), and the one "not found or not allowed" answer (``not_found``). Shared by the
documents' views (``views``) and the profile's (``profile_views``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext_lazy as _

from carnet.api.resolvers import patient_by_ins, patient_by_public_id
from carnet.api.services import SCOPE_DOCUMENTS, ApiPrincipal, token_authenticate
from carnet.common.errors import NotFoundOrForbidden
from carnet.identity.models import Person

from . import codes
from .responses import operation_outcome

NOT_FOUND = _("Ressource introuvable ou non autorisée.")
_IDENTIFIER_PARAMS = ("patient.identifier", "patient:identifier", "subject.identifier", "identifier")


def authenticate(request: HttpRequest) -> ApiPrincipal | HttpResponse:
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    principal = token_authenticate(token.strip()) if scheme.lower() == "bearer" else None
    if principal is None:
        return operation_outcome(
            _("Authentification requise (jeton OAuth2)."),
            status=401,
            issue="login",
            WWW_Authenticate='Bearer realm="carnet"',
        )
    if SCOPE_DOCUMENTS not in principal.scopes:
        return operation_outcome(
            _("Portée (scope) insuffisante."),
            status=403,
            issue="forbidden",
            WWW_Authenticate='Bearer realm="carnet", error="insufficient_scope", scope="documents"',
        )
    return principal


def not_found() -> HttpResponse:
    return operation_outcome(NOT_FOUND, status=404, issue="not-found")


class BadSearch(Exception):
    def __init__(self, message: Any, expression: str) -> None:
        super().__init__(str(message))
        self.message = message
        self.expression = expression


def search_patient(params: QueryDict, *, allow_identifier: bool) -> Person | None:
    identifier_keys = [k for k in _IDENTIFIER_PARAMS if k in params]
    if identifier_keys and not allow_identifier:
        raise BadSearch(
            _(
                "Un identifiant de patient ne doit pas figurer dans l'URL : utilisez POST DocumentReference/_search."
            ),
            identifier_keys[0],
        )
    try:
        if identifier_keys:
            system, _sep, value = str(params.get(identifier_keys[0], "")).rpartition("|")
            if system and system not in codes.INS_SYSTEMS:
                raise BadSearch(_("patient.identifier : système INS attendu."), identifier_keys[0])
            return patient_by_ins(value, system or None)
        reference = params.get("patient") or params.get("subject") or ""
        if not reference:
            raise BadSearch(_("patient : paramètre obligatoire."), "patient")
        return patient_by_public_id(reference.removeprefix("Patient/"))
    except NotFoundOrForbidden:
        return None
