"""JSON API document endpoints: thin calls to records selectors/services, policy-scoped (invariant 1),
traced (invariant 2), errors ``{field, code, message}`` and one 404 for missing and forbidden."""

from __future__ import annotations

import base64
from typing import Any

from django.test import Client

from carnet.access import services as access
from carnet.access.models import RelationKind
from carnet.audit.models import Trace
from carnet.records.models import Document, DocumentStatus
from tests.api.conftest import bearer, patient_client, professional_client
from tests.records.helpers import PDF, PNG, World, deposit_pdf, pro_actor, traces

JSON = "application/json"


def _b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def _deposit(world: World, token: str, **extra: Any) -> Any:
    body = {
        "patient": {"ins": world.patient.ins_matricule, "ins_oid": world.patient.ins_oid},
        "content_base64": _b64(PDF),
        "media_type": "application/pdf",
        "type_code": "11502-2",
        "title": "Résultats de biologie",
        **extra,
    }
    return Client().post("/api/documents", body, content_type=JSON, headers=bearer(token))


def _doc_url(world: World, doc_id: Any, suffix: str = "") -> str:
    return f"/api/patients/{world.patient.public_id}/documents/{doc_id}{suffix}"


def _consent(world: World, *pros: Any) -> None:
    for pro in pros:
        access.care_relation_record(
            actor=pro_actor(pro), patient_id=world.patient.pk, kind=RelationKind.EXPLICIT
        )


# --- establishments (OAuth2) ----------------------------------------------------------------------


def test_establishment_deposits_a_pdf_by_ins_in_the_body(world: World, lab_token: str) -> None:
    """R-DEP-5 / R-DEP-6: an establishment feeds the record (identified by INS in the body, never the URL)."""
    response = _deposit(world, lab_token)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["type_code"], body["class_code"], body["status"]) == ("11502-2", "10", "Approved")
    assert body["author"]["kind"] == "ORGANISATION" and body["patient_id"] == str(world.patient.public_id)
    assert traces(world.patient, action="DEPOSIT")[-1].actor_kind == "ORGANISATION"


def test_deposit_with_an_unknown_type_answers_422_naming_the_field(world: World, lab_token: str) -> None:
    """R-DOC-1: error JSON names the field; nothing written (invariant 9)."""
    response = _deposit(world, lab_token, type_code="FEUILLE-DE-STYLE")
    assert response.status_code == 422
    assert response.json()["field"] == "type_code" and response.json()["code"] == "type_refused"
    assert not Document.objects.filter(patient_id=world.patient.pk).exists()


def test_invalid_base64_is_refused_naming_the_field(world: World, lab_token: str) -> None:
    response = _deposit(world, lab_token, content_base64="pas du base64 !")
    assert response.status_code == 422 and response.json()["field"] == "content_base64"


def test_errors_are_in_english_with_accept_language_en(world: World, lab_token: str) -> None:
    """UI text is French by default; ``Accept-Language: en`` answers in English."""
    body = {
        "patient": {"id": str(world.patient.public_id)},
        "content_base64": _b64(PDF),
        "type_code": "11502-2",
        "title": " ",
    }
    http = Client()
    french = http.post("/api/documents", body, content_type=JSON, headers=bearer(lab_token))
    english = http.post(
        "/api/documents", body, content_type=JSON, headers={**bearer(lab_token), "Accept-Language": "en"}
    )
    assert french.json()["message"] == "Champ invalide : title : ne doit pas être vide"
    assert english.json()["message"] == "Invalid field: title: must not be blank"


def test_establishment_lists_and_reads_its_own_documents(world: World, lab_token: str) -> None:
    """R-MASK-1: the author keeps access; list traced DOCUMENT_LIST, read traced CONSULT."""
    doc_id = _deposit(world, lab_token).json()["id"]
    http = Client()
    listed = http.post(
        "/api/documents/_search",
        {"patient": {"ins": world.patient.ins_matricule}},
        content_type=JSON,
        headers=bearer(lab_token),
    )
    assert [d["id"] for d in listed.json()["documents"]] == [doc_id]
    one = http.get(_doc_url(world, doc_id), headers=bearer(lab_token))
    assert one.status_code == 200 and one.json()["title"] == "Résultats de biologie"
    assert traces(world.patient, action="CONSULT", outcome="ALLOW")


