"""Stress tests against the live test server (issue 13): generated requests, real ids, bounded in CI.

* The JSON API: schemathesis generates requests from ``/api/openapi.json`` — schema-valid ones (positive)
  and schema-violating ones (negative) — for every operation, with the real ids of a seeded record (its
  patient, a document, a professional) and an establishment's bearer token.
* FHIR: hypothesis generates hostile Bundles — arbitrary JSON, a valid Bundle with one node replaced by
  arbitrary JSON, resource types that are no resource types, nesting far past the bound — and hostile
  search parameters.

For every request: no 5xx (and Django's HTML never answers); a body the OpenAPI schema refuses is never
accepted (4xx); a 4xx writes nothing (invariant 9: no row of the record, access or outbox tables added,
changed or removed, no ALLOW trace; the DENY traces of refusals are expected). Examples are derandomised
(the same ones on every run) and bounded: ``CARNET_STRESS_EXAMPLES`` per operation and mode (default 5;
FHIR gets twelve times as many bodies) keeps the module around half a minute; raise it locally to search
harder (``CARNET_STRESS_EXAMPLES=60``, 9 minutes, ran clean before this was committed).
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import jsonschema_rs
import pytest
import requests
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core import NotSet

from carnet.records.models import Document
from tests.api.conftest import bearer
from tests.api.snapshot import changed, domain_state
from tests.fhir.helpers import bundle
from tests.records.helpers import PDF, World

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = int(os.environ.get("CARNET_STRESS_EXAMPLES", "5"))
WRITES = frozenset({"access", "notifications", "records"})  # what the API and FHIR can write
# RFC 6749's form: every field optional free text, so no request violates its schema (hypothesis would
# spend ~20 s finding that out).
NO_NEGATIVE = frozenset({"POST /api/oauth/token"})
TIMEOUT = 20  # seconds per request: a hang fails the test instead of blocking CI
FHIR = "application/fhir+json"


def _settings(examples: int = EXAMPLES) -> Any:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


def _state() -> dict[str, Any]:
    return domain_state(WRITES)


def _assert_not_a_server_error(response: requests.Response, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code, response.text[:500])
    assert "text/html" not in response.headers.get("Content-Type", ""), (what, response.text[:200])


def _seed(world: World, token: str) -> dict[str, str]:
    """The real ids the generated requests use: the record's patient, a document the establishment
    deposited, a professional of the directory."""
    response = Client().post(
        "/api/documents",
        {
            "patient": {"id": str(world.patient.public_id)},
            "content_base64": base64.b64encode(PDF).decode(),
            "type_code": "11502-2",
            "title": "Résultats",
        },
        content_type="application/json",
        headers=bearer(token),
    )
    assert response.status_code == 201, response.content
    return {
        "patient_id": str(world.patient.public_id),
        "document_id": response.json()["id"],
        "professional_id": str(world.gp.public_id),
    }


def _body_validator(raw_schema: dict[str, Any], operation: Any) -> Any:
    """A JSON Schema validator of the operation's JSON body, or None (no body, form or multipart)."""
    spec = raw_schema["paths"][operation.path][operation.method.lower()]
    content = spec.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    return jsonschema_rs.Draft202012Validator(
        {**content["schema"], "components": raw_schema["components"]}, validate_formats=True
    )


def _valid_body(validator: Any, body: Any) -> bool:
    """Whether a generated body is what the schema allows (an absent body counts as valid: the operation
    then answers on its other parts)."""
    if body is None or isinstance(body, NotSet):
        return True
    if isinstance(body, bytes):
        try:
            body = json.loads(body)
        except ValueError:
            return False
    return bool(validator.is_valid(body))


def _exercise(
    operation: Any,
    mode: GenerationMode,
    *,
    base_url: str,
    headers: dict[str, str],
    ids: dict[str, str],
    validator: Any,
    seen: dict[str, int],
) -> None:
    """``EXAMPLES`` generated requests of one operation in one mode, each checked (module docstring)."""

    @_settings()
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        for name in case.path_parameters or {}:
            case.path_parameters[name] = ids.get(name, case.path_parameters[name])
        what = f"{case.method} {case.formatted_path} body={case.body!r:.300}"
        writes = case.method.upper() not in ("GET", "HEAD", "OPTIONS")
        before = _state() if writes else {}
        response = case.call(base_url=base_url, headers=headers, timeout=TIMEOUT)
        seen[str(response.status_code)] = seen.get(str(response.status_code), 0) + 1
        _assert_not_a_server_error(response, what)
        if writes and response.status_code >= 400:
            assert changed(before, _state()) == [], what
        if validator is not None and not _valid_body(validator, case.body):
            assert 400 <= response.status_code < 500, ("invalid body accepted", what)

    run()


