"""Issue 12 item 1, ARCHITECTURE invariant 4, R-LC-21/22: deletion deletes.

A person has content in every section of every app, each field holding its own canary. He is erased
through the real path — closure with a deletion request and the deadline job three months later, or
closure and the job ten years later — and then nothing holding any canary is left: not in any column of
any table the database lists, not in a ``pg_dump`` of the database (PostgreSQL), not in any file of the
data directory. The SQLite file itself (and its WAL) is searched by ``test_sqlite_file`` in a real file.

Not even the append-only history keeps them: the holder's name as the label of his own acts and the
written reason of an emergency access are sealed under his key in each trace (ADR 0008), and the erasure
destroys the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection

from carnet.audit.hooks import ContentUnavailable
from carnet.audit.models import Trace
from carnet.audit.services import opened
from carnet.identity.models import Person
from carnet.records.models import Document
from carnet.spaces import certificate
from carnet.spaces.erasure import service_public_key_b64
from carnet.spaces.models import Delegation, HealthSpace, SpaceErasure, SpaceStatus
from carnet.vault.models import Blob, PatientKey
from tests.erasure import scan
from tests.erasure.world import ARCHIVE_END, REQUESTED, CanaryWorld, build, erase

PATHS = [REQUESTED, ARCHIVE_END]


def _clear_canaries(w: CanaryWorld) -> set[str]:
    """Canaries stored in clear while the space lives (identity, addresses, codes, values): the scanner
    must see them before the erasure, or it proves nothing."""
    sealed = {canary for _i, _n, canary in w.sealed}
    in_blobs = {w.canaries[k] for k in ("reportcontent", "uploadcontent", "filecontent", "profile")}
    sealed_elsewhere = {
        w.canaries[k]
        for k in (
            "subject",
            "probody",
            "patientbody",
            "filename",
            "savedtitle",
            "deletedtitle",
            "trtcomment",
            "posology",
            "allergycomment",
            "diseasecomment",
            "familycomment",
            "techhelp",
            "humanhelp",
            "disabilitycomment",
            "contactemail",
            "contactphone",
            "trustedphone",
            "lifestyle",
            "vaccinecomment",
            "apptspeciality",
            "apptaddress",
            "apptcomment",
            "remindercomment",
            "icssummary",
        )
    }
    return set(w.canaries.values()) - sealed - in_blobs - sealed_elsewhere


def _other_patients_rows(w: CanaryWorld) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the other patient and of the child, in every table with a patient_id column — but
    the child's delegation to the erased holder, which the erasure ends (checked on its own)."""
    quote = connection.ops.quote_name
    snapshot = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            if "patient_id" not in columns or table.startswith("audit_"):
                continue
            ended = " AND delegate_id <> %s" if table == "spaces_delegation" else ""
            cursor.execute(
                f"SELECT * FROM {quote(table)} WHERE patient_id IN (%s, %s){ended} ORDER BY 1",
                [w.other.pk, w.child.pk, *([w.holder.pk] if ended else [])],
            )
            snapshot[table] = [
                tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in cursor.fetchall()
            ]
    return snapshot


@pytest.fixture
def world(clock: Any) -> CanaryWorld:
    return build()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", PATHS)
