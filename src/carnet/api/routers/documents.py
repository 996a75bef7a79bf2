"""Document endpoints: thin calls to ``carnet.records`` selectors (reads, policy-scoped and traced) and
services (writes). Nothing here decides access (ARCHITECTURE invariant 1)."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import File, Form, HeaderEx, P, Router, Status, UploadedFile

from carnet.access.facts import AccessMode
from carnet.common.actors import Actor
from carnet.common.errors import DomainError
from carnet.identity.models import Person, Professional
from carnet.records import idempotency, selectors, services
from carnet.records.models import AuthorKind, Document

from ..auth import caller_of
from ..resolvers import patient_by_public_id, patient_from_ref, professional_of_user
from ..schemas import (
    AuthorOut,
    BulkDeleteIn,
    DeletedOut,
    DepositIn,
    DocumentListOut,
    DocumentOut,
    ErrorOut,
    MetadataFields,
    MetadataUpdateIn,
    ReplaceIn,
    SearchIn,
)

router = Router(tags=["documents"])
ERRORS: dict[int | frozenset[int], Any] = {frozenset({400, 401, 403, 404, 413, 422}): ErrorOut}
_CONTENT_DISPOSITION = 'attachment; filename="document-{id}{ext}"'
_EXTENSIONS = {
    "application/pdf": ".pdf",
    "text/xml": ".xml",
    "application/xml": ".xml",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/tiff": ".tif",
    "text/plain": ".txt",
}


# Issue 13: a retried deposit with the same key answers the first document (docs/subsystems/records.md).
IdempotencyKeyHeader = HeaderEx[
    str | None,
    P(
        alias=idempotency.API_HEADER,
        description=(
            "Optional idempotency key (1 to 255 printable ASCII characters, no health data), scoped to the "
            "depositor and kept 48 hours: the same request sent again with the same key answers the first "
            "document (header `Idempotent-Replayed: true`) instead of depositing it twice; the same key with "
            "another request is refused (422, field `Idempotency-Key`)."
        ),
        min_length=1,
        max_length=idempotency.MAX_KEY_LENGTH,
        pattern=r"^[\x20-\x7e]+$",
    ),
]


def _replayed(request: HttpRequest, response: HttpResponse, patient: Person, document: Document) -> Document:
    """The first document of a retried deposit, read like any read (policy, ``CONSULT`` trace): a retry
    is not a second deposit, but its answer lets the document's metadata out again."""
    response["Idempotent-Replayed"] = "true"
    actor, professional = _reader(request, patient)
    return selectors.document_get_for_actor(
        actor=actor,
        patient_id=patient.pk,
        document_public_id=document.public_id,
        patient=patient,
        professional=professional,
    )


def author_of(document: Document) -> AuthorOut:
    if document.author_professional is not None:
        pro = document.author_professional
        return AuthorOut(kind=document.author_kind, id=str(pro.public_id), name=pro.display_name)
    if document.author_organisation is not None:
        org = document.author_organisation
        return AuthorOut(kind=document.author_kind, id=str(org.public_id), name=org.name)
    if document.author_kind == AuthorKind.PATIENT:
        return AuthorOut(kind=document.author_kind, name=str(AuthorKind.PATIENT.label))
    return AuthorOut(kind=document.author_kind, name=str(AuthorKind(document.author_kind).label))


def document_out(document: Document, patient: Person) -> DocumentOut:
    return DocumentOut(
        id=document.public_id,
        patient_id=patient.public_id,
        status=document.status,
        type_code=document.type_code,
        class_code=document.class_code,
        title=document.title,
        confidentiality=list(document.confidentiality),
        practice_setting=document.practice_setting,
        facility_type=document.facility_type,
        author=author_of(document),
        author_specialty=document.author_specialty,
        service_start=document.service_start,
        deposited_at=document.deposited_at,
        media_type=document.media_type,
        size=document.size,
        sha256=document.blob.sha256 if document.blob is not None else "",
        replaces=document.replaces.public_id if document.replaces is not None else None,
        category=document.patient_category,
    )


def decode_base64(value: str, field: str = "content_base64") -> bytes:
    try:
        return base64.b64decode("".join((value or "").split()), validate=True)
    except (binascii.Error, ValueError):
        raise DomainError(_("Le contenu n'est pas un base64 valide."), code="invalid", field=field) from None


def _metadata(body: MetadataFields) -> dict[str, Any]:
    return {
        k: v for k, v in body.model_dump(include=set(MetadataFields.model_fields)).items() if v is not None
    }


def _reader(request: HttpRequest, patient: Person) -> tuple[Actor, Professional | None]:
    """The caller's actor and, for a professional's session, his directory row (read once: the gateway
    reuses it instead of resolving the professional a second time)."""
    caller = caller_of(request)
    professional = professional_of_user(caller.user)  # before actor_for: it then reuses the row
    return caller.actor_for(patient), professional


