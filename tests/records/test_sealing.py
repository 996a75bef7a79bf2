"""Sealed text fields (ADR 0008, invariant 4), tried the way someone with database access would.

The promise: free text about a person's health is stored only as AES-256-GCM under his data key, bound to
its row and field; a ciphertext moved elsewhere does not open; destroying the key makes it unreadable; no
code path can put the text into SQL. And it costs the record's read path nothing (ADR 0005).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.exceptions import FieldError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from carnet.common import clock
from carnet.profile.models import Allergy
from carnet.records.models import Document
from carnet.vault import keyring
from carnet.vault.blobstore import IntegrityFailure, KeyDestroyed, patient_data_key, patient_key_destroy
from carnet.vault.models import PatientKey
from carnet.vault.sealing import seal_for
from tests.records.helpers import World, deposit_pdf, new_person

CANARY = "CANARY-SEAL-7f3a9c"


def _raw(table: str, column: str, pk: int) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', [pk])
        return bytes(cursor.fetchone()[0])


def _write_raw(table: str, column: str, pk: int, value: bytes) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'UPDATE "{table}" SET "{column}" = %s WHERE id = %s', [value, pk])


def _allergy(patient_id: int, name: str, comment: str = "") -> Allergy:
    now = clock.now()
    return Allergy.objects.create(
        patient_id=patient_id,
        name=name,
        comment=comment,
        created_at=now,
        updated_at=now,
        created_by_id="t",
        created_by_kind="PATIENT",
        updated_by_id="t",
        updated_by_kind="PATIENT",
    )


def test_a_document_title_is_not_in_the_database_in_clear(world: World) -> None:
    document = deposit_pdf(world, world.gp, title=f"Sérologie {CANARY}")
    stored = _raw("records_document", "title", document.pk)
    assert CANARY.encode() not in stored and len(stored) > len(CANARY)
    assert Document.objects.get(pk=document.pk).title == f"Sérologie {CANARY}"


def test_a_title_copied_into_another_document_of_the_same_patient_does_not_open(world: World) -> None:
    """The associated data names the row: an attacker cannot make document B show A's title."""
    a = deposit_pdf(world, world.gp, title=f"VIH {CANARY}")
    b = deposit_pdf(world, world.gp, title="Bilan annuel")
    _write_raw("records_document", "title", b.pk, _raw("records_document", "title", a.pk))
    with pytest.raises(IntegrityFailure):
        _ = Document.objects.get(pk=b.pk).title


def test_a_title_copied_into_another_patients_document_does_not_open(world: World) -> None:
    mine = deposit_pdf(world, world.gp, title=f"IVG {CANARY}")
    other = Document.objects.get(pk=mine.pk)
    other.pk = None
    other.public_id = mine.public_id  # even with the same public id: another patient, another key
    other.patient_id = new_person().pk
    other.__dict__["title"] = _raw("records_document", "title", mine.pk)
    with transaction.atomic():
        Document.objects.filter(pk=mine.pk).update(public_id=uuid.UUID(int=1))  # free the public id
        other.save()
    with pytest.raises(IntegrityFailure):
        _ = Document.objects.get(pk=other.pk).title


def test_a_sealed_value_moved_to_another_field_of_the_same_row_does_not_open(world: World) -> None:
    allergy = _allergy(world.patient.pk, f"Arachide {CANARY}", comment="Choc en 2019")
    _write_raw("profile_allergy", "comment", allergy.pk, _raw("profile_allergy", "name", allergy.pk))
    with pytest.raises(IntegrityFailure):
        _ = Allergy.objects.get(pk=allergy.pk).comment


