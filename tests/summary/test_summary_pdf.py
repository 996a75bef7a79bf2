"""The profile summary PDF (R-LC-25 ``getMedicalSynthesisPDF(sectionsToDownload)``) and its saving as a
DOCPAT08 document, the only way the questionnaire sections reach professionals (R-PML-1)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from carnet.access.facts import ProfileSection
from carnet.audit.models import Trace
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.profile import selectors as profile_selectors
from carnet.profile import summary
from carnet.records import selectors as records_selectors
from carnet.records.models import Document
from tests.records.helpers import pro_actor
from tests.summary.conftest import Filled

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_holds_the_chosen_sections_and_not_the_others(filled: Filled) -> None:
    """R-LC-25: only the sections the holder ticked are in the PDF."""
    pdf = summary.profile_summary_pdf_for_actor(
        actor=filled.holder,
        patient_id=filled.patient.pk,
        sections=["TREATMENTS", "VACCINATIONS", "MEASUREMENTS"],
    )
    text = _text(pdf)
    assert pdf.startswith(b"%PDF")
    assert "Synthèse du profil médical" in text
    for present in (
        "Traitements",
        "Metformine",
        "Vaccinations",
        "LOT42",
        "Mesures",
        "71,9 kg",
        "128/82 mmHg",
    ):
        assert present in text
    for absent in ("Allergies", "Pollen de bouleau", "Maladies", "Diabète", "Groupe sanguin", "Antécédents"):
        assert absent not in text


def test_pdf_shows_the_latest_value_of_each_measure(filled: Filled) -> None:
    """R-LC-25: a summary, not the whole series (the IPS has every measure)."""
    text = _text(
        summary.profile_summary_pdf_for_actor(
            actor=filled.holder, patient_id=filled.patient.pk, sections=["MEASUREMENTS"]
        )
    )
    assert "71,9 kg" in text
    assert "72,5 kg" not in text


def test_pdf_of_every_section_renders_each_title(filled: Filled) -> None:
    """R-LC-25: all twelve sections at once (empty ones say so)."""
    text = _text(
        summary.profile_summary_pdf_for_actor(
            actor=filled.holder, patient_id=filled.patient.pk, sections=summary.SUMMARY_SECTIONS
        )
    )
    for section in summary.SUMMARY_SECTIONS:
        assert str(summary.SECTION_TITLES[section]) in text
    assert "Aucun élément renseigné." in text  # lifestyle, disabilities, entourage are empty


def test_not_concerned_sections_say_so(empty: Filled) -> None:
    """R-PML-2: a "je ne suis pas concerné" flag is shown as such, not as "nothing entered"."""
    from carnet.profile import services

    services.not_concerned_set(
        actor=empty.holder, patient_id=empty.patient.pk, section="ALLERGIES", value=True
    )
    text = _text(
        summary.profile_summary_pdf_for_actor(
            actor=empty.holder, patient_id=empty.patient.pk, sections=["ALLERGIES"]
        )
    )
    assert "La personne a indiqué que cette rubrique ne la concerne pas." in text


def test_generation_is_traced_once_with_section_names_only(filled: Filled) -> None:
    """Invariant 2: one PROFILE_SUMMARY trace naming the sections, never a value."""
    before = Trace.objects.count()
    summary.profile_summary_pdf_for_actor(
        actor=filled.holder, patient_id=filled.patient.pk, sections=["ALLERGIES", "TREATMENTS"]
    )
    (entry,) = Trace.objects.order_by("-id")[:1]
    assert Trace.objects.count() == before + 1
    assert entry.action == "PROFILE_SUMMARY"
    assert entry.outcome == "ALLOW"
    assert entry.details["sections"] == ["TREATMENTS", "ALLERGIES"]
    assert entry.details["purpose"] == "pdf"
    assert "Metformine" not in str(entry.details)


@pytest.mark.parametrize("sections", [[], ["NOPE"], ["TREATMENTS", "../etc"]])
def test_an_empty_or_unknown_choice_is_refused_naming_the_sections_field(
    filled: Filled, sections: list[str]
) -> None:
    """R-LC-25 ``sectionsToDownload`` must name known sections; the error names the field."""
    with pytest.raises(DomainError) as error:
        summary.profile_summary_pdf_for_actor(
            actor=filled.holder, patient_id=filled.patient.pk, sections=sections
        )
    assert error.value.field == "sections"


def test_a_professional_cannot_generate_the_summary_and_the_refusal_is_traced(filled: Filled) -> None:
    """R-PML-1: the questionnaire's sections never reach a professional directly, even with consent."""
    filled.consent_gp()
    with pytest.raises(NotFoundOrForbidden):
        summary.profile_summary_pdf_for_actor(
            actor=pro_actor(filled.gp), patient_id=filled.patient.pk, sections=["TREATMENTS"]
        )
    denied = Trace.objects.filter(
        patient_id=filled.patient.pk, action="PROFILE_SUMMARY", outcome="DENY"
    ).get()
    assert denied.details["rule"] == "R-PML-1"


