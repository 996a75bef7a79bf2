"""Patient pages of the record (SPEC §2.5, §2.8, §2.10): list by category, preview, download, upload,
mask, "mask all", deletion of one's own uploads; role gating and the same 404 for others' documents."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from carnet.audit.models import Trace
from carnet.records.models import Document
from carnet.spaces.acting import SESSION_KEY
from carnet.spaces.models import HealthSpace
from carnet.vault.models import Blob
from tests.pages.conftest import Pages
from tests.records.helpers import EXE, PDF, PNG, add_parent, make_world

pytestmark = pytest.mark.django_db


def _upload(client: Client, **data: Any) -> Any:
    payload = {"title": "Mon bilan", "category": "BIOLOGIE", **data}
    payload.setdefault("file", SimpleUploadedFile("bilan.pdf", PDF, content_type="application/pdf"))
    return client.post("/espace/documents/ajouter/", payload)


# --- list, categories, badges -----------------------------------------------------------------


def test_documents_are_grouped_by_patient_facing_category_spec_2_5(pages: Pages) -> None:
    pages.deposit(pages.world.gp, title="CR de consultation")
    pages.patient_upload(title="Ma note")
    body = pages.patient_client().get("/espace/documents/").content.decode()
    assert "Comptes rendus" in body and "Autres documents" in body
    assert body.index("Comptes rendus") < body.index("CR de consultation")
    assert body.index("Autres documents") < body.index("Ma note")


def test_list_shows_title_date_author_and_the_masked_badge_r_mask_1(pages: Pages) -> None:
    pages.deposit(pages.world.gp, title="CR masqué", confidentiality=["MASQUE_PS"])
    body = pages.patient_client().get("/espace/documents/").content.decode()
    assert "CR masqué" in body
    assert "5 janvier 2026" in body
    assert pages.world.gp.display_name in body
    assert "Masqué aux professionnels" in body


def test_invisible_patient_document_does_not_appear_before_its_date_r_mask_6(
    pages: Pages, clock: Any
) -> None:
    document = pages.deposit(
        pages.world.gp, title="Résultat à annoncer", confidentiality=["INVISIBLE_PATIENT"]
    )
    client = pages.patient_client()
    assert "Résultat à annoncer" not in client.get("/espace/documents/").content.decode()
    assert client.get(f"/espace/documents/{document.public_id}/").status_code == 404
    assert client.get(f"/espace/documents/{document.public_id}/contenu/").status_code == 404
    clock.advance(days=32)  # a month later the patient logs in again (a session ends after 30 idle minutes)
    assert "Résultat à annoncer" in pages.patient_client().get("/espace/documents/").content.decode()


def test_listing_is_traced_r_tr_1(pages: Pages) -> None:
    pages.patient_client().get("/espace/documents/")
    assert Trace.objects.filter(patient_id=pages.world.patient.pk, action="DOCUMENT_LIST").exists()


# --- gating --------------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_the_login_page(pages: Pages) -> None:
    response = Client().get("/espace/documents/")
    assert response.status_code == 302 and "/connexion/" in response["Location"]


def test_professional_gets_404_on_the_patients_pages(pages: Pages) -> None:
    document = pages.deposit(pages.world.gp)
    client = pages.pro_client(pages.world.gp)
    assert client.get("/espace/documents/").status_code == 404
    assert client.get(f"/espace/documents/{document.public_id}/").status_code == 404


def test_another_patients_document_answers_404_like_a_missing_one(pages: Pages) -> None:
    other = make_world()
    theirs = Pages(world=other).deposit(other.gp)
    client = pages.patient_client()
    for suffix in ("", "contenu/", "telecharger/"):
        assert client.get(f"/espace/documents/{theirs.public_id}/{suffix}").status_code == 404
        assert (
            client.get(f"/espace/documents/00000000-0000-0000-0000-000000000000/{suffix}").status_code == 404
        )
    assert client.post(f"/espace/documents/{theirs.public_id}/masquer/").status_code == 404
    assert Document.objects.get(pk=theirs.pk).confidentiality == ["N"]


# --- preview and download ------------------------------------------------------------------------


def test_detail_embeds_the_pdf_from_our_own_url_and_links_its_history(pages: Pages) -> None:
    document = pages.deposit(pages.world.gp)
    body = pages.patient_client().get(f"/espace/documents/{document.public_id}/").content.decode()
    assert f'data="/espace/documents/{document.public_id}/contenu/"' in body
    assert 'type="application/pdf"' in body
    assert f"/espace/historique/document/{document.public_id}/" in body


def test_image_is_previewed_with_an_img_tag(pages: Pages) -> None:
    document = pages.patient_upload(title="Radio", content=PNG)
    body = pages.patient_client().get(f"/espace/documents/{document.public_id}/").content.decode()
    assert f'<img class="carnet-preview-image" src="/espace/documents/{document.public_id}/contenu/"' in body


def test_content_is_served_inline_with_nosniff_no_store_and_a_strict_csp(pages: Pages) -> None:
    document = pages.deposit(pages.world.gp)
    response = pages.patient_client().get(f"/espace/documents/{document.public_id}/contenu/")
    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert "script-src" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_download_is_an_attachment_and_traced(pages: Pages) -> None:
    document = pages.deposit(pages.world.gp)
    response = pages.patient_client().get(f"/espace/documents/{document.public_id}/telecharger/")
    assert response["Content-Disposition"].startswith("attachment")
    assert Trace.objects.filter(
        patient_id=pages.world.patient.pk, action="DOWNLOAD", object_id=str(document.public_id)
    ).exists()


def test_erased_content_answers_410_with_a_message_invariant_4(pages: Pages) -> None:
    from carnet.vault.blobstore import patient_key_destroy

    document = pages.deposit(pages.world.gp)
    patient_key_destroy(patient_id=pages.world.patient.pk)
    response = pages.patient_client().get(f"/espace/documents/{document.public_id}/contenu/")
    assert response.status_code == 410
    assert "effacé définitivement" in response.content.decode()


# --- upload --------------------------------------------------------------------------------------


def test_upload_adds_the_document_in_its_category_r_fmt_4(pages: Pages) -> None:
    response = _upload(pages.patient_client())
    document = Document.objects.get(patient_id=pages.world.patient.pk)
    assert response.status_code == 302 and str(document.public_id) in response["Location"]
    assert document.patient_category == "BIOLOGIE" and document.title == "Mon bilan"


def test_upload_can_be_masked_from_the_start_r_mask_1(pages: Pages) -> None:
    _upload(pages.patient_client(), masked="on")
    assert "MASQUE_PS" in Document.objects.get(patient_id=pages.world.patient.pk).confidentiality


def test_refused_upload_shows_the_error_next_to_the_file_and_writes_nothing_invariant_9(pages: Pages) -> None:
    traces_before = Trace.objects.count()
    response = _upload(
        pages.patient_client(), file=SimpleUploadedFile("bilan.pdf", EXE, content_type="application/pdf")
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_file-error"' in body and "fr-input-group--error" in body
    assert not Document.objects.exists() and not Blob.objects.exists()
    assert not Trace.objects.filter(action="DEPOSIT").exists()
    assert Trace.objects.count() - traces_before <= 1  # at most the refusal's DENY trace


def test_upload_over_the_size_limit_is_refused_before_reading_r_fmt_3(pages: Pages, settings: Any) -> None:
    settings.CARNET_PATIENT_UPLOAD_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("scan.pdf", PDF + b"0" * (1024 * 1024), content_type="application/pdf")
    body = _upload(pages.patient_client(), file=big).content.decode()
    assert "moins de 1 Mo" in body
    assert not Document.objects.exists()


def test_upload_without_a_title_is_refused_next_to_the_title(pages: Pages) -> None:
    body = _upload(pages.patient_client(), title="  ").content.decode()
    assert 'id="id_title-error"' in body
    assert not Document.objects.exists()


def test_upload_without_a_file_is_refused_next_to_the_file(pages: Pages) -> None:
    client = pages.patient_client()
    body = client.post("/espace/documents/ajouter/", {"title": "x", "category": "BIOLOGIE"}).content.decode()
    assert 'id="id_file-error"' in body
    assert not Document.objects.exists()


# --- mask, mask all ------------------------------------------------------------------------------


def test_patient_masks_then_unmasks_a_professionals_document_r_mask_1(pages: Pages) -> None:
    document = pages.deposit(pages.world.gp)
    client = pages.patient_client()
    client.post(f"/espace/documents/{document.public_id}/masquer/")
    assert "MASQUE_PS" in Document.objects.get(pk=document.pk).confidentiality
    client.post(f"/espace/documents/{document.public_id}/demasquer/")
    assert "MASQUE_PS" not in Document.objects.get(pk=document.pk).confidentiality


def test_masking_needs_a_post(pages: Pages) -> None:
    document = pages.deposit(pages.world.gp)
    assert pages.patient_client().get(f"/espace/documents/{document.public_id}/masquer/").status_code == 405


def test_mask_all_by_default_masks_existing_and_new_documents_r_mask_3(pages: Pages) -> None:
    existing = pages.deposit(pages.world.gp)
    pages.patient_client().post("/espace/documents/masquer-par-defaut/", {"enabled": "on"})
    assert HealthSpace.objects.get(person=pages.world.patient).mask_all_by_default
    assert "MASQUE_PS" in Document.objects.get(pk=existing.pk).confidentiality
    assert "MASQUE_PS" in pages.deposit(pages.world.gp).confidentiality


def test_mask_all_can_be_switched_off_r_mask_3(pages: Pages) -> None:
    client = pages.patient_client()
    client.post("/espace/documents/masquer-par-defaut/", {"enabled": "on"})
    client.post("/espace/documents/masquer-par-defaut/", {})
    assert not HealthSpace.objects.get(person=pages.world.patient).mask_all_by_default


# --- deletion ------------------------------------------------------------------------------------


def test_patient_deletes_his_own_uploads_r_doc_10(pages: Pages) -> None:
    first, second = pages.patient_upload(title="a"), pages.patient_upload(title="b")
    response = pages.patient_client().post(
        "/espace/documents/supprimer/", {"documents": [str(first.public_id), str(second.public_id)]}
    )
    assert response.status_code == 302
    assert Document.objects.filter(deleted_at__isnull=False).count() == 2


def test_only_own_uploads_get_a_selection_box_r_doc_10(pages: Pages) -> None:
    pro_doc = pages.deposit(pages.world.gp)
    own = pages.patient_upload()
    body = pages.patient_client().get("/espace/documents/").content.decode()
    assert f'value="{own.public_id}"' in body
    assert f'value="{pro_doc.public_id}"' not in body


def test_deleting_a_professionals_document_is_refused_and_deletes_nothing_r_doc_10(pages: Pages) -> None:
    own = pages.patient_upload()
    pro_doc = pages.deposit(pages.world.gp)
    response = pages.patient_client().post(
        "/espace/documents/supprimer/", {"documents": [str(own.public_id), str(pro_doc.public_id)]}
    )
    assert response.status_code == 400
    assert "ajouté par un professionnel" in response.content.decode()
    assert not Document.objects.filter(deleted_at__isnull=False).exists()


def test_more_than_ten_documents_at_once_are_refused_r_fmt_3(pages: Pages) -> None:
    uploads = [pages.patient_upload(title=f"n{i}") for i in range(11)]
    response = pages.patient_client().post(
        "/espace/documents/supprimer/", {"documents": [str(d.public_id) for d in uploads]}
    )
    assert response.status_code == 400
    assert "au plus 10 documents" in response.content.decode()
    assert not Document.objects.filter(deleted_at__isnull=False).exists()


def test_empty_selection_is_refused_next_to_the_button(pages: Pages) -> None:
    pages.patient_upload()
    response = pages.patient_client().post("/espace/documents/supprimer/", {})
    assert response.status_code == 400 and 'id="delete-error"' in response.content.decode()


# --- acting for someone --------------------------------------------------------------------------


def test_legal_representative_sees_the_childs_documents_r_min_1(db: Any, clock: Any) -> None:
    world = make_world(birth_date=date(2015, 3, 1))
    parent = add_parent(world)
    Pages(world=world).deposit(world.gp, title="Carnet pédiatrique")
    client = Client()
    client.force_login(parent.account)
    session = client.session
    session[SESSION_KEY] = str(world.patient.public_id)
    session.save()
    body = client.get("/espace/documents/").content.decode()
    assert "Carnet pédiatrique" in body and "Vous agissez pour" in body