def _list(
    request: HttpRequest, patient: Person, category: str | None, include_deprecated: bool, mode: AccessMode
) -> DocumentListOut:
    actor, professional = _reader(request, patient)
    documents = selectors.document_list_for_actor(
        actor=actor,
        patient_id=patient.pk,
        category=category or None,
        include_deprecated=include_deprecated,
        mode=mode,
        patient=patient,
        professional=professional,
    )
    return DocumentListOut(
        patient_id=patient.public_id,
        count=len(documents),
        documents=[document_out(d, patient) for d in documents],
    )


@router.get("/patients/{patient_id}/documents", response={200: DocumentListOut, **ERRORS})
def documents_list(
    request: HttpRequest,
    patient_id: uuid.UUID,
    category: str | None = None,
    include_deprecated: bool = False,
    mode: AccessMode = AccessMode.NORMAL,
) -> DocumentListOut:
    """The documents of a patient the caller may consult (policy-scoped, traced ``DOCUMENT_LIST``).
    ``mode=BTG``/``SAMU``: reads under the caller's open emergency session (R-EM-1/2/6)."""
    return _list(request, patient_by_public_id(patient_id), category, include_deprecated, mode)


@router.post("/documents/_search", response={200: DocumentListOut, **ERRORS})
def documents_search(request: HttpRequest, body: SearchIn) -> DocumentListOut:
    """Same as the list, the patient named in the body (public id or INS: never in a URL)."""
    patient = patient_from_ref(id=body.patient.id, ins=body.patient.ins, ins_oid=body.patient.ins_oid)
    return _list(request, patient, body.category, body.include_deprecated, body.mode)


@router.get("/patients/{patient_id}/documents/{document_id}", response={200: DocumentOut, **ERRORS})
def document_get(
    request: HttpRequest, patient_id: uuid.UUID, document_id: uuid.UUID, mode: AccessMode = AccessMode.NORMAL
) -> DocumentOut:
    """One document's metadata (traced ``CONSULT``); 404 for missing and forbidden alike."""
    patient = patient_by_public_id(patient_id)
    actor, professional = _reader(request, patient)
    document = selectors.document_get_for_actor(
        actor=actor,
        patient_id=patient.pk,
        document_public_id=document_id,
        mode=mode,
        patient=patient,
        professional=professional,
    )
    return document_out(document, patient)


@router.get(
    "/patients/{patient_id}/documents/{document_id}/content",
    response={200: None, **ERRORS},
    openapi_extra={"responses": {200: {"description": "The document's content (its own media type)."}}},
)
def document_content(
    request: HttpRequest, patient_id: uuid.UUID, document_id: uuid.UUID, mode: AccessMode = AccessMode.NORMAL
) -> HttpResponse:
    """The decrypted content (traced ``DOWNLOAD``; hash checked)."""
    patient = patient_by_public_id(patient_id)
    actor, professional = _reader(request, patient)
    document, content = selectors.document_content_for_actor(
        actor=actor,
        patient_id=patient.pk,
        document_public_id=document_id,
        mode=mode,
        patient=patient,
        professional=professional,
    )
    response = HttpResponse(content, content_type=document.media_type)
    ext = _EXTENSIONS.get(document.media_type, "")
    response["Content-Disposition"] = _CONTENT_DISPOSITION.format(id=document.public_id, ext=ext)
    response["Cache-Control"] = "no-store"
    return response


