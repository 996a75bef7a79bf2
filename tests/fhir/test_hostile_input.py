"""The FHIR facade under hostile input (issue 13): nesting bombs, resource types that are no resource types,
bodies of the wrong media type, formats we do not serve, methods an endpoint does not have, browsers'
cookies. Every refusal is an OperationOutcome (never Django's HTML) and writes nothing (invariant 9)."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.operationoutcome import OperationOutcome

from carnet.accounts.models import User
from carnet.records.models import Document
from tests.api.conftest import bearer, professional_client
from tests.fhir.helpers import FHIR, bundle, counts, entry
from tests.records.helpers import World, deposit_pdf

FHIR_JSON = "application/fhir+json; charset=utf-8"


def _outcome(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == FHIR_JSON, response["Content-Type"]
    body = response.json()
    OperationOutcome.model_validate(body)
    return dict(body["issue"][0])


@functools.cache
def _http() -> Client:
    """One client for the bearer requests: each new Client loads the middleware (whitenoise scans every
    static file, half a second); bearer requests carry no cookie to keep apart."""
    return Client(raise_request_exception=False)


def _post(token: str, body: str | bytes, content_type: str = FHIR, **headers: str) -> Any:
    return _http().post("/fhir/", body, content_type=content_type, headers={**bearer(token), **headers})


# --- nesting and size, bounded before parsing ---------------------------------------------------------


def _deep_bundle(world: World, depth: int) -> str:
    """A valid Bundle whose first DocumentReference carries an extension nested ``depth`` levels deep."""
    payload = bundle(world.patient)
    nested: Any = {"url": "https://example.org/leaf", "valueString": "x"}
    for _level in range(depth):
        nested = {"url": "https://example.org/nested", "extension": [nested]}
    payload["entry"][1]["resource"]["extension"] = [nested]
    return json.dumps(payload)


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,  # json.loads would raise RecursionError (a 500 before)
        '{"resourceType": "Bundle", "type": "transaction", "entry": ' + "[" * 5000 + "]" * 5000 + "}",
        '{"resourceType": "Bundle", "x": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}",
    ],
    ids=["arrays", "entry-arrays", "objects"],
)
def test_a_nesting_bomb_is_refused_before_it_is_parsed(
    world: World, lab_token: str, body: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import carnet.api.bodies as bodies

    def parse_forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a body over the nesting bound must not reach the JSON parser")

    before = counts(world.patient)
    monkeypatch.setattr(bodies.json, "loads", parse_forbidden)
    response = _post(lab_token, body)
    monkeypatch.undo()
    issue = _outcome(response, 400)
    assert issue["code"] == "structure" and issue["expression"] == ["Bundle"]
    assert "64" in issue["diagnostics"]  # the bound is named
    assert counts(world.patient) == before


def test_the_nesting_bound_is_a_setting(world: World, lab_token: str, settings: Any) -> None:
    """A Bundle within the bound publishes; the same Bundle over a lowered bound is refused (400)."""
    assert _post(lab_token, _deep_bundle(world, 20)).status_code == 200
    settings.CARNET_JSON_MAX_DEPTH = 12
    before = counts(world.patient)
    issue = _outcome(_post(lab_token, _deep_bundle(world, 20)), 400)
    assert "12" in issue["diagnostics"]
    assert counts(world.patient) == before


def test_a_body_announced_over_the_size_bound_is_refused_unread(
    world: World, lab_token: str, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    before = counts(world.patient)
    issue = _outcome(_post(lab_token, json.dumps(bundle(world.patient))), 413)
    assert issue["code"] == "too-long"
    assert counts(world.patient) == before


# --- resource types -------------------------------------------------------------------------------


def _with_resource_type(world: World, where: str, value: Any) -> dict[str, Any]:
    payload = bundle(world.patient)
    if where == "entry":
        payload["entry"].append(entry("urn:uuid:x", {"resourceType": "Basic"}))
        payload["entry"][-1]["resource"]["resourceType"] = value
    else:  # a contained resource of the DocumentReference
        payload["entry"][1]["resource"]["contained"] = [{"resourceType": value, "id": "p1"}]
    return payload


NOT_RESOURCE_TYPES: list[Any] = ["Foo", "Coding", "bundle", "", 5, None, ["Bundle"], {"a": 1}, True]


def test_a_resource_type_that_is_no_resource_type_is_a_400_naming_it(world: World, lab_token: str) -> None:
    before = counts(world.patient)
    for where, expected in [
        ("entry", "Bundle.entry[3].resource.resourceType"),
        ("contained", "Bundle.entry[1].resource.contained[0].resourceType"),
    ]:
        for value in NOT_RESOURCE_TYPES:
            response = _post(lab_token, json.dumps(_with_resource_type(world, where, value)))
            issue = _outcome(response, 400)
            assert issue["code"] == "structure", (where, value)
            assert issue["expression"] == [expected], (where, value, issue)
    assert counts(world.patient) == before


# --- methods and CSRF -----------------------------------------------------------------------------


WRONG_METHODS = [
    ("get", "/fhir/", "POST"),
    ("put", "/fhir/", "POST"),
    ("post", "/fhir/metadata", "GET"),
    ("post", "/fhir/DocumentReference", "GET"),
    ("put", "/fhir/DocumentReference/00000000-0000-0000-0000-000000000000", "GET"),
    ("delete", "/fhir/DocumentReference/00000000-0000-0000-0000-000000000000", "GET"),
    ("patch", "/fhir/Binary/00000000-0000-0000-0000-000000000000", "GET"),
    ("get", "/fhir/DocumentReference/_search", "POST"),
    ("options", "/fhir/DocumentReference/_search", "POST"),
]


def test_an_unsupported_method_is_a_405_operation_outcome_with_allow(world: World, lab_token: str) -> None:
    """Not Django's HTML CSRF page (403) nor an empty HTML 405: browsers' CSRF checks are enforced here."""
    http = Client(enforce_csrf_checks=True, raise_request_exception=False)
    for method, url, allow in WRONG_METHODS:
        response = http.generic(method.upper(), url, "{}", content_type=FHIR, headers=bearer(lab_token))
        issue = _outcome(response, 405)
        assert issue["code"] == "not-supported", (method, url)
        assert response["Allow"] == allow, (method, url)


def test_a_bearer_publication_needs_no_csrf_token(world: World, lab_token: str) -> None:
    http = Client(enforce_csrf_checks=True)
    response = http.post(
        "/fhir/", json.dumps(bundle(world.patient)), content_type=FHIR, headers=bearer(lab_token)
    )
    assert response.status_code == 200, response.content[:300]
    assert Document.objects.filter(patient_id=world.patient.pk).count() == 1


@pytest.mark.parametrize("who", ["professional", "patient"])
def test_a_browser_session_cookie_never_acts_on_fhir(world: World, who: str) -> None:
    """Why the FHIR views may be CSRF-exempt: a logged-in browser's cookies authenticate nothing there."""
    http = (
        professional_client(world.gp)
        if who == "professional"
        else _logged_in(User.objects.get(person=world.patient))
    )
    http.handler.enforce_csrf_checks = True
    deposit_pdf(world, world.gp)
    before = counts(world.patient)
    _outcome(http.post("/fhir/", json.dumps(bundle(world.patient)), content_type=FHIR), 401)
    _outcome(http.get(f"/fhir/DocumentReference?patient={world.patient.public_id}"), 401)
    _outcome(
        http.post(
            "/fhir/DocumentReference/_search",
            f"patient={world.patient.public_id}",
            content_type="application/x-www-form-urlencoded",
        ),
        401,
    )
    assert counts(world.patient) == before


