"""The per-patient hash chain as stored, its append-only guard, and signed checkpoints (invariant 3, R-TR-1).

Moved from ``tests/services/test_audit_chain.py`` and extended.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from django.db import DatabaseError, transaction

from carnet.audit.models import ChainHead, Checkpoint, Trace
from carnet.audit.selectors import chain_verify
from carnet.audit.services import checkpoint_create, checkpoints_sign_moved, public_key, trace
from carnet.audit.verify import checkpoint_message
from carnet.common.actors import Actor
from carnet.common.worker import CYCLE_TASKS, run_cycle
from carnet.config.tasks import load_tasks

from .conftest import guard_dropped

pytestmark = pytest.mark.django_db


def _append(n: int, patient_id: int = 7) -> None:
    for i in range(n):
        with transaction.atomic():
            trace(actor=Actor.system("test"), action=f"act{i}", patient_id=patient_id)


def _problems(patient_id: int = 7) -> list[tuple[int, str]]:
    return [(p.seq, p.problem) for p in chain_verify(patient_id)]


@pytest.mark.django_db(transaction=True)
def test_trace_refuses_to_run_outside_a_transaction() -> None:
    """Invariant 2 (this test also flushes the tables afterwards: the guard lets the test flush through)."""
    with pytest.raises(RuntimeError, match="inside the transaction"):
        trace(actor=Actor.system("test"), action="x", patient_id=1)


@pytest.mark.django_db(transaction=True)
def test_committed_traces_do_not_prevent_the_test_runner_from_emptying_the_tables() -> None:
    """The SQLite guard lets Django's flush statement through (teardown of this test would fail otherwise)."""
    _append(2)
    checkpoint_create(patient_id=7)
    assert Trace.objects.count() == 2


def test_an_intact_chain_verifies() -> None:
    _append(5)
    assert chain_verify(7) == []
    assert list(Trace.objects.filter(patient_id=7).values_list("seq", flat=True)) == [1, 2, 3, 4, 5]


def test_the_hash_does_not_depend_on_the_time_zone_of_the_clock(clock) -> None:  # type: ignore[no-untyped-def]
    """Times are hashed in UTC, so a trace written with a Paris-time clock still verifies once read back."""
    clock.freeze(datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1))))
    _append(2)
    assert chain_verify(7) == []


def test_details_are_hashed_as_the_json_column_returns_them() -> None:
    with transaction.atomic():
        trace(actor=Actor.system("test"), action="x", patient_id=7, details={"n": (1, 2), 3: "three"})
    assert chain_verify(7) == []


def test_an_altered_trace_is_pinpointed() -> None:
    _append(5)
    with guard_dropped():
        Trace.objects.filter(patient_id=7, seq=3).update(action="forged")
    assert _problems() == [(3, "altered")]


def test_a_removed_trace_is_pinpointed() -> None:
    _append(5)
    with guard_dropped():
        Trace.objects.filter(patient_id=7, seq=2)._raw_delete(Trace.objects.db)
    assert _problems() == [(2, "missing")]


def test_two_swapped_sequence_numbers_are_pinpointed_as_reordered() -> None:
    _append(5)
    with guard_dropped():
        Trace.objects.filter(patient_id=7, seq=2).update(seq=-2)
        Trace.objects.filter(patient_id=7, seq=3).update(seq=2)
        Trace.objects.filter(patient_id=7, seq=-2).update(seq=3)
    problems = _problems()
    assert {(2, "reordered"), (3, "reordered")} <= set(problems)
    assert all(kind == "reordered" for _, kind in problems)


def test_traces_cannot_be_updated_or_deleted_through_the_model() -> None:
    _append(1)
    entry = Trace.objects.get(patient_id=7)
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


def test_the_database_refuses_to_update_a_trace() -> None:
    """STYLE: the application may insert traces, never update them (trigger on PostgreSQL and SQLite)."""
    _append(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Trace.objects.filter(patient_id=7, seq=1).update(action="forged")
    assert Trace.objects.get(patient_id=7, seq=1).action == "act0"


def test_the_database_refuses_to_delete_a_trace() -> None:
    _append(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Trace.objects.filter(patient_id=7, seq=2)._raw_delete(Trace.objects.db)
    assert Trace.objects.filter(patient_id=7).count() == 2


def test_the_database_refuses_to_empty_the_trace_table_with_a_plain_delete() -> None:
    """Only Django's own flush statement (test teardown) gets through, not an ORM-wide delete."""
    _append(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Trace.objects.all()._raw_delete(Trace.objects.db)
    assert Trace.objects.count() == 2


def test_the_database_refuses_to_rewrite_a_checkpoint() -> None:
    _append(2)
    checkpoint_create(patient_id=7)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Checkpoint.objects.update(head_hash="0" * 64)


def test_a_checkpoint_signs_the_current_head_once() -> None:
    _append(3)
    first = checkpoint_create(patient_id=7)
    again = checkpoint_create(patient_id=7)
    assert first is not None and again is not None
    assert first.pk == again.pk and first.seq == 3


def test_a_checkpoint_signature_verifies_with_the_public_key() -> None:
    import base64

    _append(2)
    cp = checkpoint_create(patient_id=7)
    assert cp is not None
    public_key().verify(base64.b64decode(cp.signature), checkpoint_message(cp.chain, cp.seq, cp.head_hash))


# --- the checkpoint task -----------------------------------------------------------------------------


def test_the_checkpoint_task_signs_the_head_of_every_moved_chain() -> None:
    _append(3, patient_id=1)
    _append(2, patient_id=2)
    assert checkpoints_sign_moved() == 2
    assert set(Checkpoint.objects.values_list("chain", "seq")) == {("p:1", 3), ("p:2", 2)}


def test_the_checkpoint_task_run_twice_makes_one_checkpoint_per_head() -> None:
    _append(3, patient_id=1)
    load_tasks()["audit.checkpoints"]()
    assert load_tasks()["audit.checkpoints"]() == 0
    assert Checkpoint.objects.count() == 1


def test_the_checkpoint_task_signs_only_chains_that_moved_since() -> None:
    _append(2, patient_id=1)
    _append(2, patient_id=2)
    checkpoints_sign_moved()
    _append(1, patient_id=2)
    assert checkpoints_sign_moved() == 1
    assert list(Checkpoint.objects.filter(chain="p:2").order_by("seq").values_list("seq", flat=True)) == [
        2,
        3,
    ]


def test_the_checkpoint_task_finds_moved_chains_in_one_query(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    """Set-based: one SELECT over all heads, then one INSERT per batch, whatever the number of chains."""
    for patient_id in range(1, 6):
        _append(1, patient_id=patient_id)
    with django_assert_num_queries(2):
        assert checkpoints_sign_moved() == 5


def test_the_checkpoint_task_ignores_chains_without_traces() -> None:
    ChainHead.objects.create(chain="p:99")
    assert checkpoints_sign_moved() == 0


def test_the_worker_cycle_signs_checkpoints() -> None:
    assert "audit.checkpoints" in CYCLE_TASKS
    _append(1)
    results = run_cycle()
    assert results["audit.checkpoints"] == 1
    assert Checkpoint.objects.filter(chain="p:7", seq=1).exists()
