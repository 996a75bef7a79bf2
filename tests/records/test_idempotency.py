"""Retried deposits are not duplicated (issue 13): an idempotency key — the JSON API's ``Idempotency-Key``
header, a FHIR DocumentReference's ``masterIdentifier``, the SubmissionSet's unique id — makes a retry
answer the first result: same document, no second deposit trace, no second notification. The same key
with another request is refused naming the key; keys belong to one depositor; they expire after the
retention (JSON API) and never hold the key or the request in clear.

Concurrent retries on PostgreSQL: ``test_idempotency_concurrency.py``."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client

from carnet.common.actors import Actor
from carnet.records.erasure import erase_records
from carnet.records.models import DepositKey, Document, DocumentStatus
from carnet.spaces.erasure import ErasureContext
from carnet.tasks import load_tasks
from carnet.vault.models import Blob
from tests.api.conftest import bearer, get_token, make_oauth_client
from tests.factories import OrganisationFactory
from tests.fhir.helpers import FHIR, bundle
from tests.records.helpers import PDF, World, traces

JSON = "application/json"
KEY = "9d3c5f0e-6a51-4c8e-9d1b-3f6f2f4b7a10"


@pytest.fixture
def token(world: World) -> str:
    """A bearer token of the world's laboratory (an establishment's software, OAuth2)."""
    return get_token(Client(), make_oauth_client(world.lab_org))


@pytest.fixture
def notices(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every "new document" notification the deposits ask for (R-NOT-1), by document."""
    from carnet.records import services

    asked: list[str] = []
    real = services.new_document_notify

    def spy(document: Document) -> None:
        asked.append(str(document.public_id))
        real(document)

    monkeypatch.setattr(services, "new_document_notify", spy)
    return asked


def _body(world: World, **extra: Any) -> dict[str, Any]:
    return {
        "patient": {"ins": world.patient.ins_matricule, "ins_oid": world.patient.ins_oid},
        "content_base64": base64.b64encode(PDF).decode(),
        "media_type": "application/pdf",
        "type_code": "11502-2",
        "title": "Résultats de biologie",
        **extra,
    }


def _deposit(token: str, body: dict[str, Any], key: str | None = KEY) -> Any:
    headers = {**bearer(token), **({"Idempotency-Key": key} if key is not None else {})}
    return Client().post("/api/documents", body, content_type=JSON, headers=headers)


# --- JSON API -------------------------------------------------------------------------------------