def test_content_download_returns_the_bytes_and_is_traced(world: World, lab_token: str) -> None:
    """Invariant 4 (decrypted, hash checked) and invariant 2 (DOWNLOAD traced)."""
    doc_id = _deposit(world, lab_token).json()["id"]
    response = Client().get(_doc_url(world, doc_id, "/content"), headers=bearer(lab_token))
    assert response.status_code == 200 and response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert traces(world.patient, action="DOWNLOAD", outcome="ALLOW")


def test_establishment_replaces_its_document(world: World, lab_token: str) -> None:
    """R-VER-1: new version Approved replacing the old one, now Deprecated."""
    old_id = _deposit(world, lab_token).json()["id"]
    response = Client().post(
        _doc_url(world, old_id, "/replace"),
        {"content_base64": _b64(PDF + b"%v2"), "media_type": "application/pdf"},
        content_type=JSON,
        headers=bearer(lab_token),
    )
    assert response.status_code == 201 and response.json()["replaces"] == old_id
    assert Document.objects.get(public_id=old_id).status == DocumentStatus.DEPRECATED


def test_establishment_updates_the_metadata_of_its_document(world: World, lab_token: str) -> None:
    """R-VER-1: the author updates the title and confidentiality."""
    doc_id = _deposit(world, lab_token).json()["id"]
    response = Client().patch(
        _doc_url(world, doc_id),
        {"title": "Bilan sanguin", "confidentiality": ["MASQUE_PS"]},
        content_type=JSON,
        headers=bearer(lab_token),
    )
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["confidentiality"]) == ("Bilan sanguin", ["MASQUE_PS"])


def test_establishment_deletes_its_document_then_it_is_gone(world: World, lab_token: str) -> None:
    """R-VER-2 / R-DOC-11: tombstone; the next read answers 404."""
    doc_id = _deposit(world, lab_token).json()["id"]
    http = Client()
    assert http.delete(_doc_url(world, doc_id), headers=bearer(lab_token)).status_code == 204
    assert http.get(_doc_url(world, doc_id), headers=bearer(lab_token)).status_code == 404


def test_establishment_cannot_delete_a_gp_document(world: World, lab_token: str) -> None:
    """R-VER-2: only the author changes a document; answered as not found."""
    doc = deposit_pdf(world, world.gp)
    response = Client().delete(_doc_url(world, doc.public_id), headers=bearer(lab_token))
    assert response.status_code == 404
    assert Document.objects.get(pk=doc.pk).deleted_at is None


def test_unknown_and_forbidden_documents_answer_the_same_404(world: World, lab_token: str) -> None:
    """STYLE "fail closed": a GP document the establishment may not read and a document that does not
    exist answer the same (nobody can probe what exists)."""
    doc = deposit_pdf(world, world.gp)
    http = Client()
    forbidden = http.get(_doc_url(world, doc.public_id), headers=bearer(lab_token))
    missing = http.get(_doc_url(world, "00000000-0000-0000-0000-000000000000"), headers=bearer(lab_token))
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()


def test_another_patients_record_and_an_unknown_patient_answer_the_same_404(world: World) -> None:
    """L1111-19: only the holder's side reads the record; a stranger cannot tell it exists."""
    from carnet.accounts.models import User
    from tests.records.helpers import give_account, give_space, new_person

    other = new_person()
    give_space(other)
    give_account(other)
    deposit_pdf(world, world.gp)
    http = Client()
    http.force_login(User.objects.get(person=other))
    forbidden = http.get(f"/api/patients/{world.patient.public_id}/documents")
    missing = http.get("/api/patients/00000000-0000-0000-0000-000000000000/documents")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()


def test_anonymous_caller_is_refused_with_401(world: World) -> None:
    response = Client().get(f"/api/patients/{world.patient.public_id}/documents")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


# --- patients and professionals (session) --------------------------------------------------------


def test_patient_lists_his_documents_through_his_session(world: World) -> None:
    """L1111-19: the holder sees his record."""
    doc = deposit_pdf(world, world.gp)
    response = patient_client(world).get(f"/api/patients/{world.patient.public_id}/documents")
    assert response.status_code == 200 and response.json()["documents"][0]["id"] == str(doc.public_id)


