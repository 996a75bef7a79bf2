"""The CapabilityStatement served at ``/fhir/metadata`` (FHIR 4.0.1, JSON, OAuth2 client credentials)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from .profile_types import profile_capability_resources

SEARCH_PARAMS = [
    ("patient", "reference", "Patient public id (GET) — never the INS in a URL"),
    ("patient.identifier", "token", "INS system|value: POST DocumentReference/_search only"),
    ("type", "token", "J07 type code (LOINC or urn:oid:1.2.250.1.213.1.1.4.12)"),
    ("date", "date", "deposit date, prefixes eq, lt, le, gt, ge"),
    ("status", "token", "current | superseded"),
]


def capability_statement() -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-01-01",
        "publisher": "Carnet",
        "kind": "instance",
        "software": {"name": "Carnet"},
        "implementation": {
            "description": "Carnet FHIR facade (document sharing)",
            "url": f"{settings.CARNET_BASE_URL}/fhir",
        },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "IHE MHD / ANS PDSm document sharing. OAuth2 client credentials (POST /api/oauth/token, scope documents).",
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "OAuth",
                                }
                            ]
                        }
                    ],
                    "description": "Bearer token from POST /api/oauth/token (grant_type=client_credentials).",
                },
                "resource": [
                    {
                        "type": "DocumentReference",
                        "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "searchParam": [
                            {"name": name, "type": kind, "documentation": doc}
                            for name, kind, doc in SEARCH_PARAMS
                        ],
                    },
                    {"type": "Binary", "interaction": [{"code": "read"}]},
                    *_profile_resources(),
                ],
                "interaction": [{"code": "transaction", "documentation": "ITI-65 Provide Document Bundle"}],
            }
        ],
    }


def _profile_resources() -> list[dict[str, Any]]:
    """The profile types ``fhir.profile_views`` serves today: only those an establishment may read under the
    matrix in force (``profile_types``)."""
    return profile_capability_resources()
