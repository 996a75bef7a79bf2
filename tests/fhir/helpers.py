"""Builders of FHIR payloads (IHE MHD ITI-65 as profiled by ANS PDSm)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from django.conf import settings

from carnet.audit.models import Trace
from carnet.identity.models import Person
from carnet.records.models import Document
from carnet.vault.models import Blob
from tests.records.helpers import PDF

FHIR = "application/fhir+json"


def subject(person: Person) -> dict[str, Any]:
    return {"identifier": {"system": f"urn:oid:{person.ins_oid}", "value": person.ins_matricule}}


def document_reference(
    person: Person, binary_url: str = "urn:uuid:bin-1", **overrides: Any
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "status": "current",
        "type": {"coding": [{"system": "http://loinc.org", "code": "11502-2"}]},
        "category": [{"coding": [{"system": "urn:oid:1.2.250.1.213.1.1.4.1", "code": "10"}]}],
        "subject": subject(person),
        "description": "Résultats de biologie",
        "securityLabel": [
            {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "N"}]}
        ],
        "context": {"period": {"start": "2026-01-04"}},
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "url": binary_url,
                    "size": len(PDF),
                    "hash": base64.b64encode(hashlib.sha1(PDF).digest()).decode(),
                }
            }
        ],
    }
    resource.update(overrides)
    return resource


def binary(content: bytes = PDF) -> dict[str, Any]:
    return {
        "resourceType": "Binary",
        "contentType": "application/pdf",
        "data": base64.b64encode(content).decode(),
    }


def submission_set(person: Person) -> dict[str, Any]:
    return {
        "resourceType": "List",
        "status": "current",
        "mode": "working",
        "code": {
            "coding": [
                {
                    "system": "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes",
                    "code": "submissionset",
                }
            ]
        },
        "subject": subject(person),
    }


def entry(full_url: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {
        "fullUrl": full_url,
        "resource": resource,
        "request": {"method": "POST", "url": resource["resourceType"]},
    }


def bundle(person: Person, documents: int = 1) -> dict[str, Any]:
    entries = [entry("urn:uuid:list-1", submission_set(person))]
    for i in range(1, documents + 1):
        entries.append(entry(f"urn:uuid:doc-{i}", document_reference(person, f"urn:uuid:bin-{i}")))
        entries.append(entry(f"urn:uuid:bin-{i}", binary()))
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def blob_files() -> list[Path]:
    return list((Path(settings.DATA_DIR) / "blobs").glob("**/*.bin"))


def counts(person: Person) -> tuple[int, int, int, int]:
    """Document rows, Blob rows, blob files, traces (invariant 9: unchanged by a rejected payload)."""
    return (
        Document.objects.filter(patient_id=person.pk).count(),
        Blob.objects.filter(patient_id=person.pk).count(),
        len(blob_files()),
        Trace.objects.count(),
    )
