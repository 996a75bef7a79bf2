"""Commit-safe file deletion (issue 13): a deposit's encrypted file is removed only when its transaction is
known not to have committed. An error raised AT the commit — here after the real COMMIT made the row
durable, as when the connection drops before the server's answer arrives — must not cost a committed
document its content; a real rollback still removes the file (invariant 9).

The commit faults need real transactions (``transactional_db``): inside the test's own transaction a
deposit's COMMIT would only be a savepoint release. The rollbacks are real either way (``db``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, OperationalError, connections

from carnet.common import clock
from carnet.common.actors import Actor, ActorKind
from carnet.fhir.publication import parse_publication, publish
from carnet.messaging.models import Attachment
from carnet.records import idempotency
from carnet.records import services as records
from carnet.records.models import Document
from carnet.vault import blobstore
from carnet.vault.models import Blob
from tests.fhir.helpers import bundle
from tests.messaging.builders import pdf_file, pro_writes
from tests.records.helpers import PDF, World, deposit_pdf, make_world, pro_actor


def _files() -> list[Path]:
    """Every blob file, ``.bin`` and ``.tmp``."""
    return list((Path(settings.DATA_DIR) / "blobs").glob("*/*"))


@pytest.fixture
def committed_world(transactional_db: Any) -> World:
    return make_world()


@pytest.fixture
def world(db: Any) -> World:
    return make_world()


@pytest.fixture
def lost_commit_answer(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Arm a fault: the next COMMIT is made durable by the database, then the driver raises, as when the
    connection is lost before the server's answer arrives."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    real_commit = wrapper._commit
    armed: list[bool] = []

    def commit_then_lose_the_answer() -> None:
        real_commit()
        if armed:
            armed.clear()
            raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(wrapper, "_commit", commit_then_lose_the_answer)
    return lambda: armed.append(True)


def test_a_commit_error_after_the_commit_is_durable_keeps_the_file_and_a_retry_gets_the_document(
    committed_world: World, lost_commit_answer: Any
) -> None:
    world = committed_world
    lost_commit_answer()
    with pytest.raises(OperationalError):
        deposit_pdf(world, world.gp)
    document = Document.objects.select_related("blob").get(patient_id=world.patient.pk)  # it did commit
    assert document.blob is not None and blobstore.blob_get(document.blob) == PDF
    clock.freeze(datetime.now(tz=UTC))
    assert blobstore.blobs_sweep(older_than_seconds=0) == 0  # the sweep asks the row: it stays
    assert blobstore.blob_get(document.blob) == PDF

    # With an idempotency key, the client that saw the error retries and gets the document that committed.
    key = idempotency.api_key("retry-after-lost-commit")
    assert key is not None
    deposit = {
        "key": key,
        "actor": pro_actor(world.gp),
        "patient_id": world.patient.pk,
        "content": PDF + b"%2",
        "declared_media_type": "application/pdf",
        "type_code": "11488-4",
        "title": "Compte rendu",
    }
    lost_commit_answer()
    with pytest.raises(OperationalError):
        records.document_deposit_once(**deposit)
    second = Document.objects.exclude(pk=document.pk).get(patient_id=world.patient.pk)
    again, replayed = records.document_deposit_once(**deposit)
    assert replayed and again.pk == second.pk
    assert Document.objects.filter(patient_id=world.patient.pk).count() == 2
    assert again.blob is not None and blobstore.blob_get(again.blob) == PDF + b"%2"


def test_a_fhir_bundle_and_a_message_whose_commit_answer_is_lost_keep_their_files(
    committed_world: World, lost_commit_answer: Any
) -> None:
    world = committed_world
    actor = Actor(ActorKind.ORGANISATION, world.lab_org.finess, label=world.lab_org.name)
    publication = parse_publication(bundle(world.patient, documents=2))
    lost_commit_answer()
    with pytest.raises(OperationalError):
        publish(actor=actor, publication=publication)
    documents = list(Document.objects.select_related("blob").filter(patient_id=world.patient.pk))
    assert len(documents) == 2
    assert all(d.blob is not None and blobstore.blob_get(d.blob) == PDF for d in documents)

    lost_commit_answer()
    with pytest.raises(OperationalError):
        pro_writes(world, files=[pdf_file()])
    attachment = Attachment.objects.select_related("blob").get()
    assert attachment.blob is not None and blobstore.blob_get(attachment.blob) == PDF


def test_a_real_rollback_removes_the_file(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database itself refuses the transaction (a unique violation) before COMMIT: rolled back, no file."""

    def violate(document: Document) -> None:
        assert document.blob is not None
        Blob.objects.create(  # the same public id again: IntegrityError from the database
            public_id=document.blob.public_id,
            patient_id=1,
            size=0,
            sha256="",
            media_type="",
            created_at=clock.now(),
        )

    monkeypatch.setattr("carnet.records.services.new_document_notify", violate)
    with pytest.raises(IntegrityError):
        deposit_pdf(world, world.gp)
    assert not Document.objects.filter(patient_id=world.patient.pk).exists()
    assert not Blob.objects.filter(patient_id=world.patient.pk).exists()
    assert _files() == []


def test_a_fhir_bundle_rolled_back_leaves_no_file(world: World) -> None:
    actor = Actor(ActorKind.ORGANISATION, world.lab_org.finess, label=world.lab_org.name)
    data = bundle(world.patient, documents=2)
    data["entry"][3]["resource"]["description"] = "x" * 300  # the second document's title: refused by records
    publication = parse_publication(data)
    with pytest.raises(Exception, match="255"):
        publish(actor=actor, publication=publication)
    assert not Document.objects.filter(patient_id=world.patient.pk).exists()
    assert not Blob.objects.filter(patient_id=world.patient.pk).exists()
    assert _files() == []
