"""ADR 0008: databases that already hold plain text (the demo's, any deployment's) are sealed by the
migrations, and the migrations can be reversed."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from carnet.records.models import Document

BEFORE = [("records", "0002_documents"), ("profile", "0002_disability_rate_label")]
CANARY_TITLE = "CANARY-MIGRATION-TITLE-51be"
CANARY_NAME = "CANARY-MIGRATION-ALLERGY-0c2d"


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def _raw_rows(table: str, column: str) -> list[bytes]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}"')
        return [bytes(r[0]) if not isinstance(r[0], str) else r[0].encode() for r in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_existing_plain_text_is_sealed_by_the_migration_and_opens_afterwards() -> None:
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = _migrate(BEFORE)
    try:
        from django.utils import timezone

        now = timezone.now()
        person = old.get_model("identity", "Person").objects.create(
            ins_matricule="280057512345678",
            ins_oid="1.2.250.1.213.1.4.10",
            birth_name="MIGRATION",
            first_names="Test",
            birth_date="1980-05-17",
            sex="F",
            birth_place_cog="75056",
            created_at=now,
            updated_at=now,
        )
        old.get_model("records", "Document").objects.create(
            patient_id=person.pk,
            class_code="10",
            type_code="11488-4",
            title=CANARY_TITLE,
            author_kind="PATIENT",
            media_type="application/pdf",
            deposited_at=now,
            deposited_by="x",
            deposited_by_kind="PATIENT",
            patient_category="CPT_REND",
        )
        old.get_model("profile", "Allergy").objects.create(
            patient_id=person.pk,
            name=CANARY_NAME,
            comment="",
            created_at=now,
            updated_at=now,
            created_by_id="x",
            created_by_kind="PATIENT",
            updated_by_id="x",
            updated_by_kind="PATIENT",
        )
        assert any(CANARY_TITLE.encode() in v for v in _raw_rows("records_document", "title"))
    finally:
        _migrate(latest)
    assert not any(CANARY_TITLE.encode() in v for v in _raw_rows("records_document", "title"))
    assert not any(CANARY_NAME.encode() in v for v in _raw_rows("profile_allergy", "name"))
    from carnet.profile.models import Allergy

    assert [d.title for d in Document.objects.all()] == [CANARY_TITLE]
    assert [a.name for a in Allergy.objects.all()] == [CANARY_NAME]

    reverted = _migrate(BEFORE)  # and back: the text is opened into the plain column again
    try:
        assert [d.title for d in reverted.get_model("records", "Document").objects.all()] == [CANARY_TITLE]
    finally:
        _migrate(latest)
