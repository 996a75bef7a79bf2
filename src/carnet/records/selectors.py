"""Reads of the record, scoped by the access policy (invariant 1) and traced (invariant 2).

* ``document_list_for_actor`` builds the facts once (``access.gateway.access_scope``), loads the
  patient's current documents in one query and keeps those the policy lets the actor consult. The list
  is traced (``DOCUMENT_LIST``, with the number shown, never titles).
* ``document_get_for_actor`` answers the same ``NotFoundOrForbidden`` for a missing and a denied
  document; allowed and denied reads are both traced (``CONSULT`` / ``DOWNLOAD``, mode, rule).
* ``document_content_for_actor`` decrypts the content (hash checked, R-DOC / invariant 4).

Reads by professionals queue the "premier accès" e-mail once (R-AC-14) and the emergency e-mails once
per emergency session (R-EM-3), in the same transaction as the read's trace.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from carnet.access import gateway
from carnet.access import services as access_services
from carnet.access.facts import AccessMode, Action, DocumentFacts
from carnet.access.gateway import AccessScope
from carnet.access.policy import DEFAULT_DENY, Decision
from carnet.audit.services import trace
from carnet.common import clock
from carnet.common.actors import Actor
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.common.rawsql import Columns, column, fetchall, link, per_vendor, table
from carnet.identity.models import Organisation, Person, Professional
from carnet.vault import keyring
from carnet.vault.blobstore import IntegrityFailure, KeyDestroyed, blob_get, unwrap_stored
from carnet.vault.models import Blob, PatientKey
from carnet.vault.sealing import attach_key

from . import formats
from .facts import document_facts
from .hidden import hidden_from_a_patient_side_viewer
from .models import Document, DocumentStatus

NOT_FOUND = _("Document introuvable.")


_DOCUMENT = Columns(Document, "d")
_AUTHOR_PRO = Columns(Professional, "ap")
_AUTHOR_ORG = Columns(Organisation, "ao")
_REPLACES = Columns(Document, "rp", only=["public_id"])  # only its public id is ever shown
_BLOB = Columns(Blob, "b")


@per_vendor
def _documents_sql(by_status: bool, by_category: bool, by_public_id: bool) -> str:
    """The statement of ``_documents`` for one combination of filters (parameters in that order)."""
    where = [f"d.{column(Document, 'patient_id')} = %s", f"d.{column(Document, 'deleted_at')} IS NULL"]
    if by_status:
        where.append(f"d.{column(Document, 'status')} = %s")
    if by_category:
        where.append(f"d.{column(Document, 'patient_category')} = %s")
    if by_public_id:
        where.append(f"d.{column(Document, 'public_id')} = %s")
    order = "" if by_public_id else f" ORDER BY d.{column(Document, 'deposited_at')} DESC, d.id DESC"
    return (
        f"SELECT {_DOCUMENT.sql()}, {_AUTHOR_PRO.sql()}, {_AUTHOR_ORG.sql()}, {_REPLACES.sql()}, "  # noqa: S608 - names from _meta, values bound
        f"{_BLOB.sql()}, k.{column(PatientKey, 'wrapped_key')} FROM {table(Document)} d "
        f"LEFT JOIN {table(Professional)} ap ON ap.id = d.{column(Document, 'author_professional')} "
        f"LEFT JOIN {table(Organisation)} ao ON ao.id = d.{column(Document, 'author_organisation')} "
        f"LEFT JOIN {table(Document)} rp ON rp.id = d.{column(Document, 'replaces')} "
        f"LEFT JOIN {table(Blob)} b ON b.id = d.{column(Document, 'blob')} "
        f"LEFT JOIN {table(PatientKey)} k ON k.{column(PatientKey, 'patient_id')} = d.{column(Document, 'patient_id')} "
        f"WHERE {' AND '.join(where)}{order}"
    )


def _documents(
    patient_id: int,
    *,
    status: str | None = None,
    category: str | None = None,
    public_id: uuid.UUID | None = None,
) -> list[Document]:
    """The patient's documents (not deleted), newest first, with their authors, replaced version and
    blob row cached as ``select_related`` would. Plain SQL (``carnet.common.rawsql``): it runs on every
    read of the record, where the ORM's query compilation cost more than the database."""
    params: list[object] = [patient_id]
    if status is not None:
        params.append(status)
    if category is not None:
        params.append(category)
    if public_id is not None:
        params.append(Document._meta.get_field("public_id").get_db_prep_value(public_id, connection))
    sql = _documents_sql(status is not None, category is not None, public_id is not None)
    documents = []
    rows = fetchall(sql, params)
    for row in rows:
        document = _DOCUMENT.load(row)
        assert document is not None
        start = _DOCUMENT.width
        link(document, "author_professional", _AUTHOR_PRO.load(row, start))
        start += _AUTHOR_PRO.width
        link(document, "author_organisation", _AUTHOR_ORG.load(row, start))
        start += _AUTHOR_ORG.width
        link(document, "replaces", _REPLACES.load(row, start))
        link(document, "blob", _BLOB.load(row, start + _REPLACES.width))
        documents.append(document)
    if rows and rows[0][-1] is not None:
        # The wrapped key came with the rows (ADR 0008: no statement of its own on the read path): the
        # sealed titles open without another lookup, and so does the rest of this unit of work.
        data_key = unwrap_stored(rows[0][-1], patient_id)
        keyring.remember(patient_id, data_key)
        attach_key(documents, data_key)
    return documents


