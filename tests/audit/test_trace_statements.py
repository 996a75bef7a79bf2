"""``trace()`` written in plain SQL (issue 3: every read of the record appends one trace).

What must not change with the cheaper write (ARCHITECTURE invariants 2 and 3, R-TR-1): the trace is
written in the caller's transaction with its leaf hash and signed entry timestamp, and queued for the
log; the row read back by the ORM is exactly the returned ``Trace``. What the transparency log changed
(ADR 0007): no per-patient head to lock or move any more — ONE statement on PostgreSQL
(``WITH ins AS (INSERT INTO audit_trace ...) INSERT INTO audit_logqueue ...``), two on SQLite — and two
acts on the same patient never wait for each other.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from carnet.audit.log import log_sequence
from carnet.audit.models import LogLeaf, LogQueue, Trace
from carnet.audit.selectors import chain_verify
from carnet.audit.services import opened, trace
from carnet.common.actors import Actor

from .conftest import add_trace, pro_actor

pytestmark = pytest.mark.django_db

PATIENT = 4242
POSTGRESQL = connection.vendor == "postgresql"
STATEMENTS = 1 if POSTGRESQL else 2  # trace + queue row in one WITH / INSERT trace, INSERT queue row


def _fields(t: Trace) -> dict[str, Any]:
    return {f.attname: getattr(t, f.attname) for f in Trace._meta.concrete_fields}


def _statements_of_one_trace(patient_id: int) -> list[str]:
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:  # SAVEPOINT not counted
        trace(actor=pro_actor(), action="CONSULT", patient_id=patient_id)
    return [q["sql"] for q in captured.captured_queries]


def test_a_trace_costs_one_statement_on_postgresql_and_two_on_sqlite() -> None:
    add_trace(PATIENT)
    sql = _statements_of_one_trace(PATIENT)
    assert len(sql) == STATEMENTS, sql
    assert 'INSERT INTO "audit_trace"' in sql[0]
    assert 'INSERT INTO "audit_logqueue"' in sql[-1]
    assert not any("FOR UPDATE" in q or "UPDATE " in q.replace("FOR UPDATE", "") for q in sql)


def test_the_first_trace_of_a_patient_costs_the_same() -> None:
    """No head to create: the first trace of a patient is an ordinary one."""
    sql = _statements_of_one_trace(PATIENT)
    assert len(sql) == STATEMENTS, sql
    first = Trace.objects.get(patient_id=PATIENT)
    assert LogQueue.objects.filter(trace_id=first.pk).exists()


def test_the_row_read_back_by_the_orm_is_the_returned_trace(clock: Any) -> None:
    """Every field, ``at`` to the microsecond (the clock in Paris time) and ``details`` as JSON gives
    them back (tuples become lists, keys become strings)."""
    clock.freeze(datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1))))
    details = {"n": (1, 2), 3: "three", "nested": {"é": [None, True, 1.5]}, "quote": "'); --"}
    with transaction.atomic():
        returned = trace(
            actor=pro_actor(),
            action="CONSULT",
            patient_id=PATIENT,
            group="documents",
            object_type="document",
            object_id=12,
            mode="BTG",
            reason="urgence vitale ' \" %s",
            outcome="ALLOW",
            details=details,
        )
    stored = Trace.objects.get(pk=returned.pk)
    assert _fields(stored) == _fields(returned)
    assert stored.at == datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)
    assert stored.details == {
        "n": [1, 2],
        "3": "three",
        "nested": {"é": [None, True, 1.5]},
        "quote": "'); --",
    }
    # ADR 0008: the written reason is sealed under the patient's key; opened, it is as written.
    assert (stored.object_id, stored.reason) == ("12", "")
    assert opened(stored)["reason"] == "urgence vitale ' \" %s"


def test_the_returned_trace_is_a_saved_row() -> None:
    """Marked as loaded from the database: the model's append-only guard refuses to save it again."""
    returned = add_trace(PATIENT)
    assert returned.pk is not None and not returned._state.adding and returned._state.db == "default"
    returned.refresh_from_db()
    with pytest.raises(RuntimeError, match="append-only"):
        returned.save()


def test_details_are_stored_as_a_json_object_not_as_a_json_string() -> None:
    returned = add_trace(PATIENT, details={"format": "pdf"})
    type_of = "jsonb_typeof" if POSTGRESQL else "json_type"
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT {type_of}("details") FROM "audit_trace" WHERE "id" = %s', [returned.pk])
        assert cursor.fetchone() == ("object",)


def test_the_log_verifies_in_the_database_and_in_the_signed_download(clock: Any) -> None:
    """Invariant 3 / R-TR-2: the stored entries and the downloaded proof both verify."""
    from carnet.audit.export import history_export
    from carnet.audit.services import public_key_b64
    from carnet.audit.verify import verify_document

    for i in range(4):
        add_trace(PATIENT, object_type="document", object_id=f"doc-{i}", details={"i": i})
        add_trace(PATIENT + 1)
        clock.advance(seconds=1)
    assert chain_verify(PATIENT) == []
    document = history_export(actor=Actor.system("test"), patient_id=PATIENT, hidden_object_ids=set())
    assert verify_document(document, public_key_b64=public_key_b64()).ok
    assert [e["leaf_index"] for e in document["entries"]] == [0, 2, 4, 6, 8]
    assert chain_verify(PATIENT) == []