def test_the_json_api_answers_generated_requests_without_5xx_nor_accepting_invalid_bodies(
    live_server: Any, world: World, lab_token: str, clock: Any
) -> None:
    ids = _seed(world, lab_token)
    url = f"{live_server.url}/api/openapi.json"
    raw_schema = requests.get(url, timeout=TIMEOUT).json()
    schema = schemathesis.openapi.from_url(url)
    seen: dict[str, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        validator = _body_validator(raw_schema, operation)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if mode == GenerationMode.NEGATIVE and operation.label in NO_NEGATIVE:
                continue
            try:
                _exercise(
                    operation,
                    mode,
                    base_url=live_server.url,
                    headers=bearer(lab_token),
                    ids=ids,
                    validator=validator,
                    seen=seen,
                )
            except Unsatisfiable:
                # nothing in this operation can violate its schema (e.g. only optional free-text fields)
                assert mode == GenerationMode.NEGATIVE, operation.label
    # the run did reach the services, not only the schema's refusals
    assert seen.get("200", 0) + seen.get("201", 0) > 0 and seen.get("422", 0) > 0, seen


# --------------------------------------------------------------------------------------------------
# FHIR

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=15,
)
_NOT_A_TYPE = st.one_of(
    st.text(max_size=30), st.integers(), st.none(), st.lists(st.text(max_size=8), max_size=3), _JSON
)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


def _replace(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(document))
    node = copy
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return copy


@st.composite
def hostile_bundles(draw: Any, valid: dict[str, Any]) -> str:
    kind = draw(st.sampled_from(["replace", "resource-type", "contained", "deep", "arbitrary"]))
    if kind == "replace":
        paths = _paths(valid)
        document = _replace(valid, draw(st.sampled_from(paths)), draw(_JSON))
    elif kind == "resource-type":
        index = draw(st.integers(0, len(valid["entry"]) - 1))
        document = _replace(valid, ("entry", index, "resource", "resourceType"), draw(_NOT_A_TYPE))
    elif kind == "contained":
        contained = draw(
            st.lists(
                st.fixed_dictionaries({"resourceType": _NOT_A_TYPE}, optional={"id": _JSON}),
                min_size=1,
                max_size=2,
            )
        )
        document = _replace(valid, ("entry", 1, "resource", "contained"), contained)
    elif kind == "deep":
        depth = draw(st.integers(60, 3000))
        opening, closing = draw(st.sampled_from([("[", "]"), ('{"a":', "}"), ('{"extension":[', "]}")]))
        inner = opening * depth + "1" + closing * depth
        return json.dumps(valid)[:-1] + f', "meta": {inner}}}'
    else:
        document = draw(_JSON)
    return json.dumps(document)


def test_fhir_answers_hostile_bundles_with_an_operation_outcome_and_writes_nothing(
    live_server: Any, world: World, lab_token: str, clock: Any
) -> None:
    valid = bundle(world.patient)
    headers = {**bearer(lab_token), "Content-Type": FHIR}
    statuses: dict[int, int] = {}

    @_settings(EXAMPLES * 12)
    @given(body=hostile_bundles(valid))
    def run(body: str) -> None:
        before = _state()
        documents = Document.objects.count()
        response = requests.post(
            f"{live_server.url}/fhir/", data=body.encode(), headers=headers, timeout=TIMEOUT
        )
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        _assert_not_a_server_error(response, body[:300])
        assert response.headers["Content-Type"].startswith(FHIR), body[:300]
        answer = response.json()
        if response.status_code >= 400:
            assert answer["resourceType"] == "OperationOutcome", body[:300]
            assert answer["issue"][0]["diagnostics"], body[:300]
            assert changed(before, _state()) == [], body[:300]
        else:  # the mutation left a valid publication: it was published whole
            assert answer["type"] == "transaction-response", body[:300]
            assert Document.objects.count() == documents + 1, body[:300]

    run()
    assert statuses.get(400, 0) > 0, statuses


def test_fhir_search_answers_hostile_parameters_without_5xx(
    live_server: Any, world: World, lab_token: str, clock: Any
) -> None:
    patient = str(world.patient.public_id)
    values = st.text(max_size=40) | st.sampled_from(
        ["2026", "ge2026-12", "lt2026-12-04T10:00:00 01:00", "ap1000", "9999-12-31T23:59:59.999999999-14:00"]
    )

    @_settings(EXAMPLES * 6)
    @given(
        name=st.sampled_from(["date", "type", "status", "patient", "_format"]),
        value=values,
        method=st.sampled_from(["GET", "POST"]),
    )
    def run(name: str, value: str, method: str) -> None:
        params = {"patient": patient, name: value} if name != "patient" else {"patient": value}
        if method == "GET":
            response = requests.get(
                f"{live_server.url}/fhir/DocumentReference",
                params=params,
                headers=bearer(lab_token),
                timeout=TIMEOUT,
            )
        else:
            response = requests.post(
                f"{live_server.url}/fhir/DocumentReference/_search",
                data=params,
                headers=bearer(lab_token),
                timeout=TIMEOUT,
            )
        _assert_not_a_server_error(response, f"{method} {name}={value!r}")
        assert response.json()["resourceType"] in ("Bundle", "OperationOutcome")

    run()
