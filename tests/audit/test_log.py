"""The global transparency log as stored: sequencing, signed heads, append-only tables, the worker
(ARCHITECTURE invariant 3, R-TR-1; ADR 0007)."""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from carnet.audit import merkle
from carnet.audit.log import LogIntegrityError, head_bytes, log_sequence, read_hashes
from carnet.audit.models import (
    HeadIssued,
    LogCheck,
    LogHash,
    LogLeaf,
    LogQueue,
    Trace,
    TreeHead,
    WitnessCosignature,
)
from carnet.audit.selectors import chain_verify
from carnet.audit.services import public_key_b64, trace
from carnet.audit.verify import leaf_hash_of, verify_signature
from carnet.common.actors import Actor
from carnet.config.worker import CYCLE_TASKS, run_cycle
from carnet.tasks import load_tasks

from .conftest import add_trace, guard_dropped

pytestmark = pytest.mark.django_db


def _append(n: int, patient_id: int = 7) -> list[Trace]:
    return [add_trace(patient_id, actor=Actor.system("test"), action=f"act{i}") for i in range(n)]


def test_a_trace_is_queued_with_its_leaf_hash_and_signed_entry_timestamp(clock: Any) -> None:
    t = _append(1)[0]
    assert LogQueue.objects.filter(trace_id=t.pk).exists() and not LogLeaf.objects.exists()
    stored = Trace.objects.get(pk=t.pk)
    from carnet.audit.services import leaf_content
    from carnet.audit.verify import leaf_text, sct_message

    digest = leaf_hash_of(leaf_text(leaf_content(stored)))
    assert stored.leaf_hash == digest.hex()
    assert verify_signature(public_key_b64(), stored.sct, sct_message(digest))


def test_two_traces_with_the_same_content_get_different_leaf_hashes(clock: Any) -> None:
    """The per-entry nonce: sibling hashes revealed by other patients' proofs cannot be confirmed by
    guessing an entry's content (same actor, action, patient, instant)."""
    a, b = (add_trace(7, actor=Actor.system("x"), action="CONSULT") for _ in range(2))
    assert a.leaf_hash != b.leaf_hash and a.nonce != b.nonce and len(a.nonce) == 32


def test_the_sequencer_gives_queued_traces_consecutive_leaves_in_id_order(clock: Any) -> None:
    traces = _append(3, patient_id=1) + _append(2, patient_id=2)
    head = log_sequence()
    assert head is not None and head.size == 5
    assert list(LogLeaf.objects.order_by("index").values_list("trace_id", flat=True)) == [
        t.pk for t in traces
    ]
    assert not LogQueue.objects.exists()


def test_the_stored_hashes_give_the_root_of_the_signed_head(clock: Any) -> None:
    traces = _append(6)
    head = log_sequence()
    assert head is not None
    leaves = [bytes.fromhex(t.leaf_hash) for t in traces]
    expected = merkle.CompactRange()
    for leaf in leaves:
        expected.append(leaf)
    assert head.root_hash == expected.root().hex() == merkle.tree_hash(6, read_hashes).hex()
    assert LogHash.objects.count() == merkle.stored_hash_count(6)
    assert verify_signature(public_key_b64(), head.signature, head_bytes(head))


def test_sequencing_twice_signs_one_head_per_new_size(clock: Any) -> None:
    _append(2)
    first = log_sequence()
    again = log_sequence()
    assert first is not None and again is not None and first.size == again.size == 2
    assert TreeHead.objects.count() == 1
    _append(1)
    assert log_sequence().size == 3  # type: ignore[union-attr]
    assert list(TreeHead.objects.order_by("size").values_list("size", flat=True)) == [2, 3]


def test_an_empty_log_signs_nothing(clock: Any) -> None:
    assert log_sequence() is None and not TreeHead.objects.exists()


def test_a_rolled_back_act_leaves_neither_its_trace_nor_its_queue_row(clock: Any) -> None:
    kept = _append(1)[0]
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        trace(actor=Actor.system("x"), action="CONSULT", patient_id=7)
        1 / 0  # noqa: B018 (the act fails after its trace)
    assert list(Trace.objects.values_list("pk", flat=True)) == [kept.pk]
    assert list(LogQueue.objects.values_list("trace_id", flat=True)) == [kept.pk]