def _probe(scope: AccessScope) -> DocumentFacts:
    """A document the actor would surely see if he may enter the record at all: one he wrote himself
    (professional side) or an ordinary one (patient side). Denied ⇒ the whole record is refused."""
    facts = scope.facts
    return DocumentFacts(
        document_id="record-probe",
        type_code="11488-4",
        class_code="10",
        author_professional_id=facts.id if facts.is_professional_side else "",
        author_organisation_id=facts.organisation_id if facts.is_professional_side else "",
    )


def _trace_read(
    scope: AccessScope,
    *,
    action: str,
    decision: Decision,
    object_id: str = "",
    object_type: str = "document",
    outcome: str | None = None,
    **details: object,
) -> None:
    session = scope.session
    trace(
        actor=scope.actor,
        action=action,
        patient_id=scope.patient_id if scope.holder is not None else None,
        group="documents",
        object_type=object_type,
        object_id=object_id,
        mode=str(scope.mode),
        reason=session.reason if session is not None and decision else "",
        outcome=outcome or ("ALLOW" if decision else "DENY"),
        details={
            "rule": decision.rule,
            **({"session": str(session.public_id)} if session is not None else {}),
            **details,
        },
    )


@dataclass(frozen=True)
class DocumentListing:
    """A list read: the documents the actor may consult, and what the record shows him beyond his own
    documents (``gateway.record_decision``: consent, designation, emergency, or why not)."""

    documents: list[Document]
    access: Decision


def document_listing_for_actor(
    *,
    actor: Actor,
    patient_id: int,
    mode: AccessMode | str = AccessMode.NORMAL,
    category: str | None = None,
    include_deprecated: bool = False,
    organisation: Organisation | None = None,
    patient: Person | None = None,
    professional: Professional | None = None,
) -> DocumentListing:
    """The patient's documents the actor may consult, newest first (a fixed number of queries), with the
    record-level decision the pages explain (consent, designation, break-the-glass, blocking...).

    Raises ``NotFoundOrForbidden`` (after a ``DENY`` trace) when the actor may not enter the record at all
    (forbidden actor R-AC-1, space status, not linked to the holder, emergency without session...).
    Facts, decisions and the traces are read and written in ONE transaction (invariants 1-2); see
    ``_trace_list`` for what the traces say.
    ``patient`` / ``professional``: rows the caller already holds (see ``gateway.access_scope``).
    """
    listing: DocumentListing | None = None
    with transaction.atomic():
        scope = gateway.access_scope(
            actor=actor,
            patient_id=patient_id,
            mode=mode,
            organisation=organisation,
            patient=patient,
            professional=professional,
        )
        entry = gateway.decide(scope, _probe(scope), Action.CONSULT)
        if not entry:
            _trace_read(scope, action="DOCUMENT_LIST", decision=entry, object_type="record")
        else:
            documents = _documents(
                patient_id,
                status=None if include_deprecated else DocumentStatus.APPROVED,
                category=category or None,
            )
            facts = [document_facts(doc) for doc in documents]
            decided = zip(documents, facts, gateway.decide_many(scope, facts), strict=True)
            allowed = [(doc, fact, decision) for doc, fact, decision in decided if decision]
            access = gateway.record_decision(scope)
            _trace_list(scope, access, [(doc, decision) for doc, _f, decision in allowed])
            if scope.is_professional_side:
                access_services.professional_read_recorded(
                    scope, [d for _doc, _f, d in allowed], documents=[f for _doc, f, _d in allowed]
                )
            listing = DocumentListing(documents=[doc for doc, _f, _d in allowed], access=access)
    if listing is None:  # raised after the commit: the DENY trace stays
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    return listing


