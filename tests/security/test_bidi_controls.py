"""Unicode bidi controls never reach a stored title, file name, subject or name (issue 12, item 5).

U+202E (RIGHT-TO-LEFT OVERRIDE) makes ``facture\\u202efdp.exe`` display as ``facture`` + ``exe.pdf``
reversed: an executable passing for a PDF in the list of someone else's documents. An attacker types such
names into every door Carnet has: the pages, the JSON API, FHIR publication, the messaging (web and SMTP
gateway), the medical profile, the agenda and the directory's CSV import. Each door is tried with
hypothesis-generated spoofed text, and a last test scans every text column of every table.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import unicodedata
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carnet.agenda import services as agenda
from carnet.agenda.models import Appointment, FreeReminder
from carnet.common import clock as carnet_clock
from carnet.common.text import BIDI_CONTROLS, has_bidi_controls, strip_bidi_controls
from carnet.identity.importers import import_professionals
from carnet.identity.models import Organisation, PracticePlace, Professional
from carnet.messaging import services as messaging
from carnet.messaging import smtp_gateway
from carnet.messaging.models import Attachment, Conversation
from carnet.messaging.selectors import _subject
from carnet.profile import services as profile
from carnet.profile.models import Allergy
from carnet.profile.vitals import services as vitals
from carnet.profile.vitals.models import Vaccination
from carnet.records.models import Document
from tests.api.conftest import bearer, get_token, make_oauth_client, patient_client, professional_client
from tests.fhir.helpers import FHIR, binary, document_reference, entry, submission_set
from tests.records.helpers import PDF, World, deposit_pdf, make_world, pro_actor

# Independent oracle: the bidi classes of explicit embeddings, overrides and isolates, plus the three
# implicit marks (LRM, RLM, ALM), from the Unicode database itself rather than from our list.
_EXPLICIT = {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}
_MARKS = {"\u200e", "\u200f", "\u061c"}


def is_bidi_control(ch: str) -> bool:
    return unicodedata.bidirectional(ch) in _EXPLICIT or ch in _MARKS


_letters = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd"), max_codepoint=0x2FF),
    min_size=1,
    max_size=30,
)


@st.composite
def spoofed(draw: st.DrawFn, *, suffix: str = "") -> str:
    """Readable text (letters of Latin scripts, digits) with 1-5 bidi controls at random places."""
    chars = list(draw(_letters) + suffix)
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        position = draw(st.integers(min_value=0, max_value=len(chars)))
        chars.insert(position, draw(st.sampled_from(sorted(BIDI_CONTROLS))))
    return "".join(chars)


def clean(value: str) -> bool:
    return not any(is_bidi_control(ch) for ch in value)


PROPERTY = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


# --- the helper ---------------------------------------------------------------------------------


def test_the_twelve_bidi_controls_are_exactly_the_unicode_database_ones() -> None:
    every = {chr(cp) for cp in range(0x110000) if is_bidi_control(chr(cp))}
    assert every == BIDI_CONTROLS


@given(st.text())
def test_stripping_removes_every_bidi_control_and_nothing_else(text: str) -> None:
    stripped = strip_bidi_controls(text)
    assert clean(stripped) and not has_bidi_controls(stripped)
    assert stripped == "".join(ch for ch in text if not is_bidi_control(ch))


def test_the_spoofed_invoice_name_shows_its_real_extension() -> None:
    assert strip_bidi_controls("facture\u202efdp.exe") == "facturefdp.exe"


def test_right_to_left_letters_are_kept() -> None:
    assert strip_bidi_controls("\u200fتحليل الدم\u200f") == "تحليل الدم"


# --- records: pages, JSON API, FHIR -------------------------------------------------------------


@pytest.fixture
def world(db: Any, clock: Any) -> World:
    return make_world()


@PROPERTY
@given(title=spoofed())
def test_patient_upload_page_stores_no_title_controls(world: World, title: str) -> None:
    client = patient_client(world)
    upload = SimpleUploadedFile("bilan.pdf", PDF, content_type="application/pdf")
    response = client.post(
        "/espace/documents/ajouter/", {"title": title, "category": "AUTR_DOC", "file": upload}
    )
    assert response.status_code == 302
    assert Document.objects.latest("id").title == strip_bidi_controls(title).strip()


def test_a_title_made_of_controls_only_is_refused_next_to_the_title_field(world: World) -> None:
    upload = SimpleUploadedFile("bilan.pdf", PDF, content_type="application/pdf")
    response = patient_client(world).post(
        "/espace/documents/ajouter/", {"title": "\u202e\u200f", "category": "AUTR_DOC", "file": upload}
    )
    assert response.status_code == 200
    assert 'id="id_title-error"' in response.content.decode()
    assert not Document.objects.exists()


@PROPERTY
@given(title=spoofed())
def test_professional_deposit_and_title_update_pages_strip_controls(world: World, title: str) -> None:
    client = professional_client(world.gp)
    record = f"/pro/patients/{world.patient.public_id}/"
    upload = SimpleUploadedFile("cr.pdf", PDF, content_type="application/pdf")
    response = client.post(record + "deposer/", {"type_code": "11488-4", "title": title, "file": upload})
    assert response.status_code == 302
    document = Document.objects.filter(patient_id=world.patient.pk).latest("id")
    assert document.title == strip_bidi_controls(title).strip()
    client.post(record + f"documents/{document.public_id}/modifier/", {"title": "x" + title})
    document.refresh_from_db()
    assert document.title == "x" + strip_bidi_controls(title).strip()


@PROPERTY
@given(title=spoofed(), filename=spoofed(suffix=".pdf"))
def test_json_api_deposits_strip_controls_from_titles_and_file_names(
    world: World, title: str, filename: str
) -> None:
    http = Client()
    token = get_token(http, make_oauth_client(world.lab_org))
    body = {
        "patient": {"ins": world.patient.ins_matricule},
        "type_code": "11502-2",
        "title": title,
        "filename": "cr.pdf",
        "media_type": "application/pdf",
        "content_base64": base64.b64encode(PDF).decode(),
    }
    response = http.post("/api/documents", body, content_type="application/json", headers=bearer(token))
    assert response.status_code == 201
    assert response.json()["title"] == strip_bidi_controls(title).strip()
    # the holder's upload without a title: the file name becomes the title (R-FMT-4)
    multipart = {
        "patient_id": str(world.patient.public_id),
        "file": SimpleUploadedFile(filename, PDF, content_type="application/pdf"),
    }
    response = patient_client(world).post("/api/documents/upload", multipart)
    assert response.status_code == 201, response.content
    assert response.json()["title"] == Path(strip_bidi_controls(filename)).stem.strip()
    assert all(clean(d.title) for d in Document.objects.all())  # sealed (ADR 0008): opened by the model


def _bundle(world: World, reference: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            entry("urn:uuid:list-1", submission_set(world.patient)),
            entry("urn:uuid:doc-1", reference),
            entry("urn:uuid:bin-1", binary()),
        ],
    }


@PROPERTY
@given(description=spoofed(), attachment_title=spoofed())
def test_fhir_publication_strips_controls_from_description_and_attachment_title(
    world: World, description: str, attachment_title: str
) -> None:
    http = Client()
    token = get_token(http, make_oauth_client(world.lab_org))
    headers = {"Authorization": f"Bearer {token}"}
    by_description = document_reference(world.patient, description=description)
    with_title = document_reference(world.patient, description=description)
    with_title["content"][0]["attachment"]["title"] = attachment_title
    for reference in (by_description, with_title):
        response = http.post(
            "/fhir/", json.dumps(_bundle(world, reference)), content_type=FHIR, headers=headers
        )
        assert response.status_code == 200, response.content
    latest = Document.objects.filter(patient_id=world.patient.pk).order_by("-id")[:2]
    assert [d.title for d in latest] == [
        strip_bidi_controls(attachment_title).strip(),
        strip_bidi_controls(description).strip(),
    ]


def test_a_fhir_title_of_controls_only_is_refused_at_its_own_path(world: World) -> None:
    http = Client()
    token = get_token(http, make_oauth_client(world.lab_org))
    reference = document_reference(world.patient)
    reference["content"][0]["attachment"]["title"] = "\u202e\u2066"
    response = http.post(
        "/fhir/",
        json.dumps(_bundle(world, reference)),
        content_type=FHIR,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422
    issue = response.json()["issue"][0]
    assert issue["expression"] == ["Bundle.entry[1].resource.content[0].attachment.title"]
    assert Document.objects.filter(patient_id=world.patient.pk).count() == 0


# --- messaging: web services and the SMTP gateway ------------------------------------------------


@PROPERTY
@given(subject=spoofed(), filename=spoofed(suffix=".pdf"))
def test_messaging_stores_neither_subject_nor_attachment_name_controls(
    world: World, subject: str, filename: str
) -> None:
    message = messaging.conversation_start(
        actor=pro_actor(world.gp),
        patient_id=world.patient.pk,
        subject=subject,
        body="Bonjour, voici votre compte rendu.",
        files=[messaging.IncomingFile(filename=filename, content=PDF, declared_media_type="application/pdf")],
    )
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert _subject(conversation) == " ".join(strip_bidi_controls(subject).split())
    names = [messaging.attachment_filename(a) for a in Attachment.objects.filter(message=message)]
    assert names == [strip_bidi_controls(filename).strip()]


@PROPERTY
@given(subject=spoofed(), filename=spoofed(suffix=".pdf"))
def test_mail_through_the_smtp_gateway_stores_no_controls(world: World, subject: str, filename: str) -> None:
    world.gp.email = "dr.gp@cabinet.example"
    world.gp.save(update_fields=["email"])
    mail = EmailMessage()
    mail["From"] = world.gp.email
    mail["To"] = smtp_gateway.patient_address(world.patient)
    mail["Subject"] = subject
    mail["Message-ID"] = f"<{hashlib.sha256((subject + filename).encode()).hexdigest()}@cabinet.example>"
    mail.set_content("Bonjour, voici le compte rendu.")
    mail.add_attachment(PDF, maintype="application", subtype="pdf", filename=filename)
    reply = smtp_gateway.deliver(
        mail_from=world.gp.email, rcpt_to=smtp_gateway.patient_address(world.patient), raw=mail.as_bytes()
    )
    assert reply.startswith("250"), reply
    for conversation in Conversation.objects.filter(patient_id=world.patient.pk):
        assert clean(_subject(conversation))
    for attachment in Attachment.objects.filter(patient_id=world.patient.pk):
        assert clean(messaging.attachment_filename(attachment))


# --- medical profile, vaccinations, agenda -------------------------------------------------------


@PROPERTY
@given(name=spoofed(), comment=spoofed())
def test_profile_entries_and_vaccinations_store_no_controls(world: World, name: str, comment: str) -> None:
    profile.profile_item_create(
        actor=world.holder,
        patient_id=world.patient.pk,
        section="ALLERGIES",
        data={"name": name, "comment": comment},
    )
    vitals.vaccination_create(
        actor=world.holder,
        patient_id=world.patient.pk,
        effective_date=carnet_clock.today(),
        vaccine_name=name,
        comment=comment,
    )
    assert all(clean(a.name) and clean(a.comment) for a in Allergy.objects.all())
    assert all(clean(v.vaccine_name) for v in Vaccination.objects.all())


@PROPERTY
@given(title=spoofed(), name=spoofed())
def test_agenda_titles_and_imported_events_store_no_controls(world: World, title: str, name: str) -> None:
    agenda.reminder_create(
        actor=world.holder,
        patient_id=world.patient.pk,
        title=title,
        remind_at=carnet_clock.now() + timedelta(days=1),
    )
    start = (carnet_clock.now() + timedelta(days=3)).strftime("%Y%m%dT%H%M%SZ")
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{hashlib.sha256(name.encode()).hexdigest()}\r\nDTSTART:{start}\r\nSUMMARY:{name}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    agenda.ics_import(actor=world.holder, patient_id=world.patient.pk, content=ics.encode())
    assert all(clean(r.title) for r in FreeReminder.objects.all())
    assert all(clean(a.name) for a in Appointment.objects.all())


# --- the directory's CSV import -------------------------------------------------------------------


@PROPERTY
@given(organisation=spoofed(), place=spoofed(), city=spoofed())
def test_directory_csv_import_stores_no_controls(
    db: Any, tmp_path: Path, organisation: str, place: str, city: str
) -> None:
    path = tmp_path / "professionals.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "rpps",
                "last_name",
                "first_name",
                "profession_code",
                "specialty_code",
                "email",
                "phone",
                "finess",
                "organisation_name",
                "facility_type_code",
                "place_name",
                "address",
                "city",
            ]
        )
        writer.writerow(
            [
                "10000000017",
                "DURAND",
                "Anne",
                "G15_10",
                "SM26",
                "",
                "",
                "330000126",
                organisation,
                "SA01",
                place,
                "1 rue " + place,
                city,
            ]
        )
    import_professionals(path, report_path=tmp_path / "report.csv")
    assert all(clean(n) for n in Organisation.objects.values_list("name", flat=True))
    for row in PracticePlace.objects.values_list("name", "address", "city"):
        assert all(clean(value) for value in row)
    assert all(clean(n) for n in Professional.objects.values_list("last_name", flat=True))


# --- and nothing anywhere ------------------------------------------------------------------------


_TEXT_TYPES = {"CharField", "TextField", "JSONField", "EmailField", "SlugField", "URLField"}


def _text_columns() -> list[tuple[str, str]]:
    """Every text or JSON column of every table, from the database's own catalogue."""
    columns = []
    introspection = connection.introspection
    with connection.cursor() as cursor:
        for table in introspection.table_names(cursor):
            for column in introspection.get_table_description(cursor, table):
                try:
                    kind = introspection.get_field_type(column.type_code, column)
                except KeyError:
                    continue
                if kind in _TEXT_TYPES:
                    columns.append((table, column.name))
    return columns


def test_after_every_door_is_tried_no_column_of_any_table_holds_a_bidi_control(world: World) -> None:
    spoof = "facture\u202efdp\u2066.exe"
    deposit_pdf(world, world.gp, title=spoof)
    profile.profile_item_create(
        actor=world.holder, patient_id=world.patient.pk, section="ALLERGIES", data={"name": spoof}
    )
    agenda.reminder_create(
        actor=world.holder,
        patient_id=world.patient.pk,
        title=spoof,
        remind_at=carnet_clock.now() + timedelta(days=1),
    )
    messaging.conversation_start(
        actor=pro_actor(world.gp),
        patient_id=world.patient.pk,
        subject=spoof,
        body="Bonjour.",
        files=[messaging.IncomingFile(filename=spoof, content=PDF, declared_media_type="application/pdf")],
    )
    found = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, column in _text_columns():
            cursor.execute(f"SELECT CAST({quote(column)} AS TEXT) FROM {quote(table)}")
            for (value,) in cursor.fetchall():
                if isinstance(value, str) and not clean(value):
                    found.append((table, column))
    assert found == []
