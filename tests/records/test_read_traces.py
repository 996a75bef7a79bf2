"""The history says what happened (issue 12, item 5; R-TR-1, R-TR-3): a preview is a consultation and a
download a download; changing the emergency consents is an R-EM-4 act; a list refused to a blocked
professional (or one without consent) is a refusal on every list path; and a professional probing other
patients' document ids under one patient's address writes none of those ids into that patient's history."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import Client

from carnet.access import services as access
from carnet.access.models import ProfessionalStanding
from carnet.audit.models import Trace
from carnet.common import clock as carnet_clock
from carnet.common.actors import ActorKind
from carnet.common.errors import NotFoundOrForbidden
from carnet.records import selectors, services
from carnet.records.models import Document
from tests.api.conftest import bearer, get_token, make_oauth_client, patient_client, professional_client
from tests.records.helpers import (
    PDF,
    World,
    deposit_pdf,
    give_account,
    give_space,
    new_person,
    person_actor,
    pro_actor,
    traces,
)

TIFF = b"II*\x00" + b"\x00" * 64
JSON = "application/json"


def _document_traces(world: World, document: Document) -> list[tuple[str, str]]:
    """(action, view) of the traces about one document, in order."""
    return [
        (t.action, str((t.details or {}).get("view", "")))
        for t in traces(world.patient, object_id=str(document.public_id))
        if t.action in ("CONSULT", "DOWNLOAD")
    ]


def _upload(world: World, content: bytes = PDF, title: str = "Mon bilan") -> Document:
    return services.document_deposit(
        actor=world.holder,
        patient_id=world.patient.pk,
        content=content,
        filename="bilan",
        title=title,
        category="AUTR_DOC",
    )


# --- a preview is a consultation, a download is a download ---------------------------------------


def test_opening_a_document_with_its_preview_records_no_download(world: World) -> None:
    document = _upload(world)
    client = patient_client(world)
    base = f"/espace/documents/{document.public_id}/"
    assert client.get(base).status_code == 200
    preview = client.get(base + "contenu/")
    assert preview.status_code == 200 and preview["Content-Disposition"].startswith("inline")
    assert _document_traces(world, document) == [("CONSULT", ""), ("CONSULT", "preview")]


def test_the_download_button_records_one_download(world: World) -> None:
    document = _upload(world)
    response = patient_client(world).get(f"/espace/documents/{document.public_id}/telecharger/")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert _document_traces(world, document) == [("DOWNLOAD", "")]


def test_a_content_that_cannot_be_previewed_leaves_as_a_file_and_is_traced_as_a_download(
    world: World,
) -> None:
    document = _upload(world, content=TIFF, title="Radio scannée")
    response = patient_client(world).get(f"/espace/documents/{document.public_id}/contenu/")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert _document_traces(world, document) == [("DOWNLOAD", "")]


def test_a_professionals_preview_is_a_consultation_too(world: World) -> None:
    document = deposit_pdf(world, world.gp)
    client = professional_client(world.gp)
    base = f"/pro/patients/{world.patient.public_id}/documents/{document.public_id}/"
    assert client.get(base + "contenu/").status_code == 200
    assert client.get(base + "telecharger/").status_code == 200
    assert _document_traces(world, document) == [("CONSULT", "preview"), ("DOWNLOAD", "")]


def test_the_api_content_endpoint_is_a_download(world: World) -> None:
    document = _upload(world)
    response = patient_client(world).get(
        f"/api/patients/{world.patient.public_id}/documents/{document.public_id}/content"
    )
    assert response.status_code == 200
    assert _document_traces(world, document) == [("DOWNLOAD", "")]


# --- emergency consents: R-EM-4 ------------------------------------------------------------------


def test_changing_the_emergency_consents_is_traced_under_r_em_4(world: World) -> None:
    access.emergency_settings_update(actor=world.holder, patient_id=world.patient.pk, btg="deny")
    (changed,) = traces(world.patient, action="MODIF_PARAM_ACCESS_URGENCE")
    assert changed.outcome == "ALLOW" and changed.details["rule"] == "R-EM-4"
    assert changed.details["after"]["btg"] == "deny"


def test_the_emergency_settings_page_traces_r_em_4(world: World) -> None:
    response = patient_client(world).post(
        "/espace/acces/urgence/", {"etreat": "permit", "btg": "permit", "masked": "permit"}
    )
    assert response.status_code == 302
    assert traces(world.patient, action="MODIF_PARAM_ACCESS_URGENCE")[0].details["rule"] == "R-EM-4"


def test_a_caregiver_trying_to_change_them_leaves_a_refusal(world: World) -> None:
    from tests.factories import DelegationFactory

    helper = new_person()
    give_space(helper)
    give_account(helper)
    DelegationFactory(kind="CAREGIVING", subject=world.patient, delegate=helper)
    with pytest.raises(NotFoundOrForbidden):
        access.emergency_settings_update(
            actor=person_actor(helper, ActorKind.CAREGIVER), patient_id=world.patient.pk, btg="deny"
        )
    (refused,) = traces(world.patient, action="MODIF_PARAM_ACCESS_URGENCE")
    assert (refused.outcome, refused.details["rule"]) == ("DENY", "R-DEL-2")


# --- a refused list is a refusal, on every list path ----------------------------------------------


def _list_traces(world: World) -> list[tuple[str, str]]:
    return [
        (t.outcome, t.details["rule"])
        for t in traces(world.patient, action="DOCUMENT_LIST", object_type="record")
    ]


def _block(world: World, **subject: Any) -> None:
    now = carnet_clock.now()
    ProfessionalStanding.objects.create(
        patient_id=world.patient.pk, blocked_at=now, updated_at=now, **subject
    )


def test_a_blocked_professional_opening_the_record_page_is_traced_as_refused_r_blk_2(world: World) -> None:
    deposit_pdf(world, world.gp)
    access.care_relation_record(actor=pro_actor(world.dentist), patient_id=world.patient.pk, kind="EXPLICIT")
    access.professional_block(actor=world.holder, patient_id=world.patient.pk, professional=world.dentist)
    response = professional_client(world.dentist).get(f"/pro/patients/{world.patient.public_id}/")
    assert response.status_code == 200
    assert _list_traces(world) == [("DENY", "R-BLK-2")]


def test_a_professional_without_consent_listing_through_the_json_api_is_refused_r_ac_12(world: World) -> None:
    deposit_pdf(world, world.gp)
    response = professional_client(world.dentist).get(f"/api/patients/{world.patient.public_id}/documents")
    assert response.status_code == 200 and response.json()["count"] == 0
    assert _list_traces(world) == [("DENY", "R-AC-12")]


def test_a_blocked_professional_searching_through_the_json_api_is_refused_r_blk_2(world: World) -> None:
    deposit_pdf(world, world.gp)
    _block(world, professional=world.dentist)
    response = professional_client(world.dentist).post(
        "/api/documents/_search", {"patient": {"id": str(world.patient.public_id)}}, content_type=JSON
    )
    assert response.status_code == 200 and response.json()["count"] == 0
    assert _list_traces(world) == [("DENY", "R-BLK-2")]


def test_a_blocked_establishments_fhir_search_is_refused_r_blk_2(world: World) -> None:
    deposit_pdf(world, world.gp)
    _block(world, organisation=world.lab_org)
    http = Client()
    token = get_token(http, make_oauth_client(world.lab_org))
    response = http.get(f"/fhir/DocumentReference?patient={world.patient.public_id}", headers=bearer(token))
    assert response.status_code == 200 and response.json()["total"] == 0
    assert _list_traces(world) == [("DENY", "R-BLK-2")]


def test_a_professional_who_only_sees_his_own_documents_is_listed_under_the_author_rule(world: World) -> None:
    """R-MASK-1: he did see something, his own documents; the refusal of the rest stays in the trace."""
    deposit_pdf(world, world.gp)
    deposit_pdf(world, world.dentist, type_code="28617-9", title="Bilan dentaire")
    _block(world, professional=world.dentist)
    listed = selectors.document_list_for_actor(actor=pro_actor(world.dentist), patient_id=world.patient.pk)
    assert len(listed) == 1
    (trace,) = traces(world.patient, action="DOCUMENT_LIST", object_type="record")
    assert (trace.outcome, trace.details["rule"], trace.details["record_rule"]) == (
        "ALLOW",
        "R-MASK-1",
        "R-BLK-2",
    )
    assert trace.details["count"] == 1


def test_a_consented_list_stays_allowed_under_its_consent_rule(world: World) -> None:
    deposit_pdf(world, world.gp)
    access.care_relation_record(actor=pro_actor(world.dentist), patient_id=world.patient.pk, kind="EXPLICIT")
    selectors.document_list_for_actor(actor=pro_actor(world.dentist), patient_id=world.patient.pk)
    assert _list_traces(world) == [("ALLOW", "R-AC-12")]


# --- probing other patients' document ids ---------------------------------------------------------


@pytest.fixture
def other(world: World) -> tuple[Any, Document]:
    """Another patient of the same GP, with a document."""
    person = new_person()
    give_space(person)
    give_account(person)
    document = services.document_deposit(
        actor=pro_actor(world.gp),
        patient_id=person.pk,
        content=PDF,
        filename="cr.pdf",
        type_code="11488-4",
        title="CR d'un autre patient",
    )
    return person, document


def _history_text(world: World) -> str:
    rows = Trace.objects.filter(patient_id=world.patient.pk).values_list("object_id", "details")
    return json.dumps([[object_id, details] for object_id, details in rows])


PROBES = ["", "contenu/", "telecharger/"]


@pytest.mark.parametrize("suffix", PROBES)
def test_a_professional_probing_another_patients_document_under_this_patients_address_writes_no_foreign_id(
    world: World, other: tuple[Any, Document], suffix: str
) -> None:
    _person, foreign = other
    access.care_relation_record(actor=pro_actor(world.gp), patient_id=world.patient.pk, kind="EXPLICIT")
    client = professional_client(world.gp)
    for probe in (foreign.public_id, uuid.uuid4()):
        response = client.get(f"/pro/patients/{world.patient.public_id}/documents/{probe}/{suffix}")
        assert response.status_code == 404
    refused = traces(world.patient, outcome="DENY")
    assert len(refused) == 2 and all(t.object_id == "" and t.object_type == "document" for t in refused)
    assert str(foreign.public_id) not in _history_text(world)


def test_json_api_probes_and_writes_with_a_foreign_id_leave_no_trace_of_it(
    world: World, other: tuple[Any, Document]
) -> None:
    _person, foreign = other
    lab = Client()
    token = get_token(lab, make_oauth_client(world.lab_org))
    base = f"/api/patients/{world.patient.public_id}/documents/{foreign.public_id}"
    assert lab.get(base, headers=bearer(token)).status_code == 404
    assert lab.get(base + "/content", headers=bearer(token)).status_code == 404
    assert lab.delete(base, headers=bearer(token)).status_code == 404
    assert lab.patch(base, {"title": "x"}, content_type=JSON, headers=bearer(token)).status_code == 404
    patient = patient_client(world)
    assert patient.get(f"/espace/documents/{foreign.public_id}/").status_code == 404
    assert (
        patient.post(
            f"/api/patients/{world.patient.public_id}/documents-deletion",
            {"document_ids": [str(foreign.public_id)]},
            content_type=JSON,
        ).status_code
        == 404
    )
    assert len(traces(world.patient, outcome="DENY")) == 6
    assert str(foreign.public_id) not in _history_text(world)


def test_a_probe_of_this_patients_own_document_still_names_it(world: World) -> None:
    """The patient's own document ids are his: a refused read of one of them names it in his history."""
    document = deposit_pdf(world, world.gp)
    with pytest.raises(NotFoundOrForbidden):
        selectors.document_get_for_actor(
            actor=pro_actor(world.dentist), patient_id=world.patient.pk, document_public_id=document.public_id
        )
    (refused,) = traces(world.patient, action="CONSULT", outcome="DENY")
    assert refused.object_id == str(document.public_id) and refused.details["rule"] == "R-AC-12"


def test_another_patients_history_is_untouched_by_the_probe(
    world: World, other: tuple[Any, Document]
) -> None:
    person, foreign = other
    before = Trace.objects.filter(patient_id=person.pk).count()
    with pytest.raises(NotFoundOrForbidden):
        selectors.document_get_for_actor(
            actor=pro_actor(world.gp), patient_id=world.patient.pk, document_public_id=foreign.public_id
        )
    assert Trace.objects.filter(patient_id=person.pk).count() == before


def test_a_malformed_id_given_to_the_services_is_not_written_either(world: World) -> None:
    garbage = "../../<script>alert(1)</script>"
    with pytest.raises(NotFoundOrForbidden):
        services.document_mask(actor=world.holder, patient_id=world.patient.pk, document_public_id=garbage)
    with pytest.raises(NotFoundOrForbidden):
        selectors.document_content_for_actor(
            actor=world.holder, patient_id=world.patient.pk, document_public_id=garbage
        )
    assert garbage not in _history_text(world)
    assert [t.object_id for t in traces(world.patient, outcome="DENY")] == ["", ""]
