"""Concurrent retries give one document (issue 13): two requests with one idempotency key, on two
connections at once, both pass the "already known?" look-up (nothing is committed yet) and race to the
key's unique constraint; the second waits for the first transaction and then answers its document.

PostgreSQL only: SQLite has a single writer (``transaction_mode = IMMEDIATE``), so two deposits never
overlap there. The race is made certain, not likely: the first request holds its transaction open until
the second has reached the key's insert.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from carnet.records import idempotency
from carnet.records import services as records
from carnet.records.models import Document
from tests.api.conftest import bearer, get_token, make_oauth_client
from tests.fhir.helpers import FHIR, bundle
from tests.records.helpers import PDF, World, make_world, traces

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two writers at once: PostgreSQL (SQLite has one writer)"
)
TIMEOUT = 20.0


@pytest.fixture
def world(transactional_db: Any) -> World:
    return make_world()


@pytest.fixture
def race(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Whoever claims the key first keeps its transaction open until the other request has reached its
    own claim (and a little longer, so that its insert is waiting on this transaction)."""
    arrived: list[str] = []
    both_arrived = threading.Event()
    real_claim, real_put = idempotency.claim, records.blob_put

    def claim(**kwargs: Any) -> Any:
        arrived.append(threading.current_thread().name)
        if len(arrived) >= 2:
            both_arrived.set()
        return real_claim(**kwargs)

    def blob_put(**kwargs: Any) -> Any:
        blob = real_put(**kwargs)
        assert both_arrived.wait(TIMEOUT), "the second request never reached the key"
        time.sleep(0.3)
        return blob

    monkeypatch.setattr(idempotency, "claim", claim)
    monkeypatch.setattr(records, "blob_put", blob_put)
    return arrived


def _at_once(request: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(2)
    answers: list[Any] = [None, None]
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(TIMEOUT)
            answers[i] = request()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i,), name=f"request-{i}") for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    assert errors == []
    return answers


def test_two_concurrent_json_deposits_with_one_key_give_one_document(world: World, race: list[str]) -> None:
    token = get_token(Client(), make_oauth_client(world.lab_org))
    body = {
        "patient": {"ins": world.patient.ins_matricule, "ins_oid": world.patient.ins_oid},
        "content_base64": base64.b64encode(PDF).decode(),
        "media_type": "application/pdf",
        "type_code": "11502-2",
        "title": "Résultats de biologie",
    }
    headers = {**bearer(token), "Idempotency-Key": "one-key-two-connections"}
    answers = _at_once(
        lambda: Client().post("/api/documents", body, content_type="application/json", headers=headers)
    )
    assert len(race) == 2  # both requests went past the look-up: the constraint decided
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert sorted(a.has_header("Idempotent-Replayed") for a in answers) == [False, True]
    assert Document.objects.filter(patient_id=world.patient.pk).count() == 1
    assert len(traces(world.patient, action="DEPOSIT")) == 1


def test_two_concurrent_fhir_bundles_with_one_master_identifier_give_one_document(
    world: World, race: list[str]
) -> None:
    """The document's key is claimed inside the Bundle's transaction (a savepoint): the loser's Bundle
    survives the conflict and answers the winner's document."""
    token = get_token(Client(), make_oauth_client(world.lab_org))
    payload = bundle(world.patient)
    payload["entry"][1]["resource"]["masterIdentifier"] = {
        "system": "urn:ietf:rfc:3986",
        "value": "urn:oid:1.2.9",
    }
    answers = _at_once(
        lambda: Client().post("/fhir/", json.dumps(payload), content_type=FHIR, headers=bearer(token))
    )
    assert len(race) == 2
    assert [a.status_code for a in answers] == [200, 200], [a.content for a in answers]
    locations = [[e["response"].get("location") for e in a.json()["entry"]] for a in answers]
    assert locations[0] == locations[1]
    assert Document.objects.filter(patient_id=world.patient.pk).count() == 1
