"""The FHIR R4 facade (ARCHITECTURE "fhir/"), for establishments' software with an OAuth2 bearer token.

Thin views: reads through ``carnet.records.selectors`` (policy-scoped and traced), publication through
``publication.publish`` (records services, all or nothing). Identifiers of patients never travel in URLs:
search by INS is ``POST /fhir/DocumentReference/_search`` (form body), GET accepts the patient's public id.
"""

from __future__ import annotations

import base64
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext_lazy as _

from carnet.api.bodies import FHIR_JSON_MEDIA_TYPES, BodyRefused, json_body
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.identity.models import Person
from carnet.records import selectors
from carnet.records.models import Document

from . import codes, dates
from .capability import capability_statement
from .clients import BadSearch, authenticate, not_found, search_patient
from .http import asks_for_fhir_json, fhir_endpoint, refused_body, refuses_raw_content
from .mapping import STATUS_IN, document_reference
from .publication import FhirInputError, parse_publication, publish
from .responses import fhir_response, operation_outcome


def _domain_error(exc: DomainError) -> HttpResponse:
    if isinstance(exc, NotFoundOrForbidden):
        return not_found()
    return operation_outcome(exc.message, status=422, issue="processing", expression=exc.field or "")


@fhir_endpoint("GET")
def metadata(request: HttpRequest) -> HttpResponse:
    """``GET /fhir/metadata``: the CapabilityStatement (no authentication, as FHIR servers do)."""
    return fhir_response(capability_statement())


@fhir_endpoint("POST", body="json")
def transaction_endpoint(request: HttpRequest) -> HttpResponse:
    """``POST /fhir/``: ITI-65 Provide Document Bundle. All or nothing (invariant 9). The body is bounded
    (size, nesting) before it is parsed (``carnet.api.bodies``)."""
    principal = authenticate(request)
    if isinstance(principal, HttpResponse):
        return principal
    try:
        data = json_body(request, FHIR_JSON_MEDIA_TYPES)
    except BodyRefused as exc:
        return refused_body(exc, expression="Bundle")
    try:
        publication = parse_publication(data)
        documents = publish(actor=principal.actor, publication=publication)
    except FhirInputError as exc:
        return operation_outcome(exc.message, status=exc.status, issue=exc.issue, expression=exc.expression)
    return fhir_response(_transaction_response(publication.entry_kinds, publication, documents))


def _transaction_response(kinds: list[str], publication: Any, documents: list[Document]) -> dict[str, Any]:
    responses: list[dict[str, Any]] = [{"response": {"status": "200 OK"}} for _kind in kinds]
    for entry, document in zip(publication.documents, documents, strict=True):
        when = document.deposited_at.isoformat()
        responses[entry.index] = {
            "response": {
                "status": "201 Created",
                "location": f"DocumentReference/{document.public_id}/_history/1",
                "lastModified": when,
            }
        }
        if entry.binary_index is not None:
            responses[entry.binary_index] = {
                "response": {
                    "status": "201 Created",
                    "location": f"Binary/{document.public_id}",
                    "lastModified": when,
                }
            }
    return {"resourceType": "Bundle", "type": "transaction-response", "entry": responses}


def _patient_of_document(document_id: str) -> int | None:
    """Routing only (which record to ask the policy about): the patient id of a document public id.
    The read itself goes through ``records.selectors`` (policy + trace); a missing or forbidden document
    answers the same 404. TODO(records): replace with a ``records.selectors`` routing helper."""
    import uuid

    try:
        wanted = uuid.UUID(document_id)
    except ValueError:
        return None
    return Document.objects.filter(public_id=wanted).values_list("patient_id", flat=True).first()


@fhir_endpoint("GET")
def document_reference_read(request: HttpRequest, document_id: str) -> HttpResponse:
    """``GET /fhir/DocumentReference/<id>`` (traced ``CONSULT``)."""
    principal = authenticate(request)
    if isinstance(principal, HttpResponse):
        return principal
    patient_id = _patient_of_document(document_id)
    patient = Person.objects.filter(pk=patient_id).first() if patient_id is not None else None
    if patient is None:
        return not_found()
    try:
        document = selectors.document_get_for_actor(
            actor=principal.actor, patient_id=patient.pk, document_public_id=document_id
        )
    except DomainError as exc:
        return _domain_error(exc)
    return fhir_response(document_reference(document, patient))