def document_list_for_actor(
    *,
    actor: Actor,
    patient_id: int,
    mode: AccessMode | str = AccessMode.NORMAL,
    category: str | None = None,
    include_deprecated: bool = False,
    organisation: Organisation | None = None,
    patient: Person | None = None,
    professional: Professional | None = None,
) -> list[Document]:
    """``document_listing_for_actor`` without the record-level decision (the JSON API, FHIR, exports)."""
    return document_listing_for_actor(
        actor=actor,
        patient_id=patient_id,
        mode=mode,
        category=category,
        include_deprecated=include_deprecated,
        organisation=organisation,
        patient=patient,
        professional=professional,
    ).documents


def _trace_list(scope: AccessScope, access: Decision, allowed: list[tuple[Document, Decision]]) -> None:
    """The traces of one list read (every list path: pages, JSON API, FHIR search).

    * Outcome: a list that showed the actor nothing because the record is refused to him (blocked
      R-BLK-2, no consent R-AC-12, expired access R-AC-16, occupational doctor R-AC-2...) is a ``DENY``
      with that rule, not an ``ALLOW`` of zero documents. A list that showed him only what he wrote
      himself is an ``ALLOW`` under the author rule (R-MASK-1), the refusal kept as ``record_rule``.
    * Counts per viewer (issue 12, item 2): ``count`` counts only the listed documents that every
      patient-side viewer may see. Each listed document hidden from one of them (``INVISIBLE_PATIENT``
      before its release, ``INVISIBLE_REPRESENTANTS_LEGAUX``) gets its own ``DOCUMENT_LIST`` trace whose
      ``object_id`` is that document: the history hides it from exactly those viewers
      (``records.hidden``), so neither a number nor an id betrays that a hidden document exists.
    """
    now = clock.now()
    hidden = [(doc, d) for doc, d in allowed if hidden_from_a_patient_side_viewer(doc, now=now)]
    shown = len(allowed) - len(hidden)
    if access:
        _trace_read(scope, action="DOCUMENT_LIST", decision=access, object_type="record", count=shown)
    elif allowed:
        authors = Decision(True, "R-MASK-1", "only the actor's own documents are listed")
        _trace_read(
            scope,
            action="DOCUMENT_LIST",
            decision=authors,
            object_type="record",
            count=shown,
            record_rule=access.rule,
        )
    else:
        _trace_read(scope, action="DOCUMENT_LIST", decision=access, object_type="record", count=0)
    for document, decision in hidden:
        _trace_read(scope, action="DOCUMENT_LIST", decision=decision, object_id=str(document.public_id))


def _load(patient_id: int, document_public_id: uuid.UUID | str) -> Document | None:
    """The patient's current (not deleted) document with this public id, or None."""
    try:
        wanted = uuid.UUID(str(document_public_id))
    except ValueError:
        return None
    return next(iter(_documents(patient_id, public_id=wanted)), None)  # unique


def _facts(document: Document | None) -> DocumentFacts | None:
    return document_facts(document) if document is not None else None


def _get(
    scope: AccessScope, patient_id: int, document_public_id: uuid.UUID | str, action: Action
) -> tuple[Document | None, Decision]:
    document = _load(patient_id, document_public_id)
    if document is None:
        return None, Decision(False, DEFAULT_DENY, "no such document")
    return document, gateway.decide(scope, document_facts(document), action)