def _logged_in(user: User) -> Client:
    http = Client()
    http.force_login(user)
    return http


# --- media types and content negotiation --------------------------------------------------------


OTHER_MEDIA_TYPES = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/xml",
    "application/fhir+xml",
    "image/png",
]


def test_a_bundle_of_another_media_type_is_a_415_and_is_not_published(world: World, lab_token: str) -> None:
    before = counts(world.patient)
    for content_type in OTHER_MEDIA_TYPES:
        response = _post(lab_token, json.dumps(bundle(world.patient)), content_type=content_type)
        issue = _outcome(response, 415)
        assert issue["code"] == "not-supported"
        assert "application/fhir+json" in issue["diagnostics"]
    assert counts(world.patient) == before


def test_a_multipart_form_bundle_is_a_415(world: World, lab_token: str) -> None:
    """Django's test client posts a dict as multipart/form-data, as a browser form would."""
    before = counts(world.patient)
    response = Client().post(
        "/fhir/", {"bundle": json.dumps(bundle(world.patient))}, headers=bearer(lab_token)
    )
    _outcome(response, 415)
    assert counts(world.patient) == before


def test_both_json_media_types_publish(world: World, lab_token: str) -> None:
    for content_type in ["application/fhir+json", "application/json", "application/fhir+json; charset=UTF-8"]:
        response = _post(lab_token, json.dumps(bundle(world.patient)), content_type=content_type)
        assert response.status_code == 200, (content_type, response.content[:300])
    assert Document.objects.filter(patient_id=world.patient.pk).count() == 3