def test_interleaved_patients_keep_their_own_entries() -> None:
    """Traces of two patients alternate, in one transaction and in separate ones: each history holds
    exactly its own, in order."""
    other = PATIENT + 1
    with transaction.atomic():
        for i in range(3):
            trace(actor=pro_actor(), action=f"a{i}", patient_id=PATIENT)
            trace(actor=pro_actor(), action=f"b{i}", patient_id=other)
    for i in range(3, 5):
        add_trace(other, action=f"b{i}")
        add_trace(PATIENT, action=f"a{i}")
    log_sequence()
    for patient_id, prefix in ((PATIENT, "a"), (other, "b")):
        ids = list(Trace.objects.filter(patient_id=patient_id).order_by("id").values_list("id", "action"))
        assert [action for _, action in ids] == [f"{prefix}{n}" for n in range(5)]
        leaves = list(LogLeaf.objects.filter(trace_id__in=[i for i, _ in ids]).order_by("index"))
        assert [leaf.trace_id for leaf in leaves] == [i for i, _ in ids]
        assert chain_verify(patient_id) == []


def test_a_rolled_back_act_leaves_no_trace_and_nothing_queued() -> None:
    """Invariant 2: the trace lives and dies with the act's transaction."""
    kept = add_trace(PATIENT)
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        trace(actor=pro_actor(), action="CONSULT", patient_id=PATIENT)
        1 / 0  # noqa: B018 (the act fails after its trace)
    assert list(Trace.objects.filter(patient_id=PATIENT)) == [kept]
    assert list(LogQueue.objects.values_list("trace_id", flat=True)) == [kept.pk]


def test_an_unknown_group_writes_nothing() -> None:
    with pytest.raises(ValueError, match="unknown trace group"), transaction.atomic():
        trace(actor=pro_actor(), action="CONSULT", patient_id=PATIENT, group="secret")
    assert not Trace.objects.exists() and not LogQueue.objects.exists()


def test_the_signing_key_is_parsed_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hot path: ``trace()`` signs with a cached key instead of decoding the seed every time."""
    from carnet.audit import services

    calls: list[str] = []
    original = services.Ed25519PrivateKey.from_private_bytes

    def counting(data: bytes) -> Any:
        calls.append("parse")
        return original(data)

    services._parse_key.cache_clear()
    monkeypatch.setattr(services.Ed25519PrivateKey, "from_private_bytes", counting)
    for _ in range(3):
        add_trace(PATIENT)
    assert calls == ["parse"]


@pytest.mark.skipif(not POSTGRESQL, reason="row locks: SQLite serialises its writers (BEGIN IMMEDIATE)")
@pytest.mark.django_db(transaction=True)
def test_two_acts_on_the_same_patient_do_not_wait_for_each_other() -> None:
    """ADR 0007: no per-patient head lock any more. A transaction holding an uncommitted trace of the
    patient does not block another act's trace on the same patient."""
    holder = connections.create_connection("default")
    done = threading.Event()
    try:
        holder.set_autocommit(False)
        with holder.cursor() as cursor:
            from carnet.audit.services import _build_trace_sql

            cursor.execute(_build_trace_sql(holder).append, _values(holder))
        worker = threading.Thread(target=lambda: (add_trace(PATIENT), connections.close_all(), done.set()))
        worker.start()
        assert done.wait(timeout=10), "the second trace waited for the first transaction"
        worker.join()
        holder.rollback()
    finally:
        holder.close()
    assert Trace.objects.filter(patient_id=PATIENT).count() == 1


def _values(conn: Any) -> list[Any]:
    from carnet.audit.services import _build_trace_sql

    t = Trace(
        patient_id=PATIENT,
        at=datetime(2026, 1, 5, tzinfo=UTC),
        actor_kind="SYSTEM",
        actor_id="x",
        action="HELD",
        group="general",
        details={},
        nonce="0" * 32,
        leaf_hash="0" * 64,
        sct="",
        key_id="",
    )
    return [f.get_db_prep_save(getattr(t, f.attname), conn) for f in _build_trace_sql(conn).fields]


@pytest.mark.skipif(not POSTGRESQL, reason="concurrent writers: PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_one_patient_all_land_in_the_log() -> None:
    writers, per_writer = 4, 15
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(name: str) -> None:
        try:
            start.wait()
            for i in range(per_writer):
                with transaction.atomic():
                    trace(actor=Actor.system(name), action=f"{name}-{i}", patient_id=PATIENT)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(f"w{n}",)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    head = log_sequence()
    assert head is not None and head.size == writers * per_writer
    assert chain_verify(PATIENT) == []