def _object_id(document: Document | None) -> str:
    """What a read's trace names: the document when it is this patient's, else nothing.

    A probe with another patient's document id (or garbage) under this patient's URL is traced as a
    refusal about "a document" with no id: this patient's history never holds an id that is not his
    (and the answer stays the ordinary 404)."""
    return str(document.public_id) if document is not None else ""


def document_get_for_actor(
    *,
    actor: Actor,
    patient_id: int,
    document_public_id: uuid.UUID | str,
    mode: AccessMode | str = AccessMode.NORMAL,
    organisation: Organisation | None = None,
    patient: Person | None = None,
    professional: Professional | None = None,
) -> Document:
    """One document's metadata (``CONSULT``); missing and denied answer the same ``NotFoundOrForbidden``.
    Facts, decision and trace in ONE transaction; ``patient`` / ``professional`` as in the list."""
    with transaction.atomic():
        scope = gateway.access_scope(
            actor=actor,
            patient_id=patient_id,
            mode=mode,
            organisation=organisation,
            patient=patient,
            professional=professional,
        )
        document, decision = _get(scope, patient_id, document_public_id, Action.CONSULT)
        _trace_read(scope, action="CONSULT", decision=decision, object_id=_object_id(document))
        if decision and scope.is_professional_side:
            access_services.professional_read_recorded(scope, [decision], documents=[_facts(document)])
    if document is None or not decision:  # raised after the commit: the DENY trace stays
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found", field="document")
    return document


def is_preview(document: Document, *, preview: bool) -> bool:
    """Is this content shown inside our page (a consultation) rather than handed over as a file?"""
    return preview and document.media_type in formats.PREVIEWABLE_MEDIA_TYPES


def document_content_for_actor(
    *,
    actor: Actor,
    patient_id: int,
    document_public_id: uuid.UUID | str,
    mode: AccessMode | str = AccessMode.NORMAL,
    organisation: Organisation | None = None,
    patient: Person | None = None,
    professional: Professional | None = None,
    preview: bool = False,
) -> tuple[Document, bytes]:
    """The decrypted content. A destroyed patient key (crypto-shredding, invariant 4) or a content
    failing its hash raises a ``DomainError`` saying so; the attempt is traced ``ERROR``.

    Traced as what happens (R-TR-3 distinguishes consulting from downloading): a ``DOWNLOAD``, unless
    ``preview`` asks for the content to be shown inside our own page and its type can be shown there
    (``formats.PREVIEWABLE_MEDIA_TYPES``): that is a consultation, traced ``CONSULT`` with
    ``details.view = "preview"``. A type that cannot be previewed leaves as a file: ``DOWNLOAD``, and the
    caller serves it as an attachment (``is_preview``)."""
    scope = gateway.access_scope(
        actor=actor,
        patient_id=patient_id,
        mode=mode,
        organisation=organisation,
        patient=patient,
        professional=professional,
    )
    document = _load(patient_id, document_public_id)
    shown_inline = document is not None and is_preview(document, preview=preview)
    action = Action.CONSULT if shown_inline else Action.DOWNLOAD
    decision = (
        gateway.decide(scope, document_facts(document), action)
        if document is not None
        else Decision(False, DEFAULT_DENY, "no such document")
    )
    content: bytes | None = None
    error: DomainError | None = None
    if document is not None and decision:
        try:
            if document.blob is None:
                raise KeyDestroyed("no content")
            content = blob_get(document.blob)
        except KeyDestroyed:
            error = DomainError(
                _("Le contenu de ce document a été effacé définitivement."),
                code="content_erased",
                field="document",
            )
        except (IntegrityFailure, FileNotFoundError):
            error = DomainError(
                _("Le contenu de ce document est illisible (contrôle d'intégrité en échec)."),
                code="content_corrupted",
                field="document",
            )
    with transaction.atomic():
        _trace_read(
            scope,
            action="CONSULT" if shown_inline else "DOWNLOAD",
            decision=decision,
            object_id=_object_id(document),
            outcome="ERROR" if error is not None else None,
            **({"view": "preview"} if shown_inline else {}),
            **({"error": error.code} if error is not None else {}),
        )
        if decision and error is None and scope.is_professional_side:
            access_services.professional_read_recorded(scope, [decision], documents=[_facts(document)])
    if document is None or not decision:
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found", field="document")
    if error is not None:
        raise error
    assert content is not None
    return document, content