def test_a_json_search_body_is_a_415(world: World, lab_token: str) -> None:
    """POST ``_search`` takes the form encoding FHIR prescribes (R4 §3.1.0.8)."""
    response = _http().post(
        "/fhir/DocumentReference/_search",
        json.dumps({"patient": str(world.patient.public_id)}),
        content_type="application/json",
        headers=bearer(lab_token),
    )
    _outcome(response, 415)


NEGOTIATION = [
    ("application/fhir+xml", "", 406),
    ("application/xml", "", 406),
    ("text/html", "", 406),
    ("application/fhir+json;q=0", "", 406),
    ("application/fhir+xml, application/fhir+json;q=0.5", "", 200),
    ("application/json", "", 200),
    ("application/*", "", 200),
    ("*/*", "", 200),
    ("", "", 200),
    ("application/fhir+xml", "&_format=json", 200),  # _format overrides Accept (FHIR)
    ("application/fhir+json", "&_format=xml", 406),
    ("", "&_format=application/fhir+xml", 406),
]


def test_a_format_that_allows_no_json_is_a_406(world: World, lab_token: str) -> None:
    http = _http()
    for accept, query, status in NEGOTIATION:
        headers = {**bearer(lab_token), **({"Accept": accept} if accept else {})}
        response = http.get(
            f"/fhir/DocumentReference?patient={world.patient.public_id}{query}", headers=headers
        )
        assert response.status_code == status, (accept, query, response.content[:300])
        assert response["Content-Type"] == FHIR_JSON
        if status == 406:
            _outcome(response, 406)


def test_a_publication_asking_for_xml_is_a_406_and_is_not_published(world: World, lab_token: str) -> None:
    before = counts(world.patient)
    response = _post(lab_token, json.dumps(bundle(world.patient)), Accept="application/fhir+xml")
    _outcome(response, 406)
    assert counts(world.patient) == before


def test_metadata_in_xml_is_a_406() -> None:
    _outcome(_http().get("/fhir/metadata", headers={"Accept": "application/fhir+xml"}), 406)


def test_binary_answers_raw_bytes_a_json_resource_or_406(world: World, lab_token: str) -> None:
    response = _post(lab_token, json.dumps(bundle(world.patient)))
    doc_id = response.json()["entry"][1]["response"]["location"].split("/")[1]
    http = _http()
    url = f"/fhir/Binary/{doc_id}"
    raw = http.get(url, headers={**bearer(lab_token), "Accept": "application/pdf"})
    assert raw.status_code == 200 and raw["Content-Type"] == "application/pdf"
    as_json = http.get(f"{url}?_format=json", headers=bearer(lab_token))
    assert as_json.status_code == 200 and as_json.json()["resourceType"] == "Binary"
    _outcome(http.get(url, headers={**bearer(lab_token), "Accept": "application/fhir+xml"}), 406)
