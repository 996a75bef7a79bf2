"""The JSON API under hostile bodies (issue 13): a body is a JSON object of the declared schema, or a 4xx
naming the field and the reason — and nothing is written (invariant 9). Bounded before parsing like FHIR's
(``carnet.api.bodies``): media type 415, size 413, nesting 400."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from carnet.records.models import Document
from tests.api.conftest import bearer, patient_client, professional_client
from tests.api.snapshot import changed, domain_state
from tests.records.helpers import PDF, World, deposit_pdf

JSON = "application/json"


@dataclass
class Target:
    method: str
    url: str
    client: Client
    valid: dict[str, Any]


_CLIENTS: dict[str, Client] = {}


def _lab_client(token: str) -> Client:
    """One client per token (each new Client loads the middleware again: half a second)."""
    if token not in _CLIENTS:
        _CLIENTS.clear()
        _CLIENTS[token] = Client(headers=bearer(token))
    return _CLIENTS[token]


def _targets(world: World, lab_token: str) -> list[Target]:
    """Every JSON API endpoint that reads a JSON body, with a caller allowed to use it and a valid body."""
    lab = _lab_client(lab_token)
    created = lab.post(
        "/api/documents",
        {
            "patient": {"id": str(world.patient.public_id)},
            "content_base64": base64.b64encode(PDF).decode(),
            "type_code": "11502-2",
            "title": "Résultats",
        },
        content_type=JSON,
    )
    assert created.status_code == 201, created.content
    doc = created.json()["id"]
    patient = f"/api/patients/{world.patient.public_id}"
    pdf = base64.b64encode(PDF).decode()
    holder, gp = patient_client(world), professional_client(world.gp)
    return [
        Target(
            "post",
            "/api/documents",
            lab,
            {"patient": {"id": str(world.patient.public_id)}, "content_base64": pdf, "type_code": "11502-2"},
        ),
        Target("post", "/api/documents/_search", lab, {"patient": {"id": str(world.patient.public_id)}}),
        Target("post", f"{patient}/documents/{doc}/replace", lab, {"content_base64": pdf}),
        Target("patch", f"{patient}/documents/{doc}", lab, {"title": "Nouveau titre"}),
        Target("post", f"{patient}/documents-deletion", holder, {"document_ids": [doc]}),
        Target("put", f"{patient}/emergency-settings", holder, {"btg": "deny"}),
        Target("post", f"{patient}/professionals/{world.gp.public_id}/declare", holder, {}),
        Target("post", f"{patient}/consents", gp, {"kind": "EXPLICIT"}),
        Target("post", f"{patient}/emergency-access", gp, {"reason": "Patient inconscient aux urgences"}),
    ]


def _send(target: Target, raw: str | bytes, content_type: str = JSON, **extra: Any) -> Any:
    return target.client.generic(target.method.upper(), target.url, raw, content_type=content_type, **extra)


NOT_OBJECTS = ['"hello world"', "5", "[1]", "[]", "true", "null", '"{}"']


def test_a_body_that_is_not_a_json_object_is_a_422_and_writes_nothing(world: World, lab_token: str) -> None:
    """A string used to be read attribute by attribute: ``"hello world"`` set the title "Hello World"."""
    targets = _targets(world, lab_token)
    before = domain_state()
    for target in targets:
        for raw in NOT_OBJECTS:
            response = _send(target, raw)
            assert response.status_code == 422, (target.url, raw, response.content)
            assert response.json()["field"] == "body", (target.url, raw, response.json())
    assert changed(before, domain_state()) == []


def test_hello_world_no_longer_retitles_a_document(world: World, lab_token: str) -> None:
    target = next(t for t in _targets(world, lab_token) if t.method == "patch")
    document = Document.objects.get(patient_id=world.patient.pk)
    response = _send(target, '"hello world"')
    assert response.status_code == 422
    document.refresh_from_db()
    assert document.title == "Résultats"


METADATA_CASES: list[tuple[dict[str, Any], str]] = [
    ({"titel": "x"}, "titel"),  # unknown field: refused, not ignored
    ({"title": None}, "title"),  # an optional field is omitted, never null
    ({"title": "   \u202e "}, "title"),  # blank once spaces and bidi controls are gone
    ({"title": "x" * 256}, "title"),
    ({"confidentiality": []}, "confidentiality"),
    ({"confidentiality": ["SECRET"]}, "confidentiality.0"),
    ({"status": ""}, "status"),
    ({}, "body"),  # nothing to change
]


def test_a_metadata_update_outside_its_schema_names_the_field(world: World, lab_token: str) -> None:
    target = next(t for t in _targets(world, lab_token) if t.method == "patch")
    before = domain_state()
    for body, field in METADATA_CASES:
        response = _send(target, json.dumps(body))
        assert response.status_code == 422, (body, response.content)
        assert response.json()["field"] == field, (body, response.json())
        assert response.json()["message"].startswith("Champ invalide : ")
    assert changed(before, domain_state()) == []


_ENDPOINT_OF_FIELD = {
    "document_ids": "documents-deletion",
    "btg": "emergency-settings",
    "body": "emergency-settings",
    "kind": "consents",
    "access_code": "consents",
    "organisation_id": "consents",
    "reason": "emergency-access",
    "mode": "emergency-access",
    "medecin_traitant": "/declare",
    "patient": "/documents/_search",
    "include_deprecated": "/documents/_search",
    "content_base64": "/api/documents",
    "service_start": "/api/documents",
}


SCHEMA_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("empty id list", {"document_ids": []}, "document_ids"),
    ("eleven ids", {"document_ids": ["00000000-0000-4000-8000-000000000000"] * 11}, "document_ids"),
    ("an empty id", {"document_ids": [""]}, "document_ids.0"),
    ("an id without dashes", {"document_ids": ["0" * 32]}, "document_ids.0"),
    ("empty emergency settings", {}, "body"),
    ("empty emergency choice", {"btg": ""}, "btg"),
    ("empty consent kind", {"kind": ""}, "kind"),
    ("consent reserved to the holder", {"kind": "DECLARED_BY_PATIENT"}, "kind"),
    ("temporary consent without code", {"kind": "TEMPORARY"}, "access_code"),
    (
        "establishment consent not care team",
        {"kind": "EXPLICIT", "organisation_id": "00000000-0000-4000-8000-000000000000"},
        "organisation_id",
    ),
    ("break the glass without reason", {"reason": " "}, "reason"),
    ("unknown emergency mode", {"mode": "", "reason": "x"}, "mode"),
    ("declare with a number", {"medecin_traitant": 1}, "medecin_traitant"),
    ("search without patient", {"patient": {}}, "patient"),
    ("search with an empty INS", {"patient": {"ins": ""}}, "patient.ins"),
    ("search with a null id", {"patient": {"id": None}}, "patient.id"),
    (
        "search with a numeric flag",
        {"patient": {"id": "00000000-0000-4000-8000-000000000000"}, "include_deprecated": 0},
        "include_deprecated",
    ),
    (
        "deposit with an empty content",
        {"patient": {"id": "00000000-0000-4000-8000-000000000000"}, "content_base64": ""},
        "content_base64",
    ),
    (
        "deposit with a date as a number",
        {
            "patient": {"id": "00000000-0000-4000-8000-000000000000"},
            "content_base64": "JVBERi0=",
            "service_start": 0,
        },
        "service_start",
    ),
]


def test_empty_ids_lists_and_enums_are_422_naming_the_field(world: World, lab_token: str) -> None:
    """The cases the OpenAPI document used to accept and the services then refused (or, worse, took)."""
    targets = _targets(world, lab_token)
    before = domain_state()
    for name, body, field in SCHEMA_CASES:
        target = next(t for t in targets if t.url.endswith(_ENDPOINT_OF_FIELD[field.split(".")[0]]))
        response = _send(target, json.dumps(body))
        assert response.status_code == 422, (name, response.content)
        assert response.json()["field"] == field, (name, response.json())
    assert changed(before, domain_state()) == []


OTHER_MEDIA_TYPES = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/xml",
    "multipart/form-data; boundary=x",
]


def test_a_json_body_of_another_media_type_is_a_415_and_writes_nothing(world: World, lab_token: str) -> None:
    targets = _targets(world, lab_token)
    before = domain_state()
    for target in targets:
        for content_type in OTHER_MEDIA_TYPES:
            response = _send(target, json.dumps(target.valid), content_type=content_type)
            assert response.status_code == 415, (target.url, content_type, response.content)
            assert response.json()["code"] == "unsupported_media_type"
            assert response.json()["field"] == "body"
    assert changed(before, domain_state()) == []


def test_the_valid_bodies_of_these_endpoints_pass_the_schema(world: World, lab_token: str) -> None:
    """The fixtures above are real: the same bodies, well formed, reach the services (which may still say
    no: the replacement deprecates the document the next requests name, the holder may not delete a lab's
    document...)."""
    for target in _targets(world, lab_token):
        response = _send(target, json.dumps(target.valid), content_type="application/json; charset=utf-8")
        assert response.status_code in (200, 201, 403, 404), (target.url, response.content)
        assert response.json().get("code") != "invalid", (target.url, response.content)


def test_a_nesting_bomb_is_a_400_before_parsing(
    world: World, lab_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import carnet.api.bodies as bodies

    target = _targets(world, lab_token)[0]
    before = domain_state()
    calls: list[Any] = []
    monkeypatch.setattr(bodies.json, "loads", lambda *a, **k: calls.append(a))
    response = _send(target, '{"patient": ' + "[" * 50_000 + "]" * 50_000 + "}")
    monkeypatch.undo()
    assert response.status_code == 400 and calls == []
    assert response.json()["code"] == "too_deep" and response.json()["field"] == "body"
    assert changed(before, domain_state()) == []


def test_a_body_announced_over_the_bound_is_a_413_unread(world: World, lab_token: str, settings: Any) -> None:
    target = _targets(world, lab_token)[0]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    before = domain_state()
    response = _send(target, json.dumps(target.valid))
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    assert changed(before, domain_state()) == []


def test_invalid_json_is_a_400_naming_the_body(world: World, lab_token: str) -> None:
    target = _targets(world, lab_token)[0]
    for raw in ["{pas du json", '{"a": NaN}', b'{"a": "\xff"}']:
        response = _send(target, raw)
        assert response.status_code == 400, raw
        assert response.json() == {
            "field": "body",
            "code": "invalid_json",
            "message": "Le corps de la requête n'est pas un JSON valide.",
        }


def test_a_professional_deposit_in_a_patient_gp_workflow_still_works(world: World) -> None:
    """Sanity: the stricter schemas leave the documented happy paths alone (the GP's own document)."""
    document = deposit_pdf(world, world.gp)
    response = professional_client(world.gp).patch(
        f"/api/patients/{world.patient.public_id}/documents/{document.public_id}",
        {"confidentiality": ["N"]},
        content_type=JSON,
    )
    assert response.status_code == 200, response.content
