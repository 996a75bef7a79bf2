"""Professional pages (SPEC §2.6–2.9, §3.2, §3.5): find a patient by INS, record consent, the record as
the policy allows, deposit / replace / update / delete one's own documents, break-the-glass with its
required reason and its banner (R-EM-6)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from carnet.access import services as access_services
from carnet.access.models import BreakGlassSession, CareRelation, RelationKind
from carnet.notifications.models import OutboxMessage
from carnet.records.models import Document
from carnet.vault.models import Blob
from tests.factories import make_nir
from tests.pages.conftest import Pages
from tests.records.helpers import EXE, PDF, cda, make_world

pytestmark = pytest.mark.django_db


def _record(pages: Pages) -> str:
    return f"/pro/patients/{pages.world.patient.public_id}/"


def _consent(pages: Pages, client: Client, kind: str = "EXPLICIT", **data: Any) -> Any:
    return client.post(_record(pages) + "consentement/", {"kind": kind, **data})


# --- find a patient ------------------------------------------------------------------------------


def test_professional_finds_a_patient_by_ins_and_the_nir_stays_out_of_the_url(pages: Pages) -> None:
    patient = pages.world.patient
    response = pages.pro_client(pages.world.gp).post(
        "/pro/patients/", {"nir": patient.ins_matricule, "birth_date": "17/05/1980"}
    )
    assert response.status_code == 302
    assert response["Location"] == _record(pages)
    assert patient.ins_matricule not in response["Location"]


def test_wrong_birth_date_and_unknown_nir_get_the_same_answer(pages: Pages) -> None:
    client = pages.pro_client(pages.world.gp)
    wrong_date = client.post(
        "/pro/patients/", {"nir": pages.world.patient.ins_matricule, "birth_date": "18/05/1980"}
    )
    unknown = client.post(
        "/pro/patients/", {"nir": make_nir("M", date(1970, 1, 1), 998), "birth_date": "01/01/1970"}
    )
    message = "Aucun dossier accessible ne correspond"
    assert wrong_date.status_code == unknown.status_code == 200
    assert message in wrong_date.content.decode() and message in unknown.content.decode()


def test_opposed_patient_is_not_found_either_r_lc_1(pages: Pages) -> None:
    pages.world.space.status = "OPPOSED"
    pages.world.space.save()
    client = pages.pro_client(pages.world.gp)
    response = client.post(
        "/pro/patients/", {"nir": pages.world.patient.ins_matricule, "birth_date": "17/05/1980"}
    )
    assert "Aucun dossier accessible ne correspond" in response.content.decode()
    assert client.get(_record(pages)).status_code == 404


def test_patient_account_gets_404_on_professional_pages(pages: Pages) -> None:
    client = pages.patient_client()
    assert client.get("/pro/patients/").status_code == 404
    assert client.get(_record(pages)).status_code == 404


def test_unknown_patient_id_answers_404(pages: Pages) -> None:
    client = pages.pro_client(pages.world.gp)
    assert client.get("/pro/patients/00000000-0000-0000-0000-000000000000/").status_code == 404


# --- consent and the record ----------------------------------------------------------------------


def test_without_consent_the_professional_sees_only_his_own_documents_r_ac_12(pages: Pages) -> None:
    pages.deposit(pages.world.gp, title="CR du généraliste")
    mine = pages.deposit(pages.world.dentist, title="CR dentaire")
    body = pages.pro_client(pages.world.dentist).get(_record(pages)).content.decode()
    assert "CR dentaire" in body and str(mine.public_id) in body
    assert "CR du généraliste" not in body
    assert "Aucun consentement enregistré" in body


def test_recording_explicit_consent_opens_the_record_r_ac_12(pages: Pages) -> None:
    pages.deposit(pages.world.gp, title="CR du généraliste")
    client = pages.pro_client(pages.world.dentist)
    response = _consent(pages, client)
    assert response.status_code == 302
    assert CareRelation.objects.filter(professional=pages.world.dentist, kind=RelationKind.EXPLICIT).exists()
    assert "CR du généraliste" in client.get(_record(pages)).content.decode()


def test_first_access_queues_the_content_free_email_r_ac_14(pages: Pages) -> None:
    pages.deposit(pages.world.gp)
    client = pages.pro_client(pages.world.dentist)
    _consent(pages, client)
    client.get(_record(pages))
    assert (
        OutboxMessage.objects.filter(
            patient_id=pages.world.patient.pk, template="record_first_access"
        ).count()
        == 1
    )


def test_wrong_temporary_code_is_refused_next_to_the_code_field_r_ac_16(pages: Pages) -> None:
    response = _consent(
        pages, pages.pro_client(pages.world.dentist), kind="TEMPORARY", access_code="ABCDEFGH"
    )
    body = response.content.decode()
    assert 'id="id_access_code-error"' in body and "invalide ou expiré" in body
    assert not CareRelation.objects.exists()


def test_temporary_code_without_a_code_is_refused_next_to_the_field(pages: Pages) -> None:
    body = _consent(pages, pages.pro_client(pages.world.dentist), kind="TEMPORARY").content.decode()
    assert 'id="id_access_code-error"' in body
    assert not CareRelation.objects.exists()


def test_patients_temporary_code_gives_a_temporary_access_r_ac_16(pages: Pages) -> None:
    code, _row = access_services.temporary_access_code_create(
        actor=pages.world.holder, patient_id=pages.world.patient.pk
    )
    _consent(pages, pages.pro_client(pages.world.dentist), kind="TEMPORARY", access_code=code)
    relation = CareRelation.objects.get(professional=pages.world.dentist)
    assert relation.kind == RelationKind.TEMPORARY and relation.expires_at is not None


def test_dentist_with_consent_does_not_see_a_masked_document_r_mask_1(pages: Pages) -> None:
    masked = pages.deposit(pages.world.gp, title="CR masqué", confidentiality=["MASQUE_PS"])
    client = pages.pro_client(pages.world.dentist)
    _consent(pages, client)
    assert "CR masqué" not in client.get(_record(pages)).content.decode()
    for suffix in ("", "contenu/", "telecharger/"):
        assert client.get(f"{_record(pages)}documents/{masked.public_id}/{suffix}").status_code == 404


def test_dentist_never_sees_advance_directives_r_mat_3(pages: Pages) -> None:
    pages.patient_upload(title="Mes directives")  # AUTR_DOC: visible
    client = pages.pro_client(pages.world.dentist)
    _consent(pages, client)
    from carnet.records import services

    directives = services.document_deposit(
        actor=pages.world.holder,
        patient_id=pages.world.patient.pk,
        content=PDF,
        filename="d",
        title="Directives",
        category="AUTR_DOC",
    )
    Document.objects.filter(pk=directives.pk).update(type_code="EXPPAT_3", patient_category="DIR_ANT")
    assert client.get(f"{_record(pages)}documents/{directives.public_id}/").status_code == 404


def test_document_page_previews_from_the_professional_url(pages: Pages) -> None:
    mine = pages.deposit(pages.world.gp)
    response = pages.pro_client(pages.world.gp).get(f"{_record(pages)}documents/{mine.public_id}/")
    assert f'data="{_record(pages)}documents/{mine.public_id}/contenu/"' in response.content.decode()
    content = pages.pro_client(pages.world.gp).get(f"{_record(pages)}documents/{mine.public_id}/contenu/")
    assert content.content == PDF and content["X-Content-Type-Options"] == "nosniff"


# --- deposit, replace, update, delete ------------------------------------------------------------


def _deposit(pages: Pages, client: Client, **data: Any) -> Any:
    payload = {"type_code": "11488-4", "title": "CR", **data}
    payload.setdefault("file", SimpleUploadedFile("cr.pdf", PDF, content_type="application/pdf"))
    return client.post(_record(pages) + "deposer/", payload)


def test_professional_deposits_a_pdf_without_consent_r_dep_5(pages: Pages) -> None:
    response = _deposit(pages, pages.pro_client(pages.world.dentist), service_start="04/01/2026")
    document = Document.objects.get()
    assert response.status_code == 302
    assert document.author_professional == pages.world.dentist and str(document.service_start) == "2026-01-04"


def test_deposit_sets_the_chosen_confidentiality_r_mask_6(pages: Pages) -> None:
    _deposit(pages, pages.pro_client(pages.world.gp), confidentiality=["INVISIBLE_PATIENT"])
    document = Document.objects.get()
    assert document.confidentiality == ["INVISIBLE_PATIENT"] and document.invisible_until is not None


def test_deposit_of_a_cda_document_reads_its_header_r_fmt_1(pages: Pages) -> None:
    content = cda(pages.world.patient)
    _deposit(
        pages,
        pages.pro_client(pages.world.gp),
        type_code="",
        title="",
        file=SimpleUploadedFile("cr.xml", content, content_type="text/xml"),
    )
    assert Document.objects.get().type_code == "11488-4"


def test_refused_deposit_shows_the_error_next_to_the_file_and_writes_nothing_invariant_9(
    pages: Pages,
) -> None:
    response = _deposit(
        pages,
        pages.pro_client(pages.world.gp),
        file=SimpleUploadedFile("cr.pdf", EXE, content_type="application/pdf"),
    )
    assert 'id="id_file-error"' in response.content.decode()
    assert not Document.objects.exists() and not Blob.objects.exists()


def test_type_refused_by_the_dmp_is_not_even_offered_r_doc_1(pages: Pages) -> None:
    response = _deposit(pages, pages.pro_client(pages.world.gp), type_code="DOCPAT01")
    assert 'id="id_type_code-error"' in response.content.decode()
    assert not Document.objects.exists()


def test_author_replaces_his_document_r_ver_1(pages: Pages) -> None:
    old = pages.deposit(pages.world.gp)
    client = pages.pro_client(pages.world.gp)
    response = client.post(
        f"{_record(pages)}documents/{old.public_id}/remplacer/",
        {"file": SimpleUploadedFile("v2.pdf", PDF, content_type="application/pdf"), "title": "CR v2"},
    )
    new = Document.objects.get(replaces=old)
    assert response.status_code == 302 and new.title == "CR v2"
    assert Document.objects.get(pk=old.pk).status == "Deprecated"


def test_author_lifts_invisible_patient_after_the_announcement_r_mask_6(pages: Pages) -> None:
    document = pages.deposit(pages.world.gp, confidentiality=["INVISIBLE_PATIENT"])
    pages.pro_client(pages.world.gp).post(
        f"{_record(pages)}documents/{document.public_id}/modifier/", {"title": "CR", "confidentiality": []}
    )
    document.refresh_from_db()
    assert document.confidentiality == ["N"] and document.invisible_until is None


def test_author_deletes_his_document_r_ver_2(pages: Pages) -> None:
    document = pages.deposit(pages.world.gp)
    response = pages.pro_client(pages.world.gp).post(
        f"{_record(pages)}documents/{document.public_id}/supprimer/"
    )
    assert response.status_code == 302
    assert Document.objects.get(pk=document.pk).deleted_at is not None


def test_another_professional_cannot_delete_or_update_the_document_r_ver_2(pages: Pages) -> None:
    document = pages.deposit(pages.world.gp)
    client = pages.pro_client(pages.world.dentist)
    _consent(pages, client)
    assert client.post(f"{_record(pages)}documents/{document.public_id}/supprimer/").status_code == 404
    response = client.post(f"{_record(pages)}documents/{document.public_id}/modifier/", {"title": "x"})
    assert response.status_code == 404
    document.refresh_from_db()
    assert document.deleted_at is None and document.title == "Compte rendu de consultation"


def test_a_document_of_another_patient_answers_404(pages: Pages) -> None:
    other = make_world()
    theirs = Pages(world=other).deposit(pages.world.gp)
    client = pages.pro_client(pages.world.gp)
    assert client.get(f"{_record(pages)}documents/{theirs.public_id}/").status_code == 404


# --- break the glass -----------------------------------------------------------------------------


def test_break_the_glass_page_explains_and_requires_a_reason_r_em_6(pages: Pages) -> None:
    client = pages.pro_client(pages.world.dentist)
    page = client.get(_record(pages) + "urgence/").content.decode()
    assert "hors d'état d'exprimer sa volonté" in page
    response = client.post(_record(pages) + "urgence/", {"reason": "   "})
    assert 'id="id_reason-error"' in response.content.decode()
    assert not BreakGlassSession.objects.exists()


def test_break_the_glass_shows_the_red_banner_on_every_page_of_the_patient_r_em_6(pages: Pages) -> None:
    masked_ok = pages.deposit(pages.world.gp, title="CR du généraliste")
    client = pages.pro_client(pages.world.dentist)
    response = client.post(_record(pages) + "urgence/", {"reason": "Patient inconscient aux urgences"})
    assert response.status_code == 302
    for url in (
        _record(pages),
        f"{_record(pages)}documents/{masked_ok.public_id}/",
        _record(pages) + "deposer/",
    ):
        body = client.get(url).content.decode()
        assert (
            "Accès en urgence (bris de glace) — motif : Patient inconscient aux urgences — expire à" in body
        )
    assert "CR du généraliste" in client.get(_record(pages)).content.decode()


def test_break_the_glass_notifies_the_patient_afterwards_r_em_3(pages: Pages) -> None:
    client = pages.pro_client(pages.world.dentist)
    client.post(_record(pages) + "urgence/", {"reason": "Malaise"})
    message = OutboxMessage.objects.get(patient_id=pages.world.patient.pk, template="record_emergency_access")
    assert "Malaise" not in str(message.params)


def test_ending_the_emergency_access_removes_the_banner(pages: Pages) -> None:
    client = pages.pro_client(pages.world.dentist)
    client.post(_record(pages) + "urgence/", {"reason": "Malaise"})
    client.post(_record(pages) + "urgence/terminer/")
    assert "motif : Malaise" not in client.get(_record(pages)).content.decode()
    assert BreakGlassSession.objects.get().ended_at is not None


def test_break_the_glass_is_refused_when_the_patient_objected_r_em_1(pages: Pages) -> None:
    access_services.emergency_settings_update(
        actor=pages.world.holder, patient_id=pages.world.patient.pk, btg="deny"
    )
    response = pages.pro_client(pages.world.dentist).post(_record(pages) + "urgence/", {"reason": "Malaise"})
    assert "Accès en urgence impossible" in response.content.decode()
    assert not BreakGlassSession.objects.exists()


def test_the_banner_disappears_when_the_session_expires_r_em_6(pages: Pages, clock: Any) -> None:
    client = pages.pro_client(pages.world.dentist)
    client.post(_record(pages) + "urgence/", {"reason": "Malaise"})
    clock.advance(hours=25)
    assert "motif : Malaise" not in client.get(_record(pages)).content.decode()