@fhir_endpoint("GET", negotiate=refuses_raw_content)
def binary_read(request: HttpRequest, document_id: str) -> HttpResponse:
    """``GET /fhir/Binary/<id>``: the content (traced ``DOWNLOAD``). ``Accept: application/fhir+json`` (or
    ``_format=json``) answers a Binary resource (base64); otherwise the raw bytes with their media type."""
    principal = authenticate(request)
    if isinstance(principal, HttpResponse):
        return principal
    patient_id = _patient_of_document(document_id)
    if patient_id is None:
        return not_found()
    try:
        document, content = selectors.document_content_for_actor(
            actor=principal.actor, patient_id=patient_id, document_public_id=document_id
        )
    except DomainError as exc:
        return _domain_error(exc)
    if asks_for_fhir_json(request):
        return fhir_response(
            {
                "resourceType": "Binary",
                "id": str(document.public_id),
                "contentType": document.media_type,
                "data": base64.b64encode(content).decode(),
            }
        )
    response = HttpResponse(content, content_type=document.media_type)
    response["Cache-Control"] = "no-store"
    response["Content-Disposition"] = f'attachment; filename="document-{document.public_id}"'
    return response


# --------------------------------------------------------------------------------------------------
# Search


def _date_filters(values: list[str]) -> list[list[dates.DateFilter]]:
    try:
        return dates.parse_all(values)
    except dates.DateSearchError:
        raise BadSearch(
            _("date : valeur invalide (ex. 2026, ge2026-12, lt2026-12-04T10:00:00+01:00)."), "date"
        ) from None


def _type_matches(document: Document, wanted: list[str]) -> bool:
    if not wanted:
        return True
    system, _display = codes.value_set(codes.J07).get(document.type_code, ("", ""))
    for token in wanted:
        token_system, sep, code = token.rpartition("|")
        if code == document.type_code and (
            not sep or not token_system or codes.same_system(token_system, system)
        ):
            return True
    return False


def _search(request: HttpRequest, params: QueryDict, *, allow_identifier: bool) -> HttpResponse:
    principal = authenticate(request)
    if isinstance(principal, HttpResponse):
        return principal
    try:
        patient = search_patient(params, allow_identifier=allow_identifier)
        statuses = [s for value in params.getlist("status") for s in value.split(",") if s]
        unknown = [s for s in statuses if s not in STATUS_IN]
        if unknown:
            raise BadSearch(_("status : « current » ou « superseded » attendu."), "status")
        types = [t for value in params.getlist("type") for t in value.split(",") if t]
        date_filters = _date_filters(params.getlist("date"))
    except BadSearch as exc:
        return operation_outcome(exc.message, status=400, issue="invalid", expression=exc.expression)
    if patient is None:
        return not_found()
    try:
        documents = selectors.document_list_for_actor(
            actor=principal.actor, patient_id=patient.pk, include_deprecated=statuses != ["current"]
        )
    except DomainError as exc:
        return _domain_error(exc)
    wanted_status = {STATUS_IN[s] for s in statuses}
    matches = [
        d
        for d in documents
        if (not wanted_status or d.status in wanted_status)
        and _type_matches(d, types)
        and dates.matches_all(d.deposited_at, date_filters)
    ]
    base = f"{settings.CARNET_BASE_URL}/fhir"
    return fhir_response(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(matches),
            "link": [{"relation": "self", "url": f"{base}/DocumentReference"}],
            "entry": [
                {
                    "fullUrl": f"{base}/DocumentReference/{d.public_id}",
                    "resource": document_reference(d, patient),
                    "search": {"mode": "match"},
                }
                for d in matches
            ],
        }
    )


@fhir_endpoint("GET")
def document_reference_search(request: HttpRequest) -> HttpResponse:
    """``GET /fhir/DocumentReference?patient=<public id>&type=&date=ge2026-01-01&status=current``."""
    return _search(request, request.GET, allow_identifier=False)


@fhir_endpoint("POST", body="form")
def document_reference_search_post(request: HttpRequest) -> HttpResponse:
    """``POST /fhir/DocumentReference/_search`` (form body; ``patient.identifier=urn:oid:...|<INS>``)."""
    return _search(request, request.POST, allow_identifier=True)