@router.post("/documents", response={201: DocumentOut, **ERRORS})
def document_deposit(
    request: HttpRequest,
    response: HttpResponse,
    body: DepositIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Status[DocumentOut]:
    """Deposit (SPEC §2.6): professionals and establishments (PDF or CDA R2, R-FMT-1, allowed before
    activation R-LC-14 and without consent R-DEP-5) or the holder's side (R-FMT-2/3/4)."""
    patient = patient_from_ref(id=body.patient.id, ins=body.patient.ins, ins_oid=body.patient.ins_oid)
    content = decode_base64(body.content_base64)
    document, replayed = services.document_deposit_once(
        key=idempotency.api_key(idempotency_key),
        actor=caller_of(request).actor_for(patient),
        patient_id=patient.pk,
        content=content,
        filename=body.filename,
        declared_media_type=body.media_type,
        **_metadata(body),
    )
    if replayed:
        document = _replayed(request, response, patient, document)
    return Status(201, document_out(document, patient))


@router.post("/documents/upload", response={201: DocumentOut, **ERRORS})
def document_upload(
    request: HttpRequest,
    response: HttpResponse,
    file: File[UploadedFile],
    patient_id: Form[uuid.UUID],
    type_code: Form[str] = "",
    title: Form[str] = "",
    category: Form[str] = "",
    confidentiality: Form[str] = "",
    service_start: Form[str] = "",
    idempotency_key: IdempotencyKeyHeader = None,
) -> Status[DocumentOut]:
    """Deposit as multipart/form-data (``file`` + metadata fields; ``confidentiality`` space-separated)."""
    patient = patient_by_public_id(patient_id)
    metadata: dict[str, Any] = {"type_code": type_code, "title": title, "category": category}
    if confidentiality.strip():
        metadata["confidentiality"] = confidentiality.split()
    if service_start:
        metadata["service_start"] = _parse_date(service_start)
    limit = max(services.professional_upload_max_bytes(), services.patient_upload_max_bytes())
    if file.size is not None and file.size > limit:
        raise DomainError(_("Le fichier est trop volumineux."), code="too_large", field="content")
    document, replayed = services.document_deposit_once(
        key=idempotency.api_key(idempotency_key),
        actor=caller_of(request).actor_for(patient),
        patient_id=patient.pk,
        content=file.read(),
        filename=file.name or "",
        declared_media_type=file.content_type or "",
        **{k: v for k, v in metadata.items() if v},
    )
    if replayed:
        document = _replayed(request, response, patient, document)
    return Status(201, document_out(document, patient))


def _parse_date(value: str) -> Any:
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(_("Date invalide (AAAA-MM-JJ)."), code="invalid", field="service_start") from None


@router.post("/patients/{patient_id}/documents/{document_id}/replace", response={201: DocumentOut, **ERRORS})
def document_replace(
    request: HttpRequest,
    response: HttpResponse,
    patient_id: uuid.UUID,
    document_id: uuid.UUID,
    body: ReplaceIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Status[DocumentOut]:
    """R-VER-1: the author replaces its document (new version Approved, old one Deprecated)."""
    patient = patient_by_public_id(patient_id)
    document, replayed = services.document_replace_once(
        key=idempotency.api_key(idempotency_key),
        actor=caller_of(request).actor_for(patient),
        patient_id=patient.pk,
        document_public_id=document_id,
        content=decode_base64(body.content_base64),
        filename=body.filename,
        declared_media_type=body.media_type,
        **_metadata(body),
    )
    if replayed:
        document = _replayed(request, response, patient, document)
    return Status(201, document_out(document, patient))


@router.patch("/patients/{patient_id}/documents/{document_id}", response={200: DocumentOut, **ERRORS})
def document_update_metadata(
    request: HttpRequest, patient_id: uuid.UUID, document_id: uuid.UUID, body: MetadataUpdateIn
) -> DocumentOut:
    """R-VER-1: the author updates title, confidentiality (e.g. lifts INVISIBLE_PATIENT, R-MASK-6) or status."""
    patient = patient_by_public_id(patient_id)
    document = services.document_update_metadata(
        actor=caller_of(request).actor_for(patient),
        patient_id=patient.pk,
        document_public_id=document_id,
        title=body.title,
        confidentiality=body.confidentiality,
        status=body.status,
    )
    return document_out(document, patient)


@router.delete("/patients/{patient_id}/documents/{document_id}", response={204: None, **ERRORS})
def document_delete(request: HttpRequest, patient_id: uuid.UUID, document_id: uuid.UUID) -> Status[None]:
    """R-VER-2: the author (professional or establishment) deletes its document (tombstone, R-DOC-11)."""
    patient = patient_by_public_id(patient_id)
    services.document_delete_by_author(
        actor=caller_of(request).actor_for(patient), patient_id=patient.pk, document_public_id=document_id
    )
    return Status(204, None)


@router.post("/patients/{patient_id}/documents-deletion", response={200: DeletedOut, **ERRORS})
def documents_delete_own(request: HttpRequest, patient_id: uuid.UUID, body: BulkDeleteIn) -> DeletedOut:
    """R-DOC-10: the holder's side deletes its own uploads (at most 10, all or nothing); a professional's
    document is refused (403 ``not_deletable``: it can only be masked)."""
    patient = patient_by_public_id(patient_id)
    deleted = services.documents_delete_by_patient(
        actor=caller_of(request).actor_for(patient), patient_id=patient.pk, document_ids=body.document_ids
    )
    return DeletedOut(deleted=[d.public_id for d in deleted])


@router.post("/patients/{patient_id}/documents/{document_id}/mask", response={200: DocumentOut, **ERRORS})
def document_mask(request: HttpRequest, patient_id: uuid.UUID, document_id: uuid.UUID) -> DocumentOut:
    """R-MASK-1: the holder's side masks a document from professionals (MASQUE_PS)."""
    patient = patient_by_public_id(patient_id)
    document = services.document_mask(
        actor=caller_of(request).actor_for(patient), patient_id=patient.pk, document_public_id=document_id
    )
    return document_out(document, patient)


@router.post("/patients/{patient_id}/documents/{document_id}/unmask", response={200: DocumentOut, **ERRORS})
def document_unmask(request: HttpRequest, patient_id: uuid.UUID, document_id: uuid.UUID) -> DocumentOut:
    """R-MASK-1: the holder's side removes MASQUE_PS."""
    patient = patient_by_public_id(patient_id)
    document = services.document_unmask(
        actor=caller_of(request).actor_for(patient), patient_id=patient.pk, document_public_id=document_id
    )
    return document_out(document, patient)
