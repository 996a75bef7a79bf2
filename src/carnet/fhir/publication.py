"""IHE MHD "Provide Document Bundle" (ITI-65) as profiled by the ANS PDSm guide: a transaction Bundle
holding one SubmissionSet (List), DocumentReference(s) and Binary(ies), mapped to ``records`` deposits.

Two phases, so nothing is half-written (ARCHITECTURE invariant 9):

1. ``parse_publication`` validates the whole Bundle with ``fhir.resources`` (R4B) and our rules (codes,
   one patient, attachments resolved, sizes and SHA-1 hashes) without writing anything;
2. ``publish`` calls ``records.services.document_deposit`` / ``document_replace`` for every document inside
   ONE ``transaction.atomic()``; the first refusal rolls everything back (rows and traces) and the
   encrypted files already written are removed (unless the COMMIT itself failed: then the rows may be
   durable and the worker's sweep decides). The error names the entry: ``Bundle.entry[2]...``.

Retries (issue 13): a DocumentReference's ``masterIdentifier`` and the SubmissionSet's unique id
(``List.identifier`` with ``use = official``) are idempotency keys of the depositor
(``records.idempotency``): the same Bundle sent again answers the first documents, a document already
published under its ``masterIdentifier`` is not published twice, and an identifier reused for other
content is refused (422 naming it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError as PydanticValidationError

from carnet.common.actors import Actor
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.identity.models import Person
from carnet.records import idempotency
from carnet.records import services as records
from carnet.records.idempotency import IdempotencyKey
from carnet.records.models import DepositKeyNamespace, Document
from carnet.vault.blobstore import blob_transaction

from . import codes
from .structure import StructureError, check_resource_types

# records' field names → where they live in a DocumentReference (for OperationOutcome.expression).
FIELD_PATHS = {
    "type_code": "type",
    "class_code": "category",
    "title": "description",
    "confidentiality": "securityLabel",
    "practice_setting": "context.practiceSetting",
    "facility_type": "context.facilityType",
    "author_specialty": "author",
    "service_start": "context.period.start",
    "content": "content[0].attachment",
    "ins": "subject",
    "document": "relatesTo[0].target",
    "masterIdentifier": "masterIdentifier",
}


class FhirInputError(Exception):
    """A rejected payload: HTTP status, OperationOutcome issue code, FHIRPath expression, message."""

    def __init__(
        self, message: Any, *, expression: str = "", issue: str = "invalid", status: int = 422
    ) -> None:
        super().__init__(str(message))
        self.message = message
        self.expression = expression
        self.issue = issue
        self.status = status


@dataclass
class DocumentEntry:
    index: int
    full_url: str
    metadata: dict[str, Any]
    content: bytes
    media_type: str
    replaces: str | None = None
    binary_index: int | None = None
    title_path: str = "description"  # where the title came from, for OperationOutcome.expression
    master_identifier: str = ""  # "system|value": the document's idempotency key (issue 13)


@dataclass
class Publication:
    patient: Person
    documents: list[DocumentEntry] = field(default_factory=list)
    entry_kinds: list[str] = field(default_factory=list)  # resourceType of each entry, in order
    submission_id: str = ""  # the SubmissionSet's unique id, "system|value": the Bundle's idempotency key
    submission_path: str = ""  # where it is, for OperationOutcome.expression


def _loc_path(loc: tuple[Any, ...]) -> str:
    path = "Bundle"
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part not in ("DocumentReference", "Binary", "List", "Bundle"):
            path += f".{part}"
    return path


def _validate_bundle(data: Any) -> Any:
    from fhir.resources.R4B.bundle import Bundle

    if not isinstance(data, dict):
        raise FhirInputError(
            _("Le contenu doit être un objet JSON."), expression="Bundle", issue="structure", status=400
        )
    if data.get("resourceType") != "Bundle":
        raise FhirInputError(
            _("resourceType attendu : Bundle."),
            expression="Bundle.resourceType",
            issue="structure",
            status=400,
        )
    try:
        check_resource_types(data)  # "Foo", 5, null, lists: the models would fail with a 500
        return Bundle.model_validate(data)
    except StructureError as exc:
        raise FhirInputError(exc.message, expression=exc.expression, issue="structure", status=400) from None
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        raise FhirInputError(
            _("%(path)s : %(msg)s") % {"path": _loc_path(tuple(first["loc"])), "msg": first["msg"]},
            expression=_loc_path(tuple(first["loc"])),
            issue="required" if first.get("type") == "missing" else "structure",
            status=400,
        ) from None
    except (LookupError, TypeError, ValueError, AttributeError, RecursionError):
        # anything else the models choke on is still a malformed Bundle, never a server error
        raise FhirInputError(
            _("Bundle : structure FHIR invalide."), expression="Bundle", issue="structure", status=400
        ) from None


def _codeable(raw: Any, filename: str, expression: str, *, required: bool) -> str:
    codings = (raw or {}).get("coding") or []
    if not codings:
        if required:
            raise FhirInputError(
                _("%(path)s : élément obligatoire.") % {"path": expression},
                expression=expression,
                issue="required",
            )
        return ""
    known = codes.value_set(filename)
    for coding in codings:
        code = str(coding.get("code") or "")
        if code in known and codes.same_system(coding.get("system"), known[code][0]):
            return code
    raise FhirInputError(
        _("%(path)s : code inconnu.") % {"path": expression}, expression=expression, issue="code-invalid"
    )


def _patient_of(subject: Any, resource: dict[str, Any], expression: str) -> Person:
    """The patient a DocumentReference/List names: INS identifier, ``Patient/<public id>`` or a contained
    Patient carrying the INS."""
    from carnet.api.resolvers import patient_by_ins, patient_by_public_id

    subject = subject or {}
    identifier = subject.get("identifier")
    reference = str(subject.get("reference") or "")
    if identifier is None and reference.startswith("#"):
        for contained in resource.get("contained") or []:
            if contained.get("resourceType") == "Patient" and f"#{contained.get('id')}" == reference:
                identifier = next(
                    (i for i in contained.get("identifier") or [] if i.get("system") in codes.INS_SYSTEMS),
                    None,
                )
    try:
        if identifier is not None:
            system = str(identifier.get("system") or "")
            if system not in codes.INS_SYSTEMS:
                raise FhirInputError(
                    _("%(path)s : identifiant INS attendu (urn:oid:1.2.250.1.213.1.4.8 ou .10).")
                    % {"path": expression},
                    expression=expression,
                    issue="code-invalid",
                )
            return patient_by_ins(str(identifier.get("value") or ""), system)
        if reference.startswith("Patient/"):
            return patient_by_public_id(reference.removeprefix("Patient/"))
    except NotFoundOrForbidden:
        raise FhirInputError(
            _("Patient introuvable ou non autorisé."), expression=expression, issue="not-found", status=404
        ) from None
    raise FhirInputError(
        _("%(path)s : patient obligatoire.") % {"path": expression}, expression=expression, issue="required"
    )


def _b64(value: Any, expression: str) -> bytes:
    try:
        return base64.b64decode("".join(str(value or "").split()), validate=True)
    except (binascii.Error, ValueError):
        raise FhirInputError(
            _("%(path)s : base64 invalide.") % {"path": expression}, expression=expression
        ) from None


def _date(value: Any, expression: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise FhirInputError(
            _("%(path)s : date invalide.") % {"path": expression}, expression=expression
        ) from None


def parse_publication(data: Any) -> Publication:
    """Phase 1: validate everything, write nothing. Raises ``FhirInputError`` naming the first problem."""
    bundle = _validate_bundle(data)
    if bundle.type != "transaction":
        raise FhirInputError(
            _("Bundle.type : « transaction » attendu."), expression="Bundle.type", issue="value", status=400
        )
    entries = data.get("entry") or []
    if not entries:
        raise FhirInputError(
            _("Bundle.entry : au moins un document attendu."), expression="Bundle.entry", issue="required"
        )
    binaries: dict[str, tuple[int, bytes, str]] = {}
    lists: list[tuple[int, dict[str, Any]]] = []
    refs: list[tuple[int, dict[str, Any], str]] = []
    kinds: list[str] = []
    for index, entry in enumerate(entries):
        resource = entry.get("resource") or {}
        kind = str(resource.get("resourceType") or "")
        kinds.append(kind)
        base = f"Bundle.entry[{index}]"
        method = str((entry.get("request") or {}).get("method") or "")
        if method != "POST":
            raise FhirInputError(
                _("%(path)s.request.method : POST attendu.") % {"path": base},
                expression=f"{base}.request.method",
                issue="value",
            )
        full_url = str(entry.get("fullUrl") or "")
        if kind == "Binary":
            content = _b64(resource.get("data"), f"{base}.resource.data")
            binaries[full_url] = (index, content, str(resource.get("contentType") or ""))
        elif kind == "List":
            lists.append((index, resource))
        elif kind == "DocumentReference":
            refs.append((index, resource, full_url))
        else:
            raise FhirInputError(
                _("%(path)s.resource.resourceType : ressource non prise en charge (%(kind)s).")
                % {"path": base, "kind": kind},
                expression=f"{base}.resource.resourceType",
                issue="not-supported",
            )
    if len(lists) != 1:
        raise FhirInputError(
            _("Bundle.entry : une SubmissionSet (List) et une seule est attendue."),
            expression="Bundle.entry",
            issue="required",
        )
    if not refs:
        raise FhirInputError(
            _("Bundle.entry : au moins un DocumentReference attendu."),
            expression="Bundle.entry",
            issue="required",
        )
    list_index, submission = lists[0]
    patient = _patient_of(
        submission.get("subject"), submission, f"Bundle.entry[{list_index}].resource.subject"
    )
    publication = Publication(patient=patient, entry_kinds=kinds)
    publication.submission_id, publication.submission_path = _submission_id(submission, list_index)
    used_binaries: set[str] = set()
    limit = records.professional_upload_max_bytes()
    for index, resource, full_url in refs:
        base = f"Bundle.entry[{index}].resource"
        if _patient_of(resource.get("subject"), resource, f"{base}.subject").pk != patient.pk:
            raise FhirInputError(
                _("%(path)s.subject : patient différent de celui de la SubmissionSet.") % {"path": base},
                expression=f"{base}.subject",
                issue="business-rule",
            )
        status = str(resource.get("status") or "")
        if status != "current":
            raise FhirInputError(
                _("%(path)s.status : « current » attendu pour une publication.") % {"path": base},
                expression=f"{base}.status",
                issue="value",
            )
        metadata: dict[str, Any] = {
            "type_code": _codeable(resource.get("type"), codes.J07, f"{base}.type", required=True)
        }
        categories = resource.get("category") or []
        if categories:
            metadata["class_code"] = _codeable(
                categories[0], codes.J57, f"{base}.category[0]", required=False
            )
        labels = [
            _codeable(label, codes.J08, f"{base}.securityLabel[{i}]", required=True)
            for i, label in enumerate(resource.get("securityLabel") or [])
        ]
        if labels:
            metadata["confidentiality"] = labels
        contents = resource.get("content") or []
        attachment = (contents[0] if contents else {}).get("attachment") or {}
        # IHE MHD: XDS title = content.attachment.title; description (XDS comments) is the fallback.
        # Either way the records service strips bidi controls from it (carnet.common.text).
        title_path = "description"
        if attachment.get("title"):
            metadata["title"], title_path = str(attachment["title"]), "content[0].attachment.title"
        elif resource.get("description"):
            metadata["title"] = str(resource["description"])
        context = resource.get("context") or {}
        if context.get("practiceSetting"):
            metadata["practice_setting"] = _codeable(
                context["practiceSetting"], codes.J04, f"{base}.context.practiceSetting", required=False
            )
        if context.get("facilityType"):
            metadata["facility_type"] = _codeable(
                context["facilityType"], codes.J02, f"{base}.context.facilityType", required=False
            )
        start = _date((context.get("period") or {}).get("start"), f"{base}.context.period.start")
        if start is not None:
            metadata["service_start"] = start
        att_path = f"{base}.content[0].attachment"
        binary_index = None
        if attachment.get("data"):
            content = _b64(attachment["data"], f"{att_path}.data")
        else:
            url = str(attachment.get("url") or "")
            if url not in binaries:
                raise FhirInputError(
                    _("%(path)s.url : aucun Binary de la transaction ne porte cette adresse.")
                    % {"path": att_path},
                    expression=f"{att_path}.url",
                    issue="required",
                )
            binary_index, content, _binary_type = binaries[url]
            used_binaries.add(url)
        if not content:
            raise FhirInputError(
                _("%(path)s : contenu vide.") % {"path": att_path}, expression=att_path, issue="required"
            )
        if len(content) > limit:
            raise FhirInputError(
                _("%(path)s : contenu trop volumineux (%(mb)s Mo au plus).")
                % {"path": att_path, "mb": limit // (1024 * 1024)},
                expression=att_path,
                issue="too-long",
                status=413,
            )
        if attachment.get("size") is not None and int(attachment["size"]) != len(content):
            raise FhirInputError(
                _("%(path)s.size : ne correspond pas au contenu.") % {"path": att_path},
                expression=f"{att_path}.size",
                issue="value",
            )
        if attachment.get("hash"):
            expected = base64.b64encode(hashlib.sha1(content, usedforsecurity=False).digest()).decode()
            if str(attachment["hash"]) != expected:
                raise FhirInputError(
                    _("%(path)s.hash : SHA-1 (base64) différent de celui du contenu.") % {"path": att_path},
                    expression=f"{att_path}.hash",
                    issue="value",
                )
        replaces = None
        for i, relation in enumerate(resource.get("relatesTo") or []):
            target = str((relation.get("target") or {}).get("reference") or "")
            if relation.get("code") != "replaces" or not target.startswith("DocumentReference/"):
                raise FhirInputError(
                    _(
                        "%(path)s.relatesTo[%(i)s] : seul « replaces » vers DocumentReference/<id> est pris en charge."
                    )
                    % {"path": base, "i": i},
                    expression=f"{base}.relatesTo[{i}]",
                    issue="not-supported",
                )
            replaces = target.removeprefix("DocumentReference/")
        publication.documents.append(
            DocumentEntry(
                index=index,
                full_url=full_url,
                metadata=metadata,
                content=content,
                media_type=str(attachment.get("contentType") or ""),
                replaces=replaces,
                binary_index=binary_index,
                title_path=title_path,
                master_identifier=_identifier_key(
                    resource.get("masterIdentifier"), f"{base}.masterIdentifier"
                ),
            )
        )
    unused = set(binaries) - used_binaries
    if unused:
        index = min(binaries[url][0] for url in unused)
        raise FhirInputError(
            _("Bundle.entry[%(i)s] : Binary référencé par aucun DocumentReference.") % {"i": index},
            expression=f"Bundle.entry[{index}]",
            issue="business-rule",
        )
    return publication


def _identifier_key(identifier: Any, expression: str) -> str:
    """An Identifier used as an idempotency key: ``system|value`` (a value is required)."""
    if not identifier:
        return ""
    value = str(identifier.get("value") or "").strip()
    if not value:
        raise FhirInputError(
            _("%(path)s : élément obligatoire.") % {"path": f"{expression}.value"},
            expression=f"{expression}.value",
            issue="required",
        )
    return f"{identifier.get('system') or ''}|{value}"


def _submission_id(submission: dict[str, Any], list_index: int) -> tuple[str, str]:
    """IHE MHD: the SubmissionSet's uniqueId is its ``identifier`` with ``use = official``."""
    for i, identifier in enumerate(submission.get("identifier") or []):
        if isinstance(identifier, dict) and identifier.get("use") == "official":
            path = f"Bundle.entry[{list_index}].resource.identifier[{i}]"
            return _identifier_key(identifier, path), path
    return "", ""