def test_a_patient_s_entries_verify_once_sequenced_and_while_queued(clock: Any) -> None:
    _append(3)
    assert chain_verify(7) == []
    log_sequence()
    _append(1)  # queued, not yet in a head
    assert chain_verify(7) == []


def test_the_sequencer_refuses_when_the_stored_tree_no_longer_gives_the_signed_root(
    clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Fail closed: a stored hash rewritten under the last signed head stops sequencing, with a log line
    naming no content."""
    traces = _append(4)
    log_sequence()
    _append(1)
    with guard_dropped():
        LogHash.objects.filter(index=merkle.stored_hash_index(2, 0)).update(hash="ab" * 32)
        with caplog.at_level(logging.ERROR, logger="carnet.audit.log"), pytest.raises(LogIntegrityError):
            log_sequence()
    assert "sequencing refused" in caplog.text and traces[0].action not in caplog.text
    assert TreeHead.objects.count() == 1


def test_the_sequencer_refuses_when_the_last_head_is_not_signed_by_the_log_key(clock: Any) -> None:
    _append(2)
    log_sequence()
    _append(1)
    with guard_dropped():
        TreeHead.objects.update(signature=base64.b64encode(b"\0" * 64).decode())
        with pytest.raises(LogIntegrityError, match="not signed"):
            log_sequence()


def test_the_sequencer_refuses_leaves_beyond_the_last_signed_head(clock: Any) -> None:
    traces = _append(2)
    log_sequence()
    with guard_dropped():
        LogLeaf.objects.create(index=2, trace_id=traces[0].pk + 1000)
        with pytest.raises(LogIntegrityError, match="beyond"):
            log_sequence()


def test_a_queued_trace_that_no_longer_matches_its_signature_is_not_sequenced(clock: Any) -> None:
    """A row inserted or edited by someone without the log key stays queued (and is reported)."""
    good, forged = _append(2)
    with guard_dropped():
        Trace.objects.filter(pk=forged.pk).update(action="SOMETHING_ELSE")
        head = log_sequence()
    assert head is not None and head.size == 1
    assert list(LogLeaf.objects.values_list("trace_id", flat=True)) == [good.pk]
    assert list(LogQueue.objects.values_list("trace_id", flat=True)) == [forged.pk]


REWRITES: list[tuple[Any, dict[str, Any]]] = [
    (LogLeaf, {"trace_id": 0}),
    (LogHash, {"hash": "0" * 64}),
    (TreeHead, {"timestamp": 0}),
    (HeadIssued, {"tree_size": 0}),
    (WitnessCosignature, {"time": 0}),
    (LogCheck, {"problems": 5}),
    (Trace, {"action": "forged"}),
]


@pytest.mark.parametrize(("model", "rewrite"), REWRITES, ids=[m.__name__ for m, _ in REWRITES])
def test_the_database_refuses_to_update_or_delete_a_row_of_the_log(
    clock: Any, model: Any, rewrite: dict[str, Any]
) -> None:
    """STYLE: append-only in the database, on every table of the log but the queue."""
    from carnet.audit.checks import log_check_record
    from carnet.audit.export import history_export

    _append(2)
    history_export(actor=Actor.system("x"), patient_id=7, hidden_object_ids=set())
    log_check_record(witness=False)
    if model is WitnessCosignature:
        WitnessCosignature.objects.create(
            tree_size=3, witness="w", witness_key_id="k" * 16, time=1, signature="s"
        )
    assert model.objects.exists()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        model.objects.update(**rewrite)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        model.objects.all()._raw_delete(model.objects.db)
    assert model.objects.exists()


def test_the_queue_is_the_one_table_rows_may_leave(clock: Any) -> None:
    _append(1)
    assert LogQueue.objects.all().delete()[0] == 1


def test_log_rows_cannot_be_updated_or_deleted_through_the_model(clock: Any) -> None:
    _append(1)
    log_sequence()
    for row in (Trace.objects.get(), LogLeaf.objects.get(), TreeHead.objects.get()):
        with pytest.raises(RuntimeError, match="append-only"):
            row.save()
        with pytest.raises(RuntimeError, match="append-only"):
            row.delete()


@pytest.mark.django_db(transaction=True)
def test_committed_log_rows_do_not_prevent_the_test_runner_from_emptying_the_tables() -> None:
    """The SQLite guard lets Django's flush statement through (teardown of this test would fail otherwise)."""
    _append(2)
    log_sequence()
    assert TreeHead.objects.count() == 1


# --- the worker ----------------------------------------------------------------------------------------


def test_the_worker_cycle_sequences_the_log_and_checks_it_once_a_day(clock: Any) -> None:
    assert {"audit.sequence", "audit.witness_push", "audit.verify_log"} <= set(CYCLE_TASKS)
    _append(2)
    results = run_cycle()
    assert results["audit.sequence"] == 2 and results["audit.verify_log"] == "ok"
    assert run_cycle()["audit.verify_log"] == "not due"
    clock.advance(hours=25)
    assert run_cycle()["audit.verify_log"] == "ok"
    assert LogCheck.objects.filter(ok=True).count() == 2


def test_the_sequence_task_reports_a_refusal_instead_of_signing(clock: Any) -> None:
    _append(2)
    log_sequence()
    _append(1)
    with guard_dropped():
        LogLeaf.objects.filter(index=1)._raw_delete(LogLeaf.objects.db)
        assert load_tasks()["audit.sequence"]() == "refused"
    assert TreeHead.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row-level concurrency: PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_traces_committed_out_of_id_order_are_each_sequenced_once() -> None:
    """A trace with a smaller id committed after the sequencer ran is sequenced by the next run: the
    queue (not "ids above the last one") is what the sequencer reads, so nothing is skipped."""
    from django.db import connections

    slow = connections.create_connection("default")
    try:
        slow.set_autocommit(False)
        with slow.cursor() as cursor:  # an act's transaction, open: its trace has the smaller id
            cursor.execute("SELECT nextval(pg_get_serial_sequence('audit_trace', 'id'))")
            early_id = cursor.fetchone()[0]
        later = add_trace(7, action="LATER")
        assert later.pk > early_id
        assert log_sequence().size == 1  # type: ignore[union-attr]
        with slow.cursor() as cursor:
            from carnet.audit.services import _build_trace_sql

            t = Trace(
                patient_id=7,
                at=later.at,
                actor_kind="SYSTEM",
                actor_id="x",
                actor_label="",
                action="EARLY",
                group="general",
                object_type="",
                object_id="",
                mode="",
                reason="",
                outcome="ALLOW",
                details={},
                nonce="0" * 32,
            )
            from carnet.audit.services import _key, leaf_content
            from carnet.audit.verify import leaf_text, sct_message

            digest = leaf_hash_of(leaf_text(leaf_content(t)))
            t.leaf_hash, t.key_id = digest.hex(), _key().key_id
            t.sct = base64.b64encode(_key().private.sign(sct_message(digest))).decode()
            sql = _build_trace_sql(slow)
            columns = ", ".join(f'"{f.column}"' for f in sql.fields)
            values = [f.get_db_prep_save(getattr(t, f.attname), slow) for f in sql.fields]
            cursor.execute(
                f'WITH ins AS (INSERT INTO "audit_trace" ("id", {columns}) VALUES (%s, {", ".join(["%s"] * len(values))}) '
                'RETURNING "id") INSERT INTO "audit_logqueue" ("trace_id") SELECT "id" FROM ins',
                [early_id, *values],
            )
        slow.commit()
        head = log_sequence()
        assert head is not None and head.size == 2
        assert list(LogLeaf.objects.order_by("index").values_list("trace_id", flat=True)) == [
            later.pk,
            early_id,
        ]
        assert chain_verify(7) == []
    finally:
        slow.close()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row-level concurrency: PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_concurrent_sequencers_never_fork_the_tree() -> None:
    import threading

    from django.db import connections

    for i in range(40):
        add_trace(7 + i % 3, action=f"a{i}")
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            for _ in range(3):
                log_sequence(limit=7)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log_sequence()
    assert errors == []
    assert list(LogLeaf.objects.order_by("index").values_list("index", flat=True)) == list(range(40))
    from carnet.audit.checks import log_verify

    report = log_verify(witness=False)
    assert report.ok, report.lines()