def test_patient_uploads_an_image_as_multipart(world: World) -> None:
    """R-FMT-2/4: type sniffed from the content, wrapped as class 90."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = patient_client(world).post(
        "/api/documents/upload",
        {
            "patient_id": str(world.patient.public_id),
            "file": SimpleUploadedFile("radio.png", PNG, content_type="image/png"),
            "category": "RADIO_SC",
        },
    )
    assert response.status_code == 201, response.content
    assert (response.json()["class_code"], response.json()["media_type"]) == ("90", "image/png")


def test_masked_document_is_invisible_to_a_consented_dentist_through_the_api(world: World) -> None:
    """R-MASK-1 / Appendix B 4: the patient masks, the dentist no longer lists nor reads it."""
    _consent(world, world.dentist)
    doc = deposit_pdf(world, world.gp)
    dentist = professional_client(world.dentist)
    list_url = f"/api/patients/{world.patient.public_id}/documents"
    assert [d["id"] for d in dentist.get(list_url).json()["documents"]] == [str(doc.public_id)]
    masked = patient_client(world).post(_doc_url(world, doc.public_id, "/mask"))
    assert masked.status_code == 200 and "MASQUE_PS" in masked.json()["confidentiality"]
    assert dentist.get(list_url).json()["documents"] == []
    assert dentist.get(_doc_url(world, doc.public_id)).status_code == 404


def test_patient_unmasks_a_document(world: World) -> None:
    """R-MASK-1."""
    doc = deposit_pdf(world, world.gp, confidentiality=["MASQUE_PS"])
    response = patient_client(world).post(_doc_url(world, doc.public_id, "/unmask"))
    assert response.status_code == 200 and response.json()["confidentiality"] == ["N"]


def test_patient_cannot_delete_a_gp_document(world: World) -> None:
    """R-DOC-10: refused (403 ``not_deletable``), he can only mask it."""
    doc = deposit_pdf(world, world.gp)
    response = patient_client(world).post(
        f"/api/patients/{world.patient.public_id}/documents-deletion",
        {"document_ids": [str(doc.public_id)]},
        content_type=JSON,
    )
    assert response.status_code == 403 and response.json()["code"] == "not_deletable"
    assert Document.objects.get(pk=doc.pk).deleted_at is None


def test_patient_deletes_his_own_uploads(world: World) -> None:
    """R-DOC-10: his own uploads, all or nothing."""
    http = patient_client(world)
    ids = [
        http.post(
            "/api/documents",
            {
                "patient": {"id": str(world.patient.public_id)},
                "content_base64": _b64(PNG),
                "title": f"photo {i}",
            },
            content_type=JSON,
        ).json()["id"]
        for i in range(2)
    ]
    response = http.post(
        f"/api/patients/{world.patient.public_id}/documents-deletion",
        {"document_ids": ids},
        content_type=JSON,
    )
    assert response.status_code == 200 and sorted(response.json()["deleted"]) == sorted(ids)


def test_patient_cannot_delete_more_than_ten_at_once(world: World) -> None:
    """R-FMT-3 / R-DOC-10: at most 10 per bulk deletion."""
    ids = [f"00000000-0000-0000-0000-0000000000{i:02d}" for i in range(11)]
    response = patient_client(world).post(
        f"/api/patients/{world.patient.public_id}/documents-deletion",
        {"document_ids": ids},
        content_type=JSON,
    )
    assert response.status_code == 422 and response.json()["field"] == "document_ids"


def test_session_writes_need_the_csrf_token(world: World) -> None:
    """Session auth checks CSRF on unsafe methods."""
    from carnet.accounts.models import User

    doc = deposit_pdf(world, world.gp)
    http = Client(enforce_csrf_checks=True)
    http.force_login(User.objects.get(person=world.patient))
    response = http.post(_doc_url(world, doc.public_id, "/mask"))
    assert response.status_code == 403
    assert "MASQUE_PS" not in Document.objects.get(pk=doc.pk).confidentiality


def test_operator_sessions_are_not_api_callers(world: World) -> None:
    """R-AC-4: operator staff have no access to medical content."""
    from carnet.accounts.models import Role, User

    http = Client()
    http.force_login(
        User.objects.create_user(username="op", password="x-Motdepasse-1234", role=Role.OPERATOR)
    )
    assert http.get(f"/api/patients/{world.patient.public_id}/documents").status_code == 401
    assert not Trace.objects.filter(patient_id=world.patient.pk, action="DOCUMENT_LIST").exists()
