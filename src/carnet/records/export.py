"""The documents section of the space export (R-LC-25), plugged in by ``spaces.export.register_section``.

What is exported is exactly what the requester may consult through ``document_list_for_actor`` (one
policy, invariant 1): the holder gets his documents except INVISIBLE_PATIENT ones before their date
(R-MASK-6); a legal representative does not get INVISIBLE_REPRESENTANTS_LEGAUX ones (R-MIN-5).
Contents are decrypted from the blob store (hash checked); an erased content is listed, not exported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone

from carnet.common.actors import Actor, ActorKind
from carnet.common.errors import NotFoundOrForbidden
from carnet.vault.blobstore import IntegrityFailure, KeyDestroyed, blob_get

from .selectors import document_list_for_actor

if TYPE_CHECKING:
    from carnet.spaces.export import ExportContext

_EXTENSIONS = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/tiff": "tif",
    "text/plain": "txt",
    "application/rtf": "rtf",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "text/xml": "xml",
}


def _requester(ctx: ExportContext) -> Actor:
    """The holder, or the legal representative who asked for the export (caregivers cannot, R-DEL-2)."""
    user = ctx.export.requested_by
    person = ctx.person
    if user is not None and user.person_id is not None and user.person_id != person.pk:
        return Actor(
            ActorKind.LEGAL_REPRESENTATIVE, str(user.public_id), user_id=user.pk, person_id=user.person_id
        )
    if user is not None:
        return Actor(ActorKind.PATIENT, str(user.public_id), user_id=user.pk, person_id=person.pk)
    return Actor(ActorKind.PATIENT, str(person.public_id), person_id=person.pk)


def section_documents(ctx: ExportContext) -> None:
    """``documents`` key (metadata) and ``documents/<id>.<ext>`` files (contents)."""
    try:
        documents = document_list_for_actor(
            actor=_requester(ctx), patient_id=ctx.person.pk, include_deprecated=True
        )
    except NotFoundOrForbidden:
        documents = []
    rows: list[dict[str, Any]] = []
    for document in documents:
        path = ""
        if document.blob is not None:
            try:
                content = blob_get(document.blob)
            except (KeyDestroyed, IntegrityFailure, FileNotFoundError):
                content = None
            if content is not None:
                path = f"documents/{document.public_id}.{_EXTENSIONS.get(document.media_type, 'bin')}"
                ctx.files[path] = content
        rows.append(
            {
                "identifiant": str(document.public_id),
                "titre": document.title,
                "categorie": document.patient_category,
                "classe": document.class_code,
                "type": document.type_code,
                "confidentialite": list(document.confidentiality),
                "statut": document.status,
                "remplace": str(document.replaces.public_id) if document.replaces is not None else None,
                "date_soins": document.service_start.isoformat() if document.service_start else None,
                "depose_le": timezone.localtime(document.deposited_at).isoformat(),
                "type_media": document.media_type,
                "fichier": path or None,
            }
        )
    ctx.data["documents"] = rows