def _entry_error(entry: DocumentEntry, exc: DomainError) -> FhirInputError:
    base = f"Bundle.entry[{entry.index}].resource"
    if isinstance(exc, NotFoundOrForbidden):
        return FhirInputError(
            _("%(path)s : introuvable ou non autorisé.") % {"path": base},
            expression=base,
            issue="not-found",
            status=404,
        )
    where = entry.title_path if exc.field == "title" else FIELD_PATHS.get(exc.field or "", "")
    path = f"{base}.{where}".rstrip(".")
    issue = {"required": "required", "too_large": "too-long"}.get(exc.code, "invalid")
    if exc.code == "type_refused" or "inconnu" in str(exc.message):
        issue = "code-invalid"
    return FhirInputError(
        _("%(path)s : %(reason)s") % {"path": path, "reason": exc.message},
        expression=path,
        issue=issue,
        status=413 if exc.code == "too_large" else 422,
    )


class _Rollback(Exception):
    def __init__(self, error: FhirInputError) -> None:
        self.error = error


def _entry_parts(patient_id: int, entry: DocumentEntry) -> dict[str, Any]:
    return idempotency.deposit_request_parts(
        operation=f"replace:{entry.replaces}" if entry.replaces is not None else "deposit",
        patient_id=patient_id,
        content=entry.content,
        filename="",
        media_type=entry.media_type,
        metadata=entry.metadata,
    )


