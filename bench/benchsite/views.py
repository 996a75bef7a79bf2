"""Minimal JSON views doing what an API handler does: resolve the caller, call the selector, serialise.

They make the same selector calls as ``carnet.api.routers.documents`` (policy + trace + first-access
notification inside ``document_list_for_actor`` / ``document_get_for_actor``); only the HTTP layer is
simpler (no django-ninja, no schema validation).

Three framework floors (``/bench/floor/...``) measure, with the same server, what any request costs before
the reads do anything of their own: the middleware stack alone, plus the session and user, plus one traced
act (ARCHITECTURE invariant 2: every act that lets data out pays at least one trace in its transaction)."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from carnet.accounts.services import actor_for_user
from carnet.audit.services import trace
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


def floor_anonymous(request: HttpRequest) -> HttpResponse:
    """The framework floor: the whole middleware stack, no database (bench baseline)."""
    return JsonResponse({"ok": True})


def floor_session(request: HttpRequest) -> HttpResponse:
    """The framework floor with the session and user loaded (what any authenticated call pays)."""
    return JsonResponse({"ok": request.user.is_authenticated})


def floor_session_trace(request: HttpRequest) -> HttpResponse:
    """The floor of any traced act: session + user + one ``audit.services.trace`` in a transaction.

    ``?patient=<Person.pk>`` names the fixed bench patient who receives the ``BENCH_FLOOR`` trace (group
    ``general``, actor = the caller's own actor): its leaf hash and signed entry timestamp, the INSERT of
    the trace and of its row in the transparency log's queue (one statement on PostgreSQL), then the
    commit (ARCHITECTURE invariants 2 and 3; the trace is the project's, unchanged; ADR 0007). An anonymous caller or a missing patient answers 404 and traces nothing.
    """
    raw = request.GET.get("patient", "")
    if not request.user.is_authenticated or not raw.isdigit():
        return JsonResponse({"error": "not_found"}, status=404)
    actor = actor_for_user(request.user)  # type: ignore[arg-type]
    with transaction.atomic():
        entry = trace(actor=actor, action="BENCH_FLOOR", patient_id=int(raw), group="general")
    return JsonResponse({"ok": True, "id": entry.pk})
