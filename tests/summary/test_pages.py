"""The summary page ``/espace/profil/synthese/`` (R-LC-25, R-PML-1): choose sections, download, save, IPS."""

from __future__ import annotations

import io
import json

import pytest
from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader

from carnet.records.models import Document
from tests.api.conftest import professional_client
from tests.summary.conftest import Filled

pytestmark = pytest.mark.django_db
URL = "/espace/profil/synthese/"


def test_page_offers_every_section_as_a_labelled_checkbox(filled: Filled) -> None:
    """R-LC-25: each section is a checkbox with its <label>, plus the two actions and the IPS link."""
    response = filled.client().get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for value in ("TREATMENTS", "VACCINATIONS", "MEASUREMENTS", "ADVANCE_DIRECTIVES"):
        assert f'id="section-{value}"' in html and f'for="section-{value}"' in html
    assert "Télécharger" in html and "Enregistrer dans mes documents" in html
    assert "/espace/profil/synthese/ips.json" in html


def test_download_returns_the_pdf_of_the_ticked_sections(filled: Filled) -> None:
    """R-LC-25: the PDF is an attachment; unticked sections are absent."""
    response = filled.client().post(URL, {"sections": ["ALLERGIES"], "action": "telecharger"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Pollen de bouleau" in text and "Metformine" not in text


def test_save_puts_a_docpat08_in_the_documents_and_confirms(filled: Filled) -> None:
    """R-PML-1: "Enregistrer dans mes documents" deposits the DOCPAT08 and says so."""
    response = filled.client().post(URL, {"sections": ["TREATMENTS"], "action": "enregistrer"}, follow=True)
    assert response.status_code == 200
    assert "La synthèse est enregistrée dans vos documents" in response.content.decode()
    assert Document.objects.filter(patient_id=filled.patient.pk, type_code="DOCPAT08").count() == 1


def test_no_section_ticked_shows_the_error_next_to_the_choices(filled: Filled) -> None:
    """Errors next to the field (DSFR ``fr-fieldset--error``); nothing is saved (invariant 9)."""
    response = filled.client().post(URL, {"action": "enregistrer"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "fr-fieldset--error" in html and "choisissez au moins une rubrique" in html
    assert not Document.objects.filter(patient_id=filled.patient.pk, type_code="DOCPAT08").exists()


def test_ips_download_is_a_fhir_json_document_bundle(filled: Filled) -> None:
    """IPS: downloadable from the summary page as ``application/fhir+json``."""
    response = filled.client().get(URL + "ips.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    assert Bundle.model_validate(json.loads(response.content)).type == "document"


def test_a_professional_session_does_not_reach_the_page(filled: Filled) -> None:
    """The holder's side only: a professional's session is turned away (R-PML-1)."""
    response = professional_client(filled.gp).get(URL)
    assert response.status_code in {302, 403, 404}
    assert b"%PDF" not in response.content
