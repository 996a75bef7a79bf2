"""What a trace holds of a person is sealed under his key, so that an erasure takes it from the history too
(issue 12 item 1; ADR 0008; invariants 3 and 4; R-EM-6, R-TR-3).

A patient-side actor's name (the holder, his legal representative, his caregiver) and the written reason of
an emergency access are the two things an append-only trace may hold that an erasure must take away. They
are sealed under the patient's data key; the leaf hash covers them as written, so the transparency log
proves the same entries as before, and once the key is destroyed nobody can read them — in the database,
its dumps or its backups — while the log still verifies.
"""

from __future__ import annotations

import types
from typing import Any

import pytest
from django.db import connection, transaction

from carnet.audit.checks import log_verify
from carnet.audit.hooks import ContentUnavailable
from carnet.audit.log import log_sequence
from carnet.audit.models import LogQueue, Trace
from carnet.audit.selectors import history_for_viewer
from carnet.audit.services import opened
from carnet.common.actors import ActorKind
from carnet.vault.blobstore import patient_data_key, patient_key_destroy

from .conftest import add_trace, guard_dropped, patient_actor, person_with_space, pro_actor

pytestmark = pytest.mark.django_db

REASON = "Patient inconscient, suspicion d'overdose"


def _raw_row(t: Trace) -> str:
    """Every column of the trace's row as the database holds it (what a dump or a DBA sees)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {quote(Trace._meta.db_table)} WHERE id = %s", [t.pk])
        row = cursor.fetchone()
    return " ".join(
        bytes(v).hex() + bytes(v).decode("latin-1") if isinstance(v, bytes | memoryview) else str(v)
        for v in row
    )


@pytest.mark.parametrize(
    "kind", [ActorKind.PATIENT, ActorKind.LEGAL_REPRESENTATIVE, ActorKind.CAREGIVER], ids=str
)
def test_a_patient_side_actors_name_is_never_stored_in_clear(clock: Any, kind: ActorKind) -> None:
    holder = person_with_space()
    actor = patient_actor(holder, kind)
    t = add_trace(holder, actor=actor, action="DOCUMENT_LIST", group="documents")
    stored = Trace.objects.get(pk=t.pk)
    assert holder.birth_name not in _raw_row(stored) and holder.first_name not in _raw_row(stored)
    assert stored.actor_label == "" and stored.sealed
    assert opened(stored)["actor_label"] == holder.display_name


def test_an_emergency_reason_is_never_stored_in_clear_and_the_history_shows_it(clock: Any) -> None:
    holder = person_with_space()
    t = add_trace(holder, actor=pro_actor(), action="BREAK_THE_GLASS", mode="BTG", reason=REASON)
    stored = Trace.objects.get(pk=t.pk)
    assert "overdose" not in _raw_row(stored) and stored.reason == ""
    assert stored.actor_label == "Dr Anne DURAND"  # a professional's name is not the patient's
    (entry,) = history_for_viewer(
        patient_id=holder.pk, viewer_kind="PATIENT", hidden_object_ids=set()
    ).entries
    assert entry.emergency_reason == REASON and entry.is_emergency


def test_a_professionals_ordinary_read_seals_nothing(clock: Any) -> None:
    """The hot path pays nothing: no key, no cipher for a read with neither a patient name nor a reason."""
    holder = person_with_space()
    t = add_trace(holder, actor=pro_actor(), action="DOCUMENT_LIST", group="documents")
    assert Trace.objects.get(pk=t.pk).sealed is None


def test_sealing_changes_nothing_in_the_log(clock: Any) -> None:
    holder = person_with_space()
    add_trace(holder, actor=patient_actor(holder), action="DOCUMENT_LIST", group="documents")
    add_trace(holder, actor=pro_actor(), action="BREAK_THE_GLASS", mode="BTG", reason=REASON)
    assert log_sequence() is not None
    report = log_verify(witness=False)
    assert report.ok and report.unreadable == 0


def test_a_sealed_payload_moved_to_another_trace_does_not_open_and_is_reported(clock: Any) -> None:
    """An attacker with database access copies a sealed reason onto another entry: it fails to open there
    (bound to its trace), the sequencer refuses the entry and the server's check names it."""
    holder = person_with_space()
    source = add_trace(holder, actor=pro_actor(), action="BREAK_THE_GLASS", mode="BTG", reason=REASON)
    target = add_trace(holder, actor=pro_actor(), action="CONSULT", mode="BTG", reason="Autre motif")
    with guard_dropped():
        Trace.objects.filter(pk=target.pk).update(sealed=Trace.objects.get(pk=source.pk).sealed)
        log_sequence()
        assert LogQueue.objects.filter(trace_id=target.pk).exists()  # not sequenced
        report = log_verify(witness=False)
    assert not report.ok
    assert any(p.problem == "altered" and "scellé" in p.detail for p in report.problems)


