"""FHIR R4 read/search of the medical profile (issue 4): AllergyIntolerance, MedicationStatement, Condition,
Immunization, Observation (vital signs).

Same facade as the documents (``fhir.views``): OAuth2 bearer tokens of establishments only, patients by
public id in GET URLs and by INS only in ``POST /fhir/<Type>/_search`` bodies. Reads go through
``profile.ips`` (the profile and vitals selectors: THE policy decides, every read is traced). R-PML-1:
professionals and establishments read the vaccinations only, as the policy allows (matrix, consent,
blocking); the other types answer an empty searchset and 404 on read. Patients' sessions are not accepted
here (bearer only): the holder gets the same resources in his International Patient Summary
(``/espace/profil/synthese/ips.json``) and in the export (``fhir/ips.json``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

from carnet.common.errors import NotFoundOrForbidden
from carnet.profile import ips

from .http import fhir_endpoint
from .responses import fhir_response, operation_outcome
from .views import _authenticate, _BadSearch, _not_found, _search_patient

PROFILE_TYPES = tuple(ips.PROFILE_RESOURCE_TYPES)
TYPE_PATTERN = "|".join(PROFILE_TYPES)

# CapabilityStatement entries of these types (``fhir.capability`` adds them to ``rest[0].resource``).
PROFILE_CAPABILITY_RESOURCES: list[dict[str, Any]] = [
    {
        "type": resource_type,
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [
            {"name": "patient", "type": "reference", "documentation": "Patient public id (GET)"},
            {
                "name": "patient.identifier",
                "type": "token",
                "documentation": f"INS system|value: POST {resource_type}/_search only",
            },
        ],
        "documentation": "R-PML-1: professionals and establishments read Immunization only, as the policy allows.",
    }
    for resource_type in PROFILE_TYPES
]


def _searchset(
    request: HttpRequest, resource_type: str, params: QueryDict, *, allow_identifier: bool
) -> HttpResponse:
    principal = _authenticate(request)
    if isinstance(principal, HttpResponse):
        return principal
    try:
        patient = _search_patient(params, allow_identifier=allow_identifier)
    except _BadSearch as exc:
        return operation_outcome(exc.message, status=400, issue="invalid", expression=exc.expression)
    if patient is None:
        return _not_found()
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


@fhir_endpoint("GET")
def profile_search(request: HttpRequest, resource_type: str) -> HttpResponse:
    """``GET /fhir/<Type>?patient=<public id>`` (an INS in the URL is refused: 400)."""
    return _searchset(request, resource_type, request.GET, allow_identifier=False)


@fhir_endpoint("POST", body="form")
def profile_search_post(request: HttpRequest, resource_type: str) -> HttpResponse:
    """``POST /fhir/<Type>/_search`` (form body; ``patient.identifier=urn:oid:...|<INS>`` or ``patient``)."""
    return _searchset(request, resource_type, request.POST, allow_identifier=True)


@fhir_endpoint("GET")
def profile_read(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    """``GET /fhir/<Type>/<id>``: missing and refused answer the same 404 (the refusal is traced)."""
    principal = _authenticate(request)
    if isinstance(principal, HttpResponse):
        return principal
    try:
        resource = ips.fhir_read_for_actor(
            actor=principal.actor, resource_type=resource_type, resource_id=resource_id
        )
    except NotFoundOrForbidden:
        return _not_found()
    return fhir_response(resource)


@csrf_exempt  # bearer tokens only (fhir.http): no cookie is ever accepted here
def unsupported(request: HttpRequest, resource_type: str, rest: str = "") -> HttpResponse:
    """Any other type or interaction: an OperationOutcome (404 ``not-supported``), never an HTML page."""
    return operation_outcome(
        _("Type de ressource ou interaction non pris en charge."),
        status=404,
        issue="not-supported",
        expression=resource_type[:64],
    )
