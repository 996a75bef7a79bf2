"""The history never reveals that a hidden document exists (issue 12, item 2; R-MIN-5, R-MASK-6).

A legal representative (or the holder before an ``INVISIBLE_PATIENT`` release) reads the history — on the
page or downloaded — and counts. Whatever a professional, an establishment or the minor himself listed,
masked or replaced, what that viewer may see of the history must add up to the documents he may see:
counts in list traces leave hidden documents out, and each hidden document has a trace of its own, which
``audit.hooks.hidden_object_ids`` (the records provider) takes away from exactly the viewers concerned.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carnet.access import services as access
from carnet.audit.hooks import hidden_object_ids
from carnet.audit.models import Trace
from carnet.identity.models import Person
from carnet.records import selectors, services
from carnet.records.models import Document
from tests.api.conftest import bearer, get_token, make_oauth_client, patient_client, professional_client
from tests.records.helpers import PDF, World, add_parent, deposit_pdf, make_world, pro_actor

IRL = "INVISIBLE_REPRESENTANTS_LEGAUX"
IP = "INVISIBLE_PATIENT"
VIEWERS = ("PATIENT", "LEGAL_REPRESENTATIVE", "CAREGIVER")
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass
class Minor:
    world: World
    parent: Person
    normal: Document
    secret: Document  # INVISIBLE_REPRESENTANTS_LEGAUX: the minor asked the lab (R-MIN-5)
    unannounced: Document  # INVISIBLE_PATIENT: waiting for the announcement consultation (R-MASK-6)


@pytest.fixture
def minor(db: Any, clock: Any) -> Minor:
    world = make_world(birth_date=date(2010, 3, 1))  # 15 years old, his own account
    parent = add_parent(world)
    normal = deposit_pdf(world, world.gp, title="Compte rendu")
    secret = deposit_pdf(world, world.lab, type_code="11502-2", confidentiality=[IRL])
    unannounced = deposit_pdf(world, world.lab, type_code="11502-2", confidentiality=[IP])
    access.care_relation_record(actor=pro_actor(world.gp), patient_id=world.patient.pk, kind="EXPLICIT")
    return Minor(world, parent, normal, secret, unannounced)


def seen_by(patient: Person, viewer_kind: str, *, since: int = 0) -> list[Trace]:
    """The traces ``viewer_kind`` may see in the history (what the page and the download show)."""
    hidden = hidden_object_ids(patient_id=patient.pk, viewer_kind=viewer_kind)
    return [
        t
        for t in Trace.objects.filter(patient_id=patient.pk, id__gt=since).order_by("id")
        if not (t.object_id and t.object_id in hidden)
    ]


def visible_documents(minor: Minor, viewer_kind: str) -> set[str]:
    hidden = hidden_object_ids(patient_id=minor.world.patient.pk, viewer_kind=viewer_kind)
    return {str(d.public_id) for d in (minor.normal, minor.secret, minor.unannounced)} - hidden


def listed_as_seen_by(patient: Person, viewer_kind: str, since: int) -> int:
    """How many listed documents the history tells this viewer about: the counts of the list traces
    plus the list traces of single documents he may see."""
    total = 0
    for t in seen_by(patient, viewer_kind, since=since):
        if t.action != "DOCUMENT_LIST":
            continue
        total += int(t.details.get("count", 0)) if t.object_type == "record" else 1
    return total


def betrays_nothing(minor: Minor, viewer_kind: str, since: int = 0) -> None:
    """No id of a document hidden from this viewer appears anywhere in what he sees of the history."""
    hidden = hidden_object_ids(patient_id=minor.world.patient.pk, viewer_kind=viewer_kind)
    text = json.dumps(
        [[t.object_id, t.details] for t in seen_by(minor.world.patient, viewer_kind, since=since)]
    )
    assert not any(h in text for h in hidden)


def last_trace_id() -> int:
    return Trace.objects.order_by("-id").values_list("id", flat=True).first() or 0


# --- every list path ------------------------------------------------------------------------------


def _page(minor: Minor) -> None:
    response = professional_client(minor.world.gp).get(f"/pro/patients/{minor.world.patient.public_id}/")
    assert response.status_code == 200


def _json_api(minor: Minor) -> None:
    response = professional_client(minor.world.gp).get(
        f"/api/patients/{minor.world.patient.public_id}/documents"
    )
    assert response.json()["count"] == 3


def _selector(minor: Minor) -> None:
    assert (
        len(
            selectors.document_list_for_actor(
                actor=pro_actor(minor.world.gp), patient_id=minor.world.patient.pk
            )
        )
        == 3
    )


@pytest.mark.parametrize("path", [_page, _json_api, _selector], ids=["page", "json-api", "selector"])
def test_what_each_viewer_sees_of_a_professionals_list_adds_up_to_what_he_may_see(
    minor: Minor, path: Any
) -> None:
    since = last_trace_id()
    path(minor)
    (general,) = [t for t in Trace.objects.filter(id__gt=since, action="DOCUMENT_LIST", object_type="record")]
    assert general.details["count"] == 1  # only the document every patient-side viewer sees
    for viewer in VIEWERS:
        assert listed_as_seen_by(minor.world.patient, viewer, since) == len(visible_documents(minor, viewer))
        betrays_nothing(minor, viewer, since)


def test_an_establishments_fhir_search_of_its_own_hidden_results_betrays_nothing(minor: Minor) -> None:
    world = minor.world
    http = Client()
    token = get_token(http, make_oauth_client(world.lab_org))
    body = {
        "patient": {"ins": world.patient.ins_matricule},
        "type_code": "11502-2",
        "title": "Sérologie",
        "confidentiality": [IRL],
        "filename": "r.pdf",
        "media_type": "application/pdf",
        "content_base64": base64.b64encode(PDF).decode(),
    }
    own_secret = http.post(
        "/api/documents", body, content_type="application/json", headers=bearer(token)
    ).json()
    since = last_trace_id()
    response = http.get(f"/fhir/DocumentReference?patient={world.patient.public_id}", headers=bearer(token))
    assert response.json()["total"] == 1
    (general,) = Trace.objects.filter(id__gt=since, action="DOCUMENT_LIST", object_type="record")
    assert general.details["count"] == 0
    (item,) = Trace.objects.filter(id__gt=since, action="DOCUMENT_LIST", object_type="document")
    assert item.object_id == own_secret["id"]
    representative_view = seen_by(world.patient, "LEGAL_REPRESENTATIVE", since=since)
    assert [t.details.get("count") for t in representative_view] == [0]
    assert own_secret["id"] not in json.dumps([t.details for t in representative_view])
    assert item in seen_by(world.patient, "PATIENT", since=since)  # the minor himself sees it


def test_the_minors_own_list_does_not_tell_his_parent_how_many_documents_he_has(minor: Minor) -> None:
    since = last_trace_id()
    response = patient_client(minor.world).get("/espace/documents/")
    assert response.status_code == 200
    assert listed_as_seen_by(minor.world.patient, "LEGAL_REPRESENTATIVE", since) == 1
    assert listed_as_seen_by(minor.world.patient, "PATIENT", since) == 2  # the unannounced one is not listed
    betrays_nothing(minor, "LEGAL_REPRESENTATIVE", since)


def test_after_the_release_the_holder_sees_that_the_document_had_been_listed(
    minor: Minor, clock: Any
) -> None:
    since = last_trace_id()
    _selector(minor)
    assert listed_as_seen_by(minor.world.patient, "PATIENT", since) == 2
    clock.advance(days=32)  # R-MASK-6: visible one month after the deposit
    assert listed_as_seen_by(minor.world.patient, "PATIENT", since) == 3
    assert listed_as_seen_by(minor.world.patient, "LEGAL_REPRESENTATIVE", since) == 2  # never the secret


# --- other traces that count or name documents ------------------------------------------------------


def test_masking_everything_does_not_count_the_secret_document_for_the_parent(minor: Minor) -> None:
    since = last_trace_id()
    masked = services.space_set_mask_all(
        actor=minor.world.holder, patient_id=minor.world.patient.pk, enabled=True
    )
    assert masked == 2  # the minor masked the normal and the secret documents, and is told so
    (summary,) = Trace.objects.filter(id__gt=since, action="SPACE_MASK_ALL")
    assert summary.details["masked"] == 1
    assert Trace.objects.filter(id__gt=since, action="MASK", object_id=str(minor.secret.public_id)).exists()
    betrays_nothing(minor, "LEGAL_REPRESENTATIVE", since)
    minor.secret.refresh_from_db()
    assert "MASQUE_PS" in minor.secret.confidentiality


def test_replacing_a_secret_document_by_a_visible_version_does_not_name_the_secret(minor: Minor) -> None:
    since = last_trace_id()
    new = services.document_replace(
        actor=pro_actor(minor.world.lab),
        patient_id=minor.world.patient.pk,
        document_public_id=minor.secret.public_id,
        content=PDF,
        filename="v2.pdf",
        confidentiality=["N"],
    )
    replace = Trace.objects.get(id__gt=since, action="REPLACE", object_id=str(new.public_id))
    assert "replaces" not in replace.details
    old = Trace.objects.get(id__gt=since, action="REPLACE", object_id=str(minor.secret.public_id))
    assert old.details["replaced_by"] == str(new.public_id)
    betrays_nothing(minor, "LEGAL_REPRESENTATIVE", since)
    assert old in seen_by(minor.world.patient, "PATIENT", since=since)


def test_replacing_an_ordinary_document_still_names_the_old_version(minor: Minor) -> None:
    new = services.document_replace(
        actor=pro_actor(minor.world.gp),
        patient_id=minor.world.patient.pk,
        document_public_id=minor.normal.public_id,
        content=PDF,
        filename="v2.pdf",
    )
    replace = Trace.objects.get(action="REPLACE", object_id=str(new.public_id))
    assert replace.details["replaces"] == str(minor.normal.public_id)


# --- a property over random records -----------------------------------------------------------------

_CODES = st.sampled_from([["N"], [IRL], [IP], [IRL, IP], ["MASQUE_PS"], [IRL, "MASQUE_PS"]])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    record=st.lists(st.tuples(_CODES, st.booleans()), min_size=1, max_size=6), days=st.sampled_from([0, 40])
)
def test_no_viewer_can_count_a_document_hidden_from_him(
    db: Any, clock: Any, record: list[Any], days: int
) -> None:
    clock.freeze(START)  # each example starts on the same day (the database is shared by the examples)
    world = make_world(birth_date=date(2012, 6, 1))
    add_parent(world)
    access.professional_role_set(
        actor=world.holder,
        patient_id=world.patient.pk,
        professional=world.admin,
        role="administrator",
        enabled=True,
    )
    documents = [
        deposit_pdf(world, world.lab if by_lab else world.gp, type_code="11502-2", confidentiality=codes)
        for codes, by_lab in record
    ]
    clock.advance(days=days)
    since = last_trace_id()
    listed = selectors.document_list_for_actor(actor=pro_actor(world.admin), patient_id=world.patient.pk)
    for viewer in VIEWERS:
        hidden = hidden_object_ids(patient_id=world.patient.pk, viewer_kind=viewer)
        may_see = [d for d in listed if str(d.public_id) not in hidden]
        assert listed_as_seen_by(world.patient, viewer, since) == len(may_see)
        text = json.dumps([[t.object_id, t.details] for t in seen_by(world.patient, viewer, since=since)])
        assert not any(str(d.public_id) in text for d in documents if str(d.public_id) in hidden)