def test_sealed_text_can_be_neither_searched_nor_written_by_sql(world: World) -> None:
    """No code path may send the text to the database: equality and bulk updates with text are refused,
    pattern lookups do not exist."""
    document = deposit_pdf(world, world.gp, title=CANARY)
    with pytest.raises(TypeError, match="sealed"):
        list(Document.objects.filter(title=CANARY))
    with pytest.raises(TypeError, match="sealed"), transaction.atomic():
        Document.objects.filter(pk=document.pk).update(title="Autre titre")
    with pytest.raises(FieldError):
        list(Document.objects.filter(title__icontains="CANARY"))
    assert Document.objects.filter(pk=document.pk).exclude(title="").count() == 1  # "is it empty" only


def test_a_bulk_update_seals_through_the_row(world: World) -> None:
    document = deposit_pdf(world, world.gp, title="Avant")
    Document.objects.filter(pk=document.pk).update(title=seal_for(document, "title", f"Après {CANARY}"))
    assert CANARY.encode() not in _raw("records_document", "title", document.pk)
    assert Document.objects.get(pk=document.pk).title == f"Après {CANARY}"


def test_destroying_the_key_makes_every_sealed_text_unreadable(world: World) -> None:
    document = deposit_pdf(world, world.gp, title=CANARY)
    allergy = _allergy(world.patient.pk, CANARY)
    patient_key_destroy(world.patient.pk)
    with pytest.raises(KeyDestroyed):
        _ = Document.objects.get(pk=document.pk).title
    with pytest.raises(KeyDestroyed):
        _ = Allergy.objects.get(pk=allergy.pk).name
    with pytest.raises(KeyDestroyed):  # and no new key is ever made for him
        _allergy(world.patient.pk, "nouvelle")


def test_empty_text_needs_no_key(db: Any) -> None:
    patient = new_person()
    allergy = _allergy(patient.pk, "", comment="")
    assert not PatientKey.objects.filter(patient_id=patient.pk).exists()
    assert Allergy.objects.get(pk=allergy.pk).name == ""


def test_a_page_of_thirty_entries_reads_the_key_once_per_request(world: World) -> None:
    """The key ring of a unit of work: one key read, however many sealed values are opened."""
    for n in range(30):
        _allergy(world.patient.pk, f"allergie {n}", comment=f"commentaire {n}")

    def key_reads(captured: CaptureQueriesContext) -> int:
        return sum('FROM "records_patientkey"' in q["sql"] for q in captured.captured_queries)

    with keyring.key_scope(), CaptureQueriesContext(connection) as scoped:
        texts = [(a.name, a.comment) for a in Allergy.objects.filter(patient_id=world.patient.pk)]
    assert len(texts) == 30 and key_reads(scoped) == 1
    with CaptureQueriesContext(connection) as unscoped:  # outside a unit of work nothing is remembered
        [a.name for a in Allergy.objects.filter(patient_id=world.patient.pk)]
    assert key_reads(unscoped) == 30


def test_a_key_destroyed_during_a_request_is_forgotten_at_once(world: World) -> None:
    allergy = _allergy(world.patient.pk, CANARY)
    with keyring.key_scope():
        assert Allergy.objects.get(pk=allergy.pk).name == CANARY  # key remembered
        patient_key_destroy(world.patient.pk)
        with pytest.raises(KeyDestroyed):
            _ = Allergy.objects.get(pk=allergy.pk).name


def test_a_key_created_in_a_rolled_back_transaction_is_not_remembered(db: Any) -> None:
    """Otherwise the rest of the request would seal with a key that was never stored."""
    patient = new_person()
    with keyring.key_scope():
        with pytest.raises(RuntimeError), transaction.atomic():
            doomed = patient_data_key(patient.pk)
            assert patient_data_key(patient.pk) == doomed  # read back inside the doomed transaction
            raise RuntimeError("rollback")
        assert not PatientKey.objects.filter(patient_id=patient.pk).exists()
        allergy = _allergy(patient.pk, CANARY)
        real = patient_data_key(patient.pk)
    assert real != doomed
    assert Allergy.objects.get(pk=allergy.pk).name == CANARY
