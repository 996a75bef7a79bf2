"""FHIR R4 facade: ITI-65 publication (all or nothing), DocumentReference search and read, Binary, metadata."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.operationoutcome import OperationOutcome

from carnet.records.models import Document, DocumentStatus
from tests.api.conftest import bearer
from tests.fhir.helpers import FHIR, binary, bundle, counts, entry
from tests.records.helpers import PDF, World, cda, deposit_pdf, traces


def _post(token: str, payload: Any, raw: str | None = None) -> Any:
    body = raw if raw is not None else json.dumps(payload)
    return Client().post("/fhir/", body, content_type=FHIR, headers=bearer(token))


def _outcome(response: Any) -> dict[str, Any]:
    data = response.json()
    OperationOutcome.model_validate(data)
    return dict(data["issue"][0])


# --- metadata -------------------------------------------------------------------------------------


def test_metadata_is_an_r4_capability_statement(db: Any) -> None:
    response = Client().get("/fhir/metadata")
    assert response.status_code == 200 and response["Content-Type"].startswith(FHIR)
    statement = CapabilityStatement.model_validate(response.json())
    assert statement.fhirVersion == "4.0.1"


# --- publication ----------------------------------------------------------------------------------


def test_transaction_bundle_publishes_every_document(world: World, lab_token: str) -> None:
    """IHE MHD ITI-65: one SubmissionSet, two documents; transaction-response with Locations."""
    response = _post(lab_token, bundle(world.patient, documents=2))
    assert response.status_code == 200, response.content
    result = Bundle.model_validate(response.json())
    assert result.type == "transaction-response"
    locations = [e.response.location for e in result.entry if e.response.location]
    assert len([loc for loc in locations if loc.startswith("DocumentReference/")]) == 2
    assert len([loc for loc in locations if loc.startswith("Binary/")]) == 2
    docs = Document.objects.filter(patient_id=world.patient.pk)
    assert docs.count() == 2 and {d.type_code for d in docs} == {"11502-2"}
    assert {d.service_start.isoformat() for d in docs if d.service_start} == {"2026-01-04"}
    assert len(traces(world.patient, action="DEPOSIT")) == 2


def test_transaction_replaces_a_document_with_relates_to(world: World, lab_token: str) -> None:
    """R-VER-1 via ``relatesTo.code = replaces``: the old version becomes superseded."""
    _post(lab_token, bundle(world.patient))
    old = Document.objects.get(patient_id=world.patient.pk)
    payload = bundle(world.patient)
    payload["entry"][1]["resource"]["relatesTo"] = [
        {"code": "replaces", "target": {"reference": f"DocumentReference/{old.public_id}"}}
    ]
    assert _post(lab_token, payload).status_code == 200
    old.refresh_from_db()
    assert old.status == DocumentStatus.DEPRECATED
    assert Document.objects.get(patient_id=world.patient.pk, status=DocumentStatus.APPROVED).replaces == old


def _bad(world: World) -> list[tuple[str, Any, int, str]]:
    """(case, payload or raw text, expected status, fragment of the expression)."""
    unknown_type = bundle(world.patient, documents=2)
    unknown_type["entry"][3]["resource"]["type"] = {
        "coding": [{"system": "http://loinc.org", "code": "00000-0"}]
    }
    missing_content = bundle(world.patient)
    del missing_content["entry"][1]["resource"]["content"]
    wrong_type = bundle(world.patient)
    wrong_type["entry"].append(
        entry("urn:uuid:x", {"resourceType": "Observation", "status": "final", "code": {"text": "x"}})
    )
    mismatch = bundle(world.patient, documents=2)
    from tests.records.helpers import give_space, new_person

    other = new_person()
    give_space(other)
    mismatch["entry"][3]["resource"]["subject"] = {
        "identifier": {"system": f"urn:oid:{other.ins_oid}", "value": other.ins_matricule}
    }
    bad_hash = bundle(world.patient)
    bad_hash["entry"][1]["resource"]["content"][0]["attachment"]["hash"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
    bad_label = bundle(world.patient)
    bad_label["entry"][1]["resource"]["securityLabel"] = [{"coding": [{"code": "SECRET"}]}]
    no_list = bundle(world.patient)
    del no_list["entry"][0]
    return [
        ("invalid JSON", "{pas du json", 400, "Bundle"),
        ("not a Bundle", {"resourceType": "DocumentReference"}, 400, "Bundle.resourceType"),
        ("not a transaction", {**bundle(world.patient), "type": "collection"}, 400, "Bundle.type"),
        ("unknown type code", unknown_type, 422, "Bundle.entry[3].resource.type"),
        ("missing required element", missing_content, 400, "Bundle.entry[1].resource.content"),
        ("unsupported resource", wrong_type, 422, "Bundle.entry[3].resource.resourceType"),
        ("patient mismatch", mismatch, 422, "Bundle.entry[3].resource.subject"),
        ("hash mismatch", bad_hash, 422, "Bundle.entry[1].resource.content[0].attachment.hash"),
        ("unknown confidentiality", bad_label, 422, "Bundle.entry[1].resource.securityLabel[0]"),
        ("no submission set", no_list, 422, "Bundle.entry"),
    ]


@pytest.mark.parametrize("case", range(10))
def test_malformed_payload_gets_an_operation_outcome_and_writes_nothing(
    world: World, lab_token: str, case: int
) -> None:
    """Invariant 9: the OperationOutcome names the problem; no Document, Blob, file nor trace written."""
    name, payload, status, expression = _bad(world)[case]
    before = counts(world.patient)
    response = _post(lab_token, None, raw=payload) if isinstance(payload, str) else _post(lab_token, payload)
    assert response.status_code == status, (name, response.content)
    issue = _outcome(response)
    assert issue["expression"][0].startswith(expression), (name, issue)
    assert counts(world.patient) == before, name


def test_second_document_refused_by_records_rolls_back_the_first(world: World, lab_token: str) -> None:
    """All or nothing: entry 1 is valid, entry 3 is a CDA naming another patient (refused by records)."""
    from tests.records.helpers import give_space, new_person

    other = new_person()
    give_space(other)
    payload = bundle(world.patient, documents=2)
    foreign = cda(other, type_code="11502-2")
    payload["entry"][4]["resource"] = {**binary(foreign), "contentType": "text/xml"}
    attachment = payload["entry"][3]["resource"]["content"][0]["attachment"]
    attachment.update(contentType="text/xml", size=len(foreign))
    del attachment["hash"]
    before = counts(world.patient)
    response = _post(lab_token, payload)
    assert response.status_code == 422
    assert _outcome(response)["expression"][0] == "Bundle.entry[3].resource.subject"
    assert counts(world.patient) == before


def test_content_too_large_is_refused(world: World, lab_token: str, settings: Any) -> None:
    """SPEC §2.7 [I] size limit, named on the attachment."""
    settings.CARNET_DOCUMENT_MAX_BYTES = 10
    before = counts(world.patient)
    response = _post(lab_token, bundle(world.patient))
    assert response.status_code == 413
    assert _outcome(response)["expression"][0] == "Bundle.entry[1].resource.content[0].attachment"
    assert counts(world.patient) == before


def test_publication_needs_a_bearer_token(world: World) -> None:
    response = Client().post("/fhir/", json.dumps(bundle(world.patient)), content_type=FHIR)
    assert response.status_code == 401 and _outcome(response)["code"] == "login"


# --- search and read ------------------------------------------------------------------------------


def _publish(world: World, token: str) -> str:
    response = _post(token, bundle(world.patient))
    return str(response.json()["entry"][1]["response"]["location"].split("/")[1])


def test_search_by_ins_in_a_post_body_returns_a_searchset(world: World, lab_token: str) -> None:
    """FHIR search by POST: the INS stays out of URLs and logs; traced DOCUMENT_LIST."""
    doc_id = _publish(world, lab_token)
    response = Client().post(
        "/fhir/DocumentReference/_search",
        urlencode({"patient.identifier": f"urn:oid:{world.patient.ins_oid}|{world.patient.ins_matricule}"}),
        content_type="application/x-www-form-urlencoded",  # FHIR R4 §3.1.0.8
        headers=bearer(lab_token),
    )
    assert response.status_code == 200
    result = Bundle.model_validate(response.json())
    assert result.type == "searchset" and result.total == 1
    reference = DocumentReference.model_validate(response.json()["entry"][0]["resource"])
    assert reference.id == doc_id and reference.status == "current"
    assert reference.content[0].attachment.url == f"Binary/{doc_id}"
    assert traces(world.patient, action="DOCUMENT_LIST", outcome="ALLOW")


def test_identifiers_are_refused_in_get_urls(world: World, lab_token: str) -> None:
    response = Client().get(
        f"/fhir/DocumentReference?patient.identifier=urn:oid:{world.patient.ins_oid}|{world.patient.ins_matricule}",
        headers=bearer(lab_token),
    )
    assert response.status_code == 400 and _outcome(response)["expression"] == ["patient.identifier"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("type=http://loinc.org|11502-2", 1),
        ("type=11488-4", 0),
        ("date=ge2026-01-05", 1),
        ("date=lt2026-01-05", 0),
        ("status=current", 1),
        ("status=superseded", 0),
    ],
)
def test_search_by_patient_public_id_filters_by_type_date_and_status(
    world: World, lab_token: str, query: str, expected: int
) -> None:
    _publish(world, lab_token)
    response = Client().get(
        f"/fhir/DocumentReference?patient={world.patient.public_id}&{query}", headers=bearer(lab_token)
    )
    assert response.status_code == 200 and response.json()["total"] == expected


def test_search_only_returns_what_the_policy_lets_the_establishment_see(world: World, lab_token: str) -> None:
    """Invariant 1: a GP's document is not shown to an establishment without consent."""
    own = _publish(world, lab_token)
    deposit_pdf(world, world.gp)
    response = Client().get(
        f"/fhir/DocumentReference?patient={world.patient.public_id}", headers=bearer(lab_token)
    )
    assert [e["resource"]["id"] for e in response.json()["entry"]] == [own]


