"""The export's history leaves out traces the requester may not see yet (R-MASK-6, R-MIN-5)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.db import transaction

from carnet.audit.hooks import register_hidden_objects_provider, unregister_hidden_objects_provider
from carnet.audit.services import trace
from carnet.common.actors import Actor, ActorKind
from carnet.spaces.models import ExportRequest
from carnet.spaces.services import export_request, space_activate, space_inform
from carnet.spaces.tasks import build_export
from carnet.vault.blobstore import blob_get
from tests.factories import PatientUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hide_doc_42():  # type: ignore[no-untyped-def]
    register_hidden_objects_provider("test.hidden", lambda *, patient_id, viewer_kind: {"doc-42"})
    yield
    unregister_hidden_objects_provider("test.hidden")


def test_hidden_objects_are_left_out_of_the_exported_history(hide_doc_42, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_TASK_BACKEND = "none"
    user = PatientUserFactory()
    space, _ = space_inform(person=user.person, actor=Actor.insurance())
    me = Actor(ActorKind.PATIENT, str(user.public_id), user_id=user.pk, person_id=user.person_id)
    space_activate(space=space, actor=me)
    with transaction.atomic():
        for object_id in ("doc-41", "doc-42"):
            trace(
                actor=Actor.system("lab"),
                action="DEPOSIT",
                patient_id=user.person_id,
                group="documents",
                object_type="document",
                object_id=object_id,
            )
    export = export_request(space=space, actor=me, user=user)
    build_export(export.pk)
    export = ExportRequest.objects.get(pk=export.pk)
    archive = zipfile.ZipFile(io.BytesIO(blob_get(export.blob)))
    history = json.loads(archive.read("donnees.json"))["historique"]
    assert any(entry["objet"] == "document" for entry in history)
    assert len([e for e in history if e["action"] == "DEPOSIT"]) == 1