def _publish_entry(actor: Actor, publication: Publication, entry: DocumentEntry) -> Document:
    """One deposit or replacement; under its ``masterIdentifier`` when it has one (a document already
    published under it is answered, not published again)."""
    key = (
        IdempotencyKey(DepositKeyNamespace.FHIR_DOCUMENT, entry.master_identifier, "masterIdentifier")
        if entry.master_identifier
        else None
    )
    if entry.replaces is not None:
        try:
            uuid.UUID(entry.replaces)
        except ValueError:
            raise NotFoundOrForbidden(_("Document introuvable."), code="not_found") from None
        document, _replayed = records.document_replace_once(
            key=key,
            actor=actor,
            patient_id=publication.patient.pk,
            document_public_id=entry.replaces,
            content=entry.content,
            declared_media_type=entry.media_type,
            **entry.metadata,
        )
        return document
    document, _replayed = records.document_deposit_once(
        key=key,
        actor=actor,
        patient_id=publication.patient.pk,
        content=entry.content,
        declared_media_type=entry.media_type,
        **entry.metadata,
    )
    return document


def publish(*, actor: Actor, publication: Publication) -> list[Document]:
    """Phase 2: every deposit/replacement in one transaction; all or nothing. A Bundle whose SubmissionSet
    unique id was already published by this depositor with the same content answers the first documents
    (nothing written); a document whose ``masterIdentifier`` was already published is not published again."""
    set_key = (
        IdempotencyKey(
            DepositKeyNamespace.FHIR_SUBMISSION, publication.submission_id, publication.submission_path
        )
        if publication.submission_id
        else None
    )
    fingerprint = (
        idempotency.request_hash(
            {
                "patient": publication.patient.pk,
                "documents": [
                    {**_entry_parts(publication.patient.pk, e), "masterIdentifier": e.master_identifier}
                    for e in publication.documents
                ],
            }
        )
        if set_key is not None
        else ""
    )
    created: list[Document] = []
    try:
        if set_key is not None:
            earlier = idempotency.lookup(actor, set_key)
            if earlier is not None:
                idempotency.check_same_request(earlier, fingerprint, set_key)
                return idempotency.documents_of(earlier)
        with blob_transaction():  # the files of a rolled-back Bundle go; a failed COMMIT keeps them
            row = (
                idempotency.claim(
                    actor=actor, key=set_key, patient_id=publication.patient.pk, fingerprint=fingerprint
                )
                if set_key is not None
                else None
            )
            for entry in publication.documents:
                try:
                    document = _publish_entry(actor, publication, entry)
                except DomainError as exc:
                    raise _Rollback(_entry_error(entry, exc)) from exc
                created.append(document)
            if row is not None:
                idempotency.settle(row, created)
    except _Rollback as exc:
        raise exc.error from None
    except idempotency.Replayed as replay:  # a concurrent identical Bundle committed first
        return idempotency.documents_of(replay.row)
    except NotFoundOrForbidden:
        raise FhirInputError(
            _("%(path)s : introuvable ou non autorisé.") % {"path": "Bundle"},
            expression="Bundle",
            issue="not-found",
            status=404,
        ) from None
    except DomainError as exc:  # the SubmissionSet's id reused for another Bundle
        raise FhirInputError(
            _("%(path)s : %(reason)s")
            % {"path": set_key.field if set_key else "Bundle", "reason": exc.message},
            expression=set_key.field if set_key else "Bundle",
            issue="business-rule",
            status=422,
        ) from None
    return created
