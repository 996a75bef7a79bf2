"""The OpenAPI document tells clients the truth (issue 13): every body the server refuses for its shape is
refused by the schema too, and the bodies it takes are valid. Before, empty ids, empty lists and empty enum
values passed the schema and met a 422 (or were taken). Checked with a JSON Schema 2020-12 validator
(OpenAPI 3.1), formats included."""

from __future__ import annotations

import json
from typing import Any

import jsonschema_rs
import pytest
from django.test import Client

from tests.api.test_hostile_bodies import METADATA_CASES, NOT_OBJECTS, SCHEMA_CASES

PATCH = ("/api/patients/{patient_id}/documents/{document_id}", "patch")
OPERATION_OF_FIELD = {
    "document_ids": ("/api/patients/{patient_id}/documents-deletion", "post"),
    "btg": ("/api/patients/{patient_id}/emergency-settings", "put"),
    "body": ("/api/patients/{patient_id}/emergency-settings", "put"),
    "kind": ("/api/patients/{patient_id}/consents", "post"),
    "access_code": ("/api/patients/{patient_id}/consents", "post"),
    "organisation_id": ("/api/patients/{patient_id}/consents", "post"),
    "reason": ("/api/patients/{patient_id}/emergency-access", "post"),
    "mode": ("/api/patients/{patient_id}/emergency-access", "post"),
    "medecin_traitant": ("/api/patients/{patient_id}/professionals/{professional_id}/declare", "post"),
    "patient": ("/api/documents/_search", "post"),
    "include_deprecated": ("/api/documents/_search", "post"),
    "content_base64": ("/api/documents", "post"),
    "service_start": ("/api/documents", "post"),
}
UUID = "8f0c1c9e-0000-4000-8000-000000000000"
VALID: list[tuple[tuple[str, str], dict[str, Any]]] = [
    (
        ("/api/documents", "post"),
        {"patient": {"id": UUID}, "content_base64": "JVBERi0xLjQ=", "type_code": "11502-2"},
    ),
    (
        ("/api/documents", "post"),
        {"patient": {"ins": "280057512345645"}, "content_base64": "JVBE RmFr\nZQ=="},
    ),
    (
        ("/api/documents/_search", "post"),
        {"patient": {"ins": "2800575123456 45".replace(" ", ""), "ins_oid": "urn:oid:1.2.250.1.213.1.4.10"}},
    ),
    (PATCH, {"title": "Compte rendu"}),
    (PATCH, {"confidentiality": ["MASQUE_PS", "INVISIBLE_PATIENT"], "status": "Deprecated"}),
    (("/api/patients/{patient_id}/documents-deletion", "post"), {"document_ids": [UUID]}),
    (("/api/patients/{patient_id}/emergency-settings", "put"), {"masked": "permit"}),
    (("/api/patients/{patient_id}/consents", "post"), {"kind": "TEMPORARY", "access_code": "AB12CD"}),
    (("/api/patients/{patient_id}/consents", "post"), {"kind": "CARE_TEAM", "organisation_id": UUID}),
    (("/api/patients/{patient_id}/emergency-access", "post"), {"mode": "SAMU"}),
    (("/api/patients/{patient_id}/emergency-access", "post"), {"reason": "Inconscient"}),
    (("/api/patients/{patient_id}/professionals/{professional_id}/declare", "post"), {}),
]


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    from carnet.api.api import api

    return dict(api.get_openapi_schema())


def _validator(openapi: dict[str, Any], operation: tuple[str, str]) -> Any:
    path, method = operation
    schema = openapi["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return jsonschema_rs.Draft202012Validator(
        {**schema, "components": openapi["components"]}, validate_formats=True
    )


def test_every_body_the_server_refuses_for_its_shape_is_refused_by_the_schema(
    openapi: dict[str, Any],
) -> None:
    cases = [(OPERATION_OF_FIELD[field.split(".")[0]], name, body) for name, body, field in SCHEMA_CASES]
    cases += [(PATCH, json.dumps(body), body) for body, _field in METADATA_CASES]
    cases += [
        (operation, raw, json.loads(raw))
        for operation in set(OPERATION_OF_FIELD.values())
        for raw in NOT_OBJECTS
    ]
    for operation, name, body in cases:
        assert not _validator(openapi, operation).is_valid(body), (operation, name, body)


def test_the_bodies_the_server_takes_are_valid(openapi: dict[str, Any]) -> None:
    for operation, body in VALID:
        errors = [e.message for e in _validator(openapi, operation).iter_errors(body)]
        assert errors == [], (operation, body, errors)


def test_every_request_body_is_a_closed_object_without_null(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content is None:
                continue
            name = content["schema"]["$ref"].rsplit("/", 1)[1]
            schema = schemas[name]
            assert schema["type"] == "object" and schema["additionalProperties"] is False, (path, method)
            assert "null" not in json.dumps(schema), (path, method, name)


def test_code_lists_are_enums_from_the_data_files(openapi: dict[str, Any]) -> None:
    from carnet.records import codes

    props = openapi["components"]["schemas"]["DepositIn"]["properties"]
    assert set(props["type_code"]["enum"]) == set(codes.code_list(codes.J07))
    assert set(props["confidentiality"]["items"]["enum"]) == set(codes.code_list(codes.J08))
    assert props["confidentiality"]["minItems"] == 1 and props["confidentiality"]["maxItems"] == 4
    deletion = openapi["components"]["schemas"]["BulkDeleteIn"]["properties"]["document_ids"]
    assert (deletion["minItems"], deletion["maxItems"], deletion["items"]["format"]) == (1, 10, "uuid")


def test_the_served_document_is_the_one_checked(db: Any, openapi: dict[str, Any]) -> None:
    assert Client().get("/api/openapi.json").json() == json.loads(json.dumps(openapi))