def test_a_retried_deposit_with_the_same_key_answers_the_first_document(
    world: World, token: str, notices: list[str]
) -> None:
    first = _deposit(token, _body(world))
    retry = _deposit(token, _body(world))
    assert (first.status_code, retry.status_code) == (201, 201), retry.content
    assert retry.json()["id"] == first.json()["id"]
    assert retry["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert Document.objects.filter(patient_id=world.patient.pk).count() == 1
    assert Blob.objects.filter(patient_id=world.patient.pk).count() == 1
    assert len(traces(world.patient, action="DEPOSIT")) == 1
    assert notices == [first.json()["id"]]
    # The answer lets the document's metadata out again: asked of the policy, traced as the read it is.
    (read,) = traces(world.patient, action="CONSULT")
    assert read.object_id == first.json()["id"] and read.outcome == "ALLOW"


def test_the_same_key_with_another_body_is_refused_naming_the_key(world: World, token: str) -> None:
    _deposit(token, _body(world))
    response = _deposit(token, _body(world, title="Un autre compte rendu"))
    assert response.status_code == 422
    error = response.json()
    assert (error["field"], error["code"]) == ("Idempotency-Key", "idempotency_key_reused")
    assert "Idempotency-Key" in error["message"] and KEY not in error["message"]
    assert Document.objects.filter(patient_id=world.patient.pk).count() == 1
    english = Client().post(
        "/api/documents",
        _body(world, title="Autre"),
        content_type=JSON,
        headers={**bearer(token), "Idempotency-Key": KEY, "Accept-Language": "en"},
    )
    assert english.status_code == 422 and "already used for another request" in english.json()["message"]


def test_two_establishments_may_use_the_same_key(world: World, token: str) -> None:
    other = get_token(Client(), make_oauth_client(OrganisationFactory()))
    first, second = _deposit(token, _body(world)), _deposit(other, _body(world))
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert Document.objects.filter(patient_id=world.patient.pk).count() == 2


def test_a_malformed_key_is_refused_naming_the_header(world: World, token: str) -> None:
    for key in ("clé-accentuée", "x" * 256, ""):
        response = _deposit(token, _body(world), key=key)
        assert response.status_code == 422 and "Idempotency-Key" in (response.json()["field"] or ""), key
    assert not Document.objects.filter(patient_id=world.patient.pk).exists()


def test_without_a_key_two_posts_are_two_deposits(world: World, token: str) -> None:
    """No key, no deduplication: the client did not ask for it (and may mean two documents)."""
    _deposit(token, _body(world), key=None)
    _deposit(token, _body(world), key=None)
    assert Document.objects.filter(patient_id=world.patient.pk).count() == 2


def test_the_multipart_upload_honours_the_key(world: World, token: str) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    def upload() -> Any:
        return Client().post(
            "/api/documents/upload",
            {
                "file": SimpleUploadedFile("cr.pdf", PDF, content_type="application/pdf"),
                "patient_id": str(world.patient.public_id),
                "type_code": "11502-2",
                "title": "Résultats",
            },
            headers={**bearer(token), "Idempotency-Key": KEY},
        )

    first, retry = upload(), upload()
    assert (first.status_code, retry.status_code) == (201, 201), retry.content
    assert first.json()["id"] == retry.json()["id"]
    assert Document.objects.filter(patient_id=world.patient.pk).count() == 1


def test_a_retried_replacement_answers_the_new_version(world: World, token: str) -> None:
    old = _deposit(token, _body(world), key=None).json()["id"]
    url = f"/api/patients/{world.patient.public_id}/documents/{old}/replace"
    body = {"content_base64": base64.b64encode(PDF + b"%v2").decode(), "media_type": "application/pdf"}

    def replace() -> Any:
        return Client().post(url, body, content_type=JSON, headers={**bearer(token), "Idempotency-Key": KEY})

    first, retry = replace(), replace()
    assert (first.status_code, retry.status_code) == (201, 201), retry.content
    assert first.json()["id"] == retry.json()["id"] and first.json()["replaces"] == old
    assert Document.objects.filter(patient_id=world.patient.pk, status=DocumentStatus.APPROVED).count() == 1
    assert len(traces(world.patient, action="REPLACE")) == 1


def test_keys_are_kept_for_the_retention_then_forgotten(world: World, token: str, clock: Any) -> None:
    """``CARNET_DEPOSIT_KEY_RETENTION_HOURS`` (48 h): a retry within it replays, after it deposits again."""
    first = _deposit(token, _body(world)).json()["id"]
    clock.advance(hours=47)
    fresh = get_token(Client(), make_oauth_client(world.lab_org))  # tokens last one hour
    assert _deposit(fresh, _body(world)).json()["id"] == first
    clock.advance(hours=2)
    assert load_tasks()["records.deposit_keys_purge"]() == 1
    assert not DepositKey.objects.exists()
    fresh = get_token(Client(), make_oauth_client(world.lab_org))
    assert _deposit(fresh, _body(world)).json()["id"] != first


def test_neither_the_key_nor_the_request_is_stored_in_clear(world: World, token: str) -> None:
    _deposit(token, _body(world))
    row = DepositKey.objects.get()
    stored = json.dumps(list(DepositKey.objects.values().get().values()), default=str)
    assert KEY not in stored and "biologie" not in stored and base64.b64encode(PDF).decode() not in stored
    assert row.patient_id == world.patient.pk and len(row.key_hash) == len(row.request_hash) == 64


def test_the_erasure_of_the_space_deletes_its_deposit_keys(world: World, token: str, clock: Any) -> None:
    _deposit(token, _body(world))
    erase_records(
        ErasureContext(patient_id=world.patient.pk, full=True, moment=clock.now(), actor=Actor.system("test"))
    )
    assert not DepositKey.objects.exists() and not Document.objects.exists()


# --- FHIR -----------------------------------------------------------------------------------------


def _fhir(token: str, payload: Any) -> Any:
    return Client().post("/fhir/", json.dumps(payload), content_type=FHIR, headers=bearer(token))


def _with_ids(
    data: dict[str, Any], *, submission: str | None = None, masters: list[str] | None = None
) -> Any:
    if submission is not None:
        data["entry"][0]["resource"]["identifier"] = [
            {"use": "official", "system": "urn:ietf:rfc:3986", "value": submission}
        ]
    for i, master in enumerate(masters or []):
        data["entry"][1 + 2 * i]["resource"]["masterIdentifier"] = {
            "system": "urn:ietf:rfc:3986",
            "value": master,
        }
    return data


def _locations(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [e["response"]["location"] for e in response.json()["entry"] if "location" in e["response"]]


def test_the_same_bundle_sent_again_answers_the_first_documents(
    world: World, token: str, notices: list[str]
) -> None:
    payload = _with_ids(bundle(world.patient, documents=2), submission="urn:oid:1.2.250.1.999.1.1")
    first = _locations(_fhir(token, payload))
    before = (len(traces(world.patient)), Blob.objects.count(), DepositKey.objects.count())
    retry = _locations(_fhir(token, payload))
    assert retry == first and len(first) == 4
    # The answer holds only the ids and dates the depositor already has: nothing is written, not even a trace.
    assert (len(traces(world.patient)), Blob.objects.count(), DepositKey.objects.count()) == before
    assert Document.objects.filter(patient_id=world.patient.pk).count() == 2
    assert len(traces(world.patient, action="DEPOSIT")) == 2 and len(notices) == 2


def test_a_document_published_under_its_master_identifier_is_not_published_twice(
    world: World, token: str
) -> None:
    """Another Bundle (no SubmissionSet id, new fullUrls) carrying the same document: the first one."""
    first = _locations(_fhir(token, _with_ids(bundle(world.patient), masters=["urn:oid:1.2.3.4.1"])))
    again = bundle(world.patient)
    again["entry"][1]["fullUrl"], again["entry"][2]["fullUrl"] = "urn:uuid:other-doc", "urn:uuid:other-bin"
    again["entry"][1]["resource"]["content"][0]["attachment"]["url"] = "urn:uuid:other-bin"
    assert _locations(_fhir(token, _with_ids(again, masters=["urn:oid:1.2.3.4.1"]))) == first
    assert Document.objects.filter(patient_id=world.patient.pk).count() == 1


def test_a_master_identifier_reused_for_other_content_is_refused(world: World, token: str) -> None:
    _fhir(token, _with_ids(bundle(world.patient), masters=["urn:oid:1.2.3.4.2"]))
    other = _with_ids(bundle(world.patient), masters=["urn:oid:1.2.3.4.2"])
    other["entry"][1]["resource"]["description"] = "Un autre document"
    response = _fhir(token, other)
    assert response.status_code == 422
    issue = response.json()["issue"][0]
    assert issue["expression"] == ["Bundle.entry[1].resource.masterIdentifier"]
    assert Document.objects.filter(patient_id=world.patient.pk).count() == 1


def test_a_submission_set_id_reused_for_another_bundle_is_refused(world: World, token: str) -> None:
    _fhir(token, _with_ids(bundle(world.patient), submission="urn:oid:1.2.250.1.999.1.2"))
    other = _with_ids(bundle(world.patient, documents=2), submission="urn:oid:1.2.250.1.999.1.2")
    response = _fhir(token, other)
    assert response.status_code == 422
    assert response.json()["issue"][0]["expression"] == ["Bundle.entry[0].resource.identifier[0]"]
    assert Document.objects.filter(patient_id=world.patient.pk).count() == 1


def test_two_establishments_may_use_the_same_master_identifier(world: World, token: str) -> None:
    other = get_token(Client(), make_oauth_client(OrganisationFactory()))
    for bearer_token in (token, other):
        _locations(_fhir(bearer_token, _with_ids(bundle(world.patient), masters=["urn:oid:1.2.3.4.3"])))
    assert Document.objects.filter(patient_id=world.patient.pk).count() == 2


def test_a_master_identifier_without_a_value_is_refused(world: World, token: str) -> None:
    payload = bundle(world.patient)
    payload["entry"][1]["resource"]["masterIdentifier"] = {"system": "urn:ietf:rfc:3986"}
    response = _fhir(token, payload)
    assert response.status_code == 422
    assert response.json()["issue"][0]["expression"] == ["Bundle.entry[1].resource.masterIdentifier.value"]
    assert not Document.objects.exists()