def test_saved_summary_is_a_docpat08_document_deposited_by_the_holder(filled: Filled) -> None:
    """R-PML-1: saved as DOCPAT08, category SYNTH_PML, class 90, with a PDF content."""
    document = summary.profile_summary_save(
        actor=filled.holder, patient_id=filled.patient.pk, sections=["TREATMENTS"]
    )
    assert (document.type_code, document.class_code, document.patient_category) == (
        "DOCPAT08",
        "90",
        "SYNTH_PML",
    )
    assert document.media_type == "application/pdf"
    assert document.author_kind == "PATIENT"
    assert document.title == "Synthèse du profil médical du 5 janvier 2026"


def test_saving_traces_the_read_and_the_deposit_together(filled: Filled) -> None:
    """Invariant 2: the PROFILE_SUMMARY read and the DEPOSIT are traced with the document."""
    document = summary.profile_summary_save(
        actor=filled.holder, patient_id=filled.patient.pk, sections=["ALLERGIES"]
    )
    actions = list(
        Trace.objects.filter(patient_id=filled.patient.pk)
        .order_by("-id")
        .values_list("action", "details")[:2]
    )
    assert [a for a, _d in actions] == ["DEPOSIT", "PROFILE_SUMMARY"]
    assert actions[1][1]["purpose"] == "save"
    assert Trace.objects.filter(action="DEPOSIT", object_id=str(document.public_id)).exists()


def test_a_refused_save_writes_no_document(filled: Filled) -> None:
    """Invariant 9: a professional's attempt leaves no document and no blob."""
    filled.consent_gp()
    with pytest.raises(NotFoundOrForbidden):
        summary.profile_summary_save(
            actor=pro_actor(filled.gp), patient_id=filled.patient.pk, sections=["TREATMENTS"]
        )
    assert not Document.objects.filter(patient_id=filled.patient.pk, type_code="DOCPAT08").exists()


def test_gp_sees_the_saved_summary_while_the_raw_sections_stay_invisible(filled: Filled) -> None:
    """R-PML-1: an authorised GP reads the DOCPAT08 through the records selector, and still cannot read
    the treatments section itself."""
    filled.consent_gp()
    gp = pro_actor(filled.gp)
    document = summary.profile_summary_save(
        actor=filled.holder, patient_id=filled.patient.pk, sections=["TREATMENTS"]
    )
    visible = records_selectors.document_list_for_actor(actor=gp, patient_id=filled.patient.pk)
    assert document.public_id in {d.public_id for d in visible}
    _doc, content = records_selectors.document_content_for_actor(
        actor=gp, patient_id=filled.patient.pk, document_public_id=document.public_id
    )
    assert "Metformine" in _text(content)
    with pytest.raises(NotFoundOrForbidden):
        profile_selectors.section_for_actor(
            actor=gp, patient_id=filled.patient.pk, section=ProfileSection.TREATMENTS
        )


def test_gp_without_consent_does_not_see_the_saved_summary(filled: Filled) -> None:
    """R-AC-12 applies to the DOCPAT08 like to any document."""
    summary.profile_summary_save(actor=filled.holder, patient_id=filled.patient.pk, sections=["TREATMENTS"])
    try:
        visible = records_selectors.document_list_for_actor(
            actor=pro_actor(filled.gp), patient_id=filled.patient.pk
        )
    except NotFoundOrForbidden:
        visible = []
    assert not [d for d in visible if d.type_code == "DOCPAT08"]


def test_a_caregiver_generates_the_summary_for_the_helped_person(filled: Filled) -> None:
    """R-DEL-2: the caregiver acts for the holder on the profile, so he may produce its summary."""
    from datetime import date

    from carnet.common.actors import ActorKind
    from tests.factories import DelegationFactory
    from tests.records.helpers import give_account, give_space, new_person, person_actor

    helper = new_person(birth_date=date(1970, 3, 3))
    give_space(helper)
    give_account(helper)
    DelegationFactory(kind="CAREGIVING", subject=filled.patient, delegate=helper)
    pdf = summary.profile_summary_pdf_for_actor(
        actor=person_actor(helper, ActorKind.CAREGIVER), patient_id=filled.patient.pk, sections=["ALLERGIES"]
    )
    assert "Pollen de bouleau" in _text(pdf)
