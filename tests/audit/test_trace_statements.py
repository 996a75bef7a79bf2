"""``trace()`` written in plain SQL (issue 3: every read of the record appends one trace).

What must not change with the cheaper write (ARCHITECTURE invariants 2 and 3, R-TR-1): the link is
appended under a lock of its chain head, in the caller's transaction; the row read back by the ORM is
exactly the returned ``Trace``; the chain verifies, alone and interleaved with others. What changes is
the cost: in the steady state 2 statements on PostgreSQL (lock the head; insert the link and move the
head in one ``WITH``) and 3 on SQLite (lock, ``INSERT``, ``UPDATE``).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from carnet.audit.models import ChainHead, Trace
from carnet.audit.selectors import chain_verify
from carnet.audit.services import chain_for, history_export, trace
from carnet.audit.verify import GENESIS, verify_document
from carnet.common.actors import Actor

from .conftest import add_trace, pro_actor

pytestmark = pytest.mark.django_db

PATIENT = 4242
POSTGRESQL = connection.vendor == "postgresql"
STEADY_STATEMENTS = 2 if POSTGRESQL else 3  # lock + (INSERT and UPDATE in one WITH) / lock + INSERT + UPDATE
FIRST_STATEMENTS = STEADY_STATEMENTS + 2  # + INSERT ... ON CONFLICT DO NOTHING of the head + lock again


def _fields(t: Trace) -> dict[str, Any]:
    return {f.attname: getattr(t, f.attname) for f in Trace._meta.concrete_fields}


def _statements_of_one_trace(patient_id: int) -> list[str]:
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:  # SAVEPOINT not counted
        trace(actor=pro_actor(), action="CONSULT", patient_id=patient_id)
    return [q["sql"] for q in captured.captured_queries]


def test_a_steady_state_trace_costs_two_statements_on_postgresql_and_three_on_sqlite() -> None:
    add_trace(PATIENT)
    sql = _statements_of_one_trace(PATIENT)
    assert len(sql) == STEADY_STATEMENTS, sql
    assert sql[0].startswith('SELECT "seq", "head_hash" FROM "audit_chainhead"')
    assert sql[0].endswith("FOR UPDATE") == connection.features.has_select_for_update
    assert 'INSERT INTO "audit_trace"' in sql[1]
    assert 'UPDATE "audit_chainhead"' in sql[-1]


def test_the_first_trace_of_a_chain_creates_its_head_linked_to_genesis() -> None:
    assert not ChainHead.objects.filter(chain=chain_for(PATIENT)).exists()
    sql = _statements_of_one_trace(PATIENT)
    assert len(sql) == FIRST_STATEMENTS, sql
    assert 'INTO "audit_chainhead"' in sql[1]
    first = Trace.objects.get(chain=chain_for(PATIENT))
    head = ChainHead.objects.get(chain=chain_for(PATIENT))
    assert (first.seq, first.prev_hash) == (1, GENESIS)
    assert (head.seq, head.head_hash) == (1, first.hash)


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
    assert (stored.object_id, stored.reason) == ("12", "urgence vitale ' \" %s")


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


def test_the_chain_verifies_in_the_database_and_in_the_signed_download(clock: Any) -> None:
    """Invariant 3 / R-TR-2: the stored chain and the downloaded proof both verify."""
    for i in range(4):
        add_trace(PATIENT, object_type="document", object_id=f"doc-{i}", details={"i": i})
        clock.advance(seconds=1)
    assert chain_verify(PATIENT) == []
    document = history_export(actor=Actor.system("test"), patient_id=PATIENT, hidden_object_ids=set())
    assert verify_document(document).ok
    assert [e["seq"] for e in document["entries"]] == [1, 2, 3, 4, 5]


def test_two_interleaved_chains_stay_consistent() -> None:
    """Appends to two chains alternate, in one transaction and in separate ones: each chain is linked
    to its own previous entry and its head follows its own last link."""
    other = PATIENT + 1
    with transaction.atomic():
        for i in range(3):
            trace(actor=pro_actor(), action=f"a{i}", patient_id=PATIENT)
            trace(actor=pro_actor(), action=f"b{i}", patient_id=other)
    for i in range(3, 5):
        add_trace(other, action=f"b{i}")
        add_trace(PATIENT, action=f"a{i}")
    for patient_id, prefix in ((PATIENT, "a"), (other, "b")):
        chain = list(Trace.objects.filter(chain=chain_for(patient_id)).order_by("seq"))
        assert [(t.seq, t.action) for t in chain] == [(n, f"{prefix}{n - 1}") for n in range(1, 6)]
        assert [t.prev_hash for t in chain] == [GENESIS] + [t.hash for t in chain[:-1]]
        head = ChainHead.objects.get(chain=chain_for(patient_id))
        assert (head.seq, head.head_hash) == (5, chain[-1].hash)
        assert chain_verify(patient_id) == []


def test_a_rolled_back_act_leaves_neither_its_trace_nor_a_moved_head() -> None:
    """Invariant 2: the trace lives and dies with the act's transaction."""
    kept = add_trace(PATIENT)
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        trace(actor=pro_actor(), action="CONSULT", patient_id=PATIENT)
        1 / 0  # noqa: B018 (the act fails after its trace)
    assert list(Trace.objects.filter(chain=chain_for(PATIENT))) == [kept]
    head = ChainHead.objects.get(chain=chain_for(PATIENT))
    assert (head.seq, head.head_hash) == (1, kept.hash)


def test_an_unknown_group_writes_nothing() -> None:
    with pytest.raises(ValueError, match="unknown trace group"), transaction.atomic():
        trace(actor=pro_actor(), action="CONSULT", patient_id=PATIENT, group="secret")
    assert not Trace.objects.exists() and not ChainHead.objects.exists()


@pytest.mark.skipif(not POSTGRESQL, reason="row locks: SQLite serialises its writers (BEGIN IMMEDIATE)")
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_to_a_new_chain_never_fork_it() -> None:
    """ADR 0002: writers racing on the FIRST trace of a chain (head creation) and then on its head
    queue on the row lock; the chain ends up 1..n with every link intact."""
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
    seqs = list(Trace.objects.filter(chain=chain_for(PATIENT)).values_list("seq", flat=True))
    assert seqs == list(range(1, writers * per_writer + 1))
    assert ChainHead.objects.get(chain=chain_for(PATIENT)).seq == writers * per_writer
    assert chain_verify(PATIENT) == []
