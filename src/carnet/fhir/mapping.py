"""Our documents as FHIR R4 DocumentReference (ANS PDSm / IHE MHD shape), and back.

Outbound (``document_reference``): masterIdentifier/identifier ``urn:uuid:<public id>``, status
current|superseded (J52 Approved|Deprecated), type (J07: LOINC or ``urn:oid:1.2.250.1.213.1.1.4.12``),
category (J57, ``urn:oid:1.2.250.1.213.1.1.4.1``), subject (the INS, plus ``Patient/<public id>``), date
(deposit), author (RPPS / FINESS national ids), description (title), securityLabel (J08), content.attachment
(contentType, url ``Binary/<id>``, size; the SHA-256 we keep goes in an extension: FHIR's ``hash`` is SHA-1,
which we do not store), context.period.start (date of care), practiceSetting (J04), facilityType (J02),
relatesTo ``replaces``.
"""

from __future__ import annotations

from typing import Any

from carnet.identity.models import Person
from carnet.records.models import AuthorKind, Document, DocumentStatus

from . import codes

SHA256_EXTENSION = "https://carnet.invalid/fhir/StructureDefinition/attachment-sha256"
STATUS_OUT = {DocumentStatus.APPROVED: "current", DocumentStatus.DEPRECATED: "superseded"}
STATUS_IN = {"current": DocumentStatus.APPROVED, "superseded": DocumentStatus.DEPRECATED}


def _author(document: Document) -> dict[str, Any]:
    if document.author_professional is not None:
        pro = document.author_professional
        return {
            "type": "Practitioner",
            "identifier": {"system": codes.RPPS_SYSTEM, "value": f"8{pro.rpps}"},
            "display": pro.display_name,
        }
    if document.author_organisation is not None:
        org = document.author_organisation
        return {
            "type": "Organization",
            "identifier": {"system": codes.FINESS_SYSTEM, "value": f"1{org.finess}"},
            "display": org.name,
        }
    if document.author_kind == AuthorKind.PATIENT:
        return {"type": "Patient", "display": str(AuthorKind.PATIENT.label)}
    return {"type": "Organization", "display": str(AuthorKind(document.author_kind).label)}


def document_reference(document: Document, patient: Person) -> dict[str, Any]:
    ident = f"urn:uuid:{document.public_id}"
    attachment: dict[str, Any] = {
        "contentType": document.media_type,
        "url": f"Binary/{document.public_id}",
        "size": document.size,
        "title": document.title,
        "creation": document.deposited_at.isoformat(),
    }
    if document.blob is not None:
        attachment["extension"] = [{"url": SHA256_EXTENSION, "valueString": document.blob.sha256}]
    context: dict[str, Any] = {}
    if document.service_start is not None:
        context["period"] = {"start": document.service_start.isoformat()}
    if document.practice_setting:
        context["practiceSetting"] = codes.concept(codes.J04, document.practice_setting)
    if document.facility_type:
        context["facilityType"] = codes.concept(codes.J02, document.facility_type)
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": str(document.public_id),
        "masterIdentifier": {"system": "urn:ietf:rfc:3986", "value": ident},
        "identifier": [{"use": "official", "system": "urn:ietf:rfc:3986", "value": ident}],
        "status": STATUS_OUT.get(DocumentStatus(document.status), "current"),
        "type": codes.concept(codes.J07, document.type_code),
        "category": [codes.concept(codes.J57, document.class_code)],
        "subject": {
            "reference": f"Patient/{patient.public_id}",
            "identifier": {"system": f"urn:oid:{patient.ins_oid}", "value": patient.ins_matricule},
        },
        "date": document.deposited_at.isoformat(),
        "author": [_author(document)],
        "description": document.title,
        "securityLabel": [codes.concept(codes.J08, c) for c in document.confidentiality],
        "content": [{"attachment": attachment}],
    }
    if document.author_specialty:
        resource["extension"] = [
            {
                "url": "https://carnet.invalid/fhir/StructureDefinition/author-specialty",
                "valueCoding": codes.coding(codes.J01, document.author_specialty),
            }
        ]
    if context:
        resource["context"] = context
    if document.replaces is not None:
        resource["relatesTo"] = [
            {"code": "replaces", "target": {"reference": f"DocumentReference/{document.replaces.public_id}"}}
        ]
    return resource