def test_after_erasure_no_canary_is_left_in_any_table_dump_or_file(world: CanaryWorld, path: str) -> None:
    w = world
    canaries = set(w.canaries.values())
    # Positive controls: the scanners see what is in clear, the sealed canaries really were planted, and
    # the blobs really are on disk (encrypted: no canary in any file even now).
    before = scan.scan_catalogue(canaries)
    assert _clear_canaries(w) <= {h.canary for h in before}
    for instance, name, canary in w.sealed:
        assert getattr(type(instance).objects.get(pk=instance.pk), name) == canary
    data_dir = Path(settings.DATA_DIR)
    assert list((data_dir / "blobs" / str(w.holder.pk)).glob("*.bin"))
    assert scan.scan_files(canaries, data_dir) == set()
    survivors_before = _other_patients_rows(w)

    counts = erase(w, path)

    assert counts["deleted_on_request" if path == REQUESTED else "purged_after_archive"] == 1
    assert counts["erasure_notices_settled"] == 1
    leftovers = scan.scan_catalogue(canaries)
    assert leftovers == set()
    assert scan.scan_files(canaries, data_dir) == set()
    assert not (data_dir / "blobs" / str(w.holder.pk)).exists()
    if connection.vendor == "postgresql":
        dumped = scan.scan_pg_dump(canaries, scan.pg_dump_text())
        assert dumped == set()
    # ... and nothing of anyone else was touched.
    assert _other_patients_rows(w) == survivors_before


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", PATHS)
def test_what_remains_is_the_tombstone_an_anonymous_person_and_a_destroyed_key(
    world: CanaryWorld, path: str
) -> None:
    w = world
    erase(w, path)
    space = HealthSpace.objects.get(pk=w.space.pk)
    assert space.status == SpaceStatus.DELETED and space.deleted_at is not None
    assert space.closed_at is None and space.activated_at is None and space.public_id != w.space.public_id
    person = Person.objects.get(pk=w.holder.pk)
    assert (person.birth_name, person.first_names, person.email, person.phone, person.vitale_serial_hash) == (
        "",
        "",
        "",
        "",
        "",
    )
    assert person.ins_matricule.startswith("E") and person.public_id != w.holder.public_id
    key = PatientKey.objects.get(patient_id=w.holder.pk)
    assert key.wrapped_key is None and key.destroyed_at is not None
    assert not Document.objects.filter(patient_id=w.holder.pk).exists()
    assert not Blob.objects.filter(patient_id=w.holder.pk).exists()
    tombstone = SpaceErasure.objects.get(patient_id=w.holder.pk)
    assert tombstone.notice == "SENT" and tombstone.key_fingerprint.startswith("sha256:")
    # The child he represented keeps his space; the representation ended; the child is no longer linked
    # to an erased person's row.
    assert HealthSpace.objects.get(person=w.child).status == SpaceStatus.ACTIVATED
    assert Delegation.objects.get(subject=w.child, delegate_id=w.holder.pk).status == "ENDED"
    assert Person.objects.get(pk=w.child.pk).insured_under_id is None


@pytest.mark.django_db(transaction=True)
def test_the_certificate_reaches_the_holder_before_his_address_is_erased_and_verifies(
    world: CanaryWorld,
) -> None:
    w = world
    address = w.holder.email
    erase(w, REQUESTED)
    sent = [m for m in mail.outbox if m.to == [address]]
    assert sent, "the certificate went to the address the erasure then removed"
    body = sent[-1].body
    doc = certificate.parse(body)
    report = certificate.verify_document(doc, public_key_b64=service_public_key_b64())
    assert report.ok, report.lines()
    tombstone = SpaceErasure.objects.get(patient_id=w.holder.pk)
    assert doc["certificate"]["tombstone"] == str(tombstone.tombstone_id)
    assert doc["certificate"]["data_key"]["fingerprint"] == tombstone.key_fingerprint
    assert certificate.parse(tombstone.certificate) == doc  # the tombstone keeps the same signed document
    for canary in w.canaries.values():  # the message itself names nothing of him
        assert canary.lower() not in body.lower() or canary == address


@pytest.mark.django_db(transaction=True)
def test_not_even_the_history_keeps_the_holders_name(world: CanaryWorld) -> None:
    # In the history, sealed from the start (ADR 0008)...
    assert {h for h in scan.scan_catalogue(world.names) if h.where.startswith("audit_")} == set()
    erase(world, REQUESTED)
    assert scan.scan_catalogue(world.names) == set()
    # ...and shredded now: his own acts are still in the log, their names no longer readable by anyone.
    own = Trace.objects.filter(patient_id=world.holder.pk, actor_kind="PATIENT").exclude(sealed=None)
    assert own.exists()
    with pytest.raises(ContentUnavailable):
        opened(own.first())
