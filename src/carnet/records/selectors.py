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

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from carnet.access import gateway
from carnet.access import services as access_services
from carnet.access.facts import AccessMode, Action, DocumentFacts
from carnet.access.gateway import AccessScope
from carnet.access.policy import DEFAULT_DENY, Decision
from carnet.audit.services import trace
from carnet.common.actors import Actor
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.common.rawsql import Columns, column, fetchall, link, per_vendor, table
from carnet.identity.models import Organisation, Person, Professional

from . import keyring
from .blobstore import IntegrityFailure, KeyDestroyed, blob_get, unwrap_stored
from .models import Blob, Document, DocumentStatus, PatientKey
from .sealing import attach_key

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
        # The wrapped key came with the rows (ADR 0007: no statement of its own on the read path): the
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
    """The patient's documents the actor may consult, newest first (a fixed number of queries).

    Raises ``NotFoundOrForbidden`` (after a ``DENY`` trace) when the actor may not enter the record at all
    (forbidden actor R-AC-1, space status, not linked to the holder, emergency without session...).
    Facts, decisions and the trace are read and written in ONE transaction (invariants 1-2).
    ``patient`` / ``professional``: rows the caller already holds (see ``gateway.access_scope``).
    """
    allowed: list[Document] | None = None
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
            decisions = gateway.decide_many(scope, documents)
            allowed = [doc for doc, decision in decisions if decision]
            _trace_read(
                scope, action="DOCUMENT_LIST", decision=entry, object_type="record", count=len(allowed)
            )
            if scope.is_professional_side:
                access_services.professional_read_recorded(scope, [d for _doc, d in decisions])
    if allowed is None:  # raised after the commit: the DENY trace stays
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    return allowed


def _get(
    scope: AccessScope, patient_id: int, document_public_id: uuid.UUID | str, action: Action
) -> tuple[Document | None, Decision]:
    try:
        wanted = uuid.UUID(str(document_public_id))
    except ValueError:
        return None, Decision(False, DEFAULT_DENY, "no such document")
    document = next(iter(_documents(patient_id, public_id=wanted)), None)  # unique
    if document is None:
        return None, Decision(False, DEFAULT_DENY, "no such document")
    return document, gateway.decide(scope, document, action)


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
        _trace_read(scope, action="CONSULT", decision=decision, object_id=str(document_public_id)[:64])
        if decision and scope.is_professional_side:
            access_services.professional_read_recorded(scope, [decision])
    if document is None or not decision:  # raised after the commit: the DENY trace stays
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found", field="document")
    return document


def document_content_for_actor(
    *,
    actor: Actor,
    patient_id: int,
    document_public_id: uuid.UUID | str,
    mode: AccessMode | str = AccessMode.NORMAL,
    organisation: Organisation | None = None,
    patient: Person | None = None,
    professional: Professional | None = None,
) -> tuple[Document, bytes]:
    """The decrypted content (``DOWNLOAD``). A destroyed patient key (crypto-shredding, invariant 4) or a
    content failing its hash raises a ``DomainError`` saying so; the attempt is traced ``ERROR``."""
    scope = gateway.access_scope(
        actor=actor,
        patient_id=patient_id,
        mode=mode,
        organisation=organisation,
        patient=patient,
        professional=professional,
    )
    document, decision = _get(scope, patient_id, document_public_id, Action.DOWNLOAD)
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
            action="DOWNLOAD",
            decision=decision,
            object_id=str(document_public_id)[:64],
            outcome="ERROR" if error is not None else None,
            **({"error": error.code} if error is not None else {}),
        )
        if decision and error is None and scope.is_professional_side:
            access_services.professional_read_recorded(scope, [decision])
    if document is None or not decision:
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found", field="document")
    if error is not None:
        raise error
    assert content is not None
    return document, content