def test_read_document_reference_and_binary(world: World, lab_token: str) -> None:
    """Binary read is traced DOWNLOAD; raw bytes or a Binary resource by Accept."""
    doc_id = _publish(world, lab_token)
    http = Client()
    read = http.get(f"/fhir/DocumentReference/{doc_id}", headers=bearer(lab_token))
    assert read.status_code == 200 and DocumentReference.model_validate(read.json()).id == doc_id
    raw = http.get(f"/fhir/Binary/{doc_id}", headers=bearer(lab_token))
    assert raw.status_code == 200 and raw.content == PDF
    as_json = http.get(f"/fhir/Binary/{doc_id}", headers={**bearer(lab_token), "Accept": FHIR})
    assert as_json.json()["resourceType"] == "Binary"
    assert len(traces(world.patient, action="DOWNLOAD", outcome="ALLOW")) == 2


def test_forbidden_and_missing_documents_answer_the_same_404(world: World, lab_token: str) -> None:
    gp_doc = deposit_pdf(world, world.gp)
    http = Client()
    forbidden = http.get(f"/fhir/DocumentReference/{gp_doc.public_id}", headers=bearer(lab_token))
    missing = http.get(
        "/fhir/DocumentReference/00000000-0000-0000-0000-000000000000", headers=bearer(lab_token)
    )
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()
    assert http.get(f"/fhir/Binary/{gp_doc.public_id}", headers=bearer(lab_token)).status_code == 404
