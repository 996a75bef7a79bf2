"""The policy's view of a document: ``records`` turns its rows into ``access.facts.DocumentFacts`` and
hands them to ``access.gateway.decide`` (the policy receives facts; it never loads a document)."""

from __future__ import annotations

from carnet.access.facts import DocumentFacts, DocumentStatus

from .models import Document


def document_facts(document: Document) -> DocumentFacts:
    """The policy's view of a ``records.Document`` (author public ids need ``select_related``)."""
    codes = frozenset(document.confidentiality or ["N"])
    author_pro, author_org = document.author_professional, document.author_organisation
    return DocumentFacts(
        document_id=str(document.public_id),
        type_code=document.type_code,
        class_code=document.class_code,
        confidentiality=codes,
        author_professional_id=str(author_pro.public_id) if author_pro is not None else "",
        author_organisation_id=str(author_org.public_id) if author_org is not None else "",
        patient_uploaded=document.patient_uploaded,
        system_document=document.system_document,
        status=DocumentStatus(document.status),
        invisible_until=document.invisible_until,
    )