def test_once_the_key_is_destroyed_nobody_reads_them_and_the_log_still_verifies(clock: Any) -> None:
    holder = person_with_space()
    mine = add_trace(holder, actor=patient_actor(holder), action="DOCUMENT_LIST", group="documents")
    add_trace(holder, actor=pro_actor(), action="BREAK_THE_GLASS", mode="BTG", reason=REASON)
    log_sequence()
    late = add_trace(holder, actor=pro_actor(), action="CONSULT", mode="BTG", reason=REASON)  # queued
    with transaction.atomic():
        patient_key_destroy(holder.pk)
    with pytest.raises(ContentUnavailable):
        opened(Trace.objects.get(pk=mine.pk))
    assert log_sequence() is not None  # the queued entry is sequenced by its stored hash and signature
    assert not LogQueue.objects.filter(trace_id=late.pk).exists()
    report = log_verify(witness=False)
    assert report.ok and report.unreadable == 3


def test_an_act_on_an_erased_space_keeps_no_name_at_all(clock: Any) -> None:
    holder = person_with_space()
    with transaction.atomic():
        patient_data_key(holder.pk)
        patient_key_destroy(holder.pk)
    t = add_trace(holder, actor=patient_actor(holder), action="LOGIN")
    stored = Trace.objects.get(pk=t.pk)
    assert stored.sealed is None and stored.actor_label == "" and holder.birth_name not in _raw_row(stored)
    log_sequence()
    assert log_verify(witness=False).ok


def test_the_migration_seals_what_older_traces_hold_in_clear_and_the_log_still_verifies(clock: Any) -> None:
    """Migration 0005 on a database written before ADR 0008: names and reasons leave the clear columns,
    the leaf hashes stay valid; an erased patient's (key already gone) are dropped. It lifts the
    append-only trigger for its own UPDATE and puts it back."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("carnet.audit.migrations.0005_trace_sealed_names_and_reasons")
    first = importlib.import_module("carnet.audit.migrations.0002_append_only_triggers")
    log_tables = importlib.import_module("carnet.audit.migrations.0004_log_append_only_triggers")
    reinstall = {
        "postgresql": first.POSTGRESQL_INSTALL[:1]
        + [s for s in first.POSTGRESQL_INSTALL if "audit_trace" in s],
        "sqlite": [s for s in log_tables.SQLITE_INSTALL if " ON audit_trace " in s],
    }[connection.vendor]
    holder, erased = person_with_space(), person_with_space()
    older = [
        add_trace(holder, actor=patient_actor(holder), action="DOCUMENT_LIST", group="documents"),
        add_trace(holder, actor=pro_actor(), action="BREAK_THE_GLASS", mode="BTG", reason=REASON),
        add_trace(erased, actor=patient_actor(erased), action="LOGIN"),
    ]
    log_sequence()
    with connection.cursor() as cursor:
        editor = types.SimpleNamespace(
            connection=connection, execute=lambda sql, params=None: cursor.execute(sql)
        )
        with guard_dropped():  # back to what the columns held before the migration
            for t in older:
                Trace.objects.filter(pk=t.pk).update(sealed=None, **opened(t))
        for sql in reinstall:  # the guard is in place again, as in a real database
            cursor.execute(sql)
        with transaction.atomic():
            patient_data_key(erased.pk)
            patient_key_destroy(erased.pk)
        assert "overdose" in _raw_row(older[1]) and holder.birth_name in _raw_row(older[0])
        migration.seal_existing(apps, editor)
        with pytest.raises(Exception, match="append-only"), transaction.atomic():
            Trace.objects.filter(pk=older[0].pk).update(action="FORGED")  # the trigger is back
    assert "overdose" not in _raw_row(older[1]) and holder.birth_name not in _raw_row(older[0])
    assert opened(Trace.objects.get(pk=older[1].pk))["reason"] == REASON
    assert opened(Trace.objects.get(pk=older[0].pk))["actor_label"] == holder.display_name
    assert Trace.objects.get(pk=older[2].pk).sealed == b"" and erased.birth_name not in _raw_row(older[2])
    report = log_verify(witness=False)
    assert report.ok and report.unreadable == 1
