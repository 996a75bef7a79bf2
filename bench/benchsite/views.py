"""Minimal JSON views doing what an API handler does: resolve the caller, call the selector, serialise.

They make the same selector calls as ``carnet.api.routers.documents`` (policy + trace + first-access
notification inside ``document_list_for_actor`` / ``document_get_for_actor``); only the HTTP layer is
simpler (no django-ninja, no schema validation)."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse, JsonResponse

from carnet.accounts.services import actor_for_user
from carnet.common.errors import NotFoundOrForbidden
from carnet.identity.models import Person
from carnet.records import selectors
from carnet.records.models import Document


def _doc(d: Document) -> dict[str, object]:
    return {
        "id": str(d.public_id),
        "status": d.status,
        "type_code": d.type_code,
        "class_code": d.class_code,
        "title": d.title,
        "confidentiality": list(d.confidentiality),
        "author": d.author_professional.display_name if d.author_professional else "",
        "deposited_at": d.deposited_at.isoformat(),
        "media_type": d.media_type,
        "size": d.size,
        "sha256": d.blob.sha256 if d.blob is not None else "",
    }


def _caller(request: HttpRequest, patient_id: uuid.UUID) -> tuple[object, Person] | None:
    if not request.user.is_authenticated:
        return None
    patient = Person.objects.filter(public_id=patient_id).first()
    if patient is None:
        return None
    return actor_for_user(request.user), patient  # type: ignore[arg-type]


def documents_list(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    found = _caller(request, patient_id)
    if found is None:
        return JsonResponse({"error": "not_found"}, status=404)
    actor, patient = found
    try:
        docs = selectors.document_list_for_actor(actor=actor, patient_id=patient.pk)  # type: ignore[arg-type]
    except NotFoundOrForbidden:
        return JsonResponse({"error": "not_found"}, status=404)
    return JsonResponse({"count": len(docs), "documents": [_doc(d) for d in docs]})


def document_get(request: HttpRequest, patient_id: uuid.UUID, document_id: uuid.UUID) -> HttpResponse:
    found = _caller(request, patient_id)
    if found is None:
        return JsonResponse({"error": "not_found"}, status=404)
    actor, patient = found
    try:
        doc = selectors.document_get_for_actor(
            actor=actor,  # type: ignore[arg-type]
            patient_id=patient.pk,
            document_public_id=document_id,
        )
    except NotFoundOrForbidden:
        return JsonResponse({"error": "not_found"}, status=404)
    return JsonResponse(_doc(doc))
