"""FHIR R4 read/search of the medical profile (issue 4): AllergyIntolerance, MedicationStatement, Condition,
Immunization, Observation (vital signs).

Same facade as the documents (``fhir.views``): OAuth2 bearer tokens of establishments only, patients by
public id in GET URLs and by INS only in ``POST /fhir/<Type>/_search`` bodies. Reads go through
``profile.ips`` (the profile and vitals selectors: THE policy decides, every read is traced).

**Only what an establishment can read is served and advertised.** An establishment's software is the only
caller this facade authenticates, so a type is served — listed in the CapabilityStatement and answered —
when the policy lets the most favourable establishment (the holder's consent, not blocked, an activated
space, normal mode) read its section under the matrix in force today (``served_types``). R-PML-1 keeps
allergies, treatments, diseases and measures from professionals and establishments (they reach them only
through a saved profile summary, DOCPAT08): those types are never served here. Vaccinations are, when the
matrix gives establishments the "Note de vaccination" (87273-9): the shipped matrix has no row for software
acting without a profession (R-MAT-2, docs/subsystems/access.md), so it serves none until it does. A type
not served answers like an unknown one (404 ``not-supported``). The holder gets every type in his
International Patient Summary (``/espace/profil/synthese/ips.json``) and in the export (``fhir/ips.json``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

from carnet.common.errors import NotFoundOrForbidden
from carnet.profile import ips

from .clients import BadSearch, authenticate, not_found, search_patient
from .http import fhir_endpoint
from .profile_types import served_types
from .responses import fhir_response, operation_outcome


def _served_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A type not served answers like an unknown type (404 ``not-supported``), whatever the method."""

    @wraps(view)
    def wrapper(request: HttpRequest, resource_type: str, **kwargs: Any) -> HttpResponse:
        if resource_type not in served_types():
            return unsupported_type(resource_type)
        return view(request, resource_type, **kwargs)

    return csrf_exempt(wrapper)  # bearer tokens only (fhir.http)


def _searchset(
    request: HttpRequest, resource_type: str, params: QueryDict, *, allow_identifier: bool
) -> HttpResponse:
    principal = authenticate(request)
    if isinstance(principal, HttpResponse):
        return principal
    try:
        patient = search_patient(params, allow_identifier=allow_identifier)
    except BadSearch as exc:
        return operation_outcome(exc.message, status=400, issue="invalid", expression=exc.expression)
    if patient is None:
        return not_found()
    resources = ips.fhir_search_for_actor(actor=principal.actor, patient=patient, resource_type=resource_type)
    base = f"{settings.CARNET_BASE_URL}/fhir"
    return fhir_response(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(resources),
            "link": [{"relation": "self", "url": f"{base}/{resource_type}"}],
            "entry": [
                {
                    "fullUrl": f"{base}/{resource_type}/{resource['id']}",
                    "resource": resource,
                    "search": {"mode": "match"},
                }
                for resource in resources
            ],
        }
    )


@_served_only
@fhir_endpoint("GET")
def profile_search(request: HttpRequest, resource_type: str) -> HttpResponse:
    """``GET /fhir/<Type>?patient=<public id>`` (an INS in the URL is refused: 400)."""
    return _searchset(request, resource_type, request.GET, allow_identifier=False)


@_served_only
@fhir_endpoint("POST", body="form")
def profile_search_post(request: HttpRequest, resource_type: str) -> HttpResponse:
    """``POST /fhir/<Type>/_search`` (form body; ``patient.identifier=urn:oid:...|<INS>`` or ``patient``)."""
    return _searchset(request, resource_type, request.POST, allow_identifier=True)


@_served_only
@fhir_endpoint("GET")
def profile_read(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    """``GET /fhir/<Type>/<id>``: missing and refused answer the same 404 (the refusal is traced)."""
    principal = authenticate(request)
    if isinstance(principal, HttpResponse):
        return principal
    try:
        resource = ips.fhir_read_for_actor(
            actor=principal.actor, resource_type=resource_type, resource_id=resource_id
        )
    except NotFoundOrForbidden:
        return not_found()
    return fhir_response(resource)


@csrf_exempt  # bearer tokens only (fhir.http): no cookie is ever accepted here
def unsupported(request: HttpRequest, resource_type: str, rest: str = "") -> HttpResponse:
    """Any other type or interaction: an OperationOutcome (404 ``not-supported``), never an HTML page."""
    return unsupported_type(resource_type)


def unsupported_type(resource_type: str) -> HttpResponse:
    return operation_outcome(
        _("Type de ressource ou interaction non pris en charge."),
        status=404,
        issue="not-supported",
        expression=resource_type[:64],
    )
