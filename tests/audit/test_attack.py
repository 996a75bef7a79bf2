"""The attack of issue 12 item 4, and its variants, done in SQL with the append-only triggers dropped —
what an attacker with database rights but without the log's private key can do (ADR 0007).

He rewrites an entry and recomputes everything that can be recomputed without the key: the leaf hash,
every stored hash of the tree, the heads' roots. The server's check names the rewritten entry; the
sequencer refuses to sign over it, so downloads stop (fail closed). If he then also resets the log so
that the server re-signs a fresh one, the patient's offline verifier given an older download names the
first changed entry, and the witness's heads no longer match.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from carnet.audit import merkle
from carnet.audit.checks import BAD_ENTRY_SIGNATURE, log_check_record, log_verify
from carnet.audit.export import history_export
from carnet.audit.log import LogIntegrityError, log_sequence
from carnet.audit.models import HeadIssued, LogHash, LogLeaf, LogQueue, Trace, TreeHead
from carnet.audit.services import leaf_content, public_key_b64
from carnet.audit.verify import leaf_hash_of, leaf_text, verify_document, verify_since
from carnet.audit.witnessing import witness_push

from . import tampering
from .conftest import add_trace, guard_dropped, logged_in, other_patients_traces, person_with_space

pytestmark = pytest.mark.django_db


def _recompute_tree_and_roots() -> None:
    """Everything an attacker without the key can recompute: the stored hashes from the (rewritten)
    leaf hashes, and each head's root — its signature stays, he cannot make a new one."""
    tree = merkle.CompactRange()
    stored: list[LogHash] = []
    roots: dict[int, str] = {}
    traces = {t.pk: t for t in Trace.objects.all()}
    for index, trace_id in LogLeaf.objects.order_by("index").values_list("index", "trace_id"):
        base = merkle.stored_hash_index(0, index)
        for offset, value in enumerate(tree.append(bytes.fromhex(traces[trace_id].leaf_hash))):
            stored.append(LogHash(index=base + offset, hash=value.hex()))
        roots[tree.size] = tree.root().hex()
    LogHash.objects.all()._raw_delete(LogHash.objects.db)
    LogHash.objects.bulk_create(stored)
    for size, root in roots.items():
        TreeHead.objects.filter(size=size).update(root_hash=root)


def _rewrite(trace: Trace, **changes: Any) -> None:
    Trace.objects.filter(pk=trace.pk).update(**changes)
    rewritten = Trace.objects.get(pk=trace.pk)
    Trace.objects.filter(pk=trace.pk).update(leaf_hash=leaf_hash_of(leaf_text(leaf_content(rewritten))).hex())


def _reset_log() -> None:
    """The attacker makes the server start the log again: every leaf, hash, head and record of given
    heads goes, every trace is queued again. The server then signs fresh heads over what is left."""
    for model in (LogLeaf, LogHash, TreeHead, HeadIssued, LogQueue):
        model.objects.all()._raw_delete(model.objects.db)
    LogQueue.objects.bulk_create([LogQueue(trace_id=pk) for pk in Trace.objects.values_list("pk", flat=True)])


def _history(clock: Any) -> tuple[dict[str, Any], list[Trace]]:
    """A patient's history downloaded once (OLD), then more activity."""
    mine = []
    for i in range(4):
        mine.append(
            add_trace(tampering.PATIENT, action="CONSULT", object_type="document", object_id=f"doc-{i}")
        )
        other_patients_traces(1, first_patient=900 + i)
        clock.advance(minutes=5)
    old = history_export(actor=tampering.HOLDER, patient_id=tampering.PATIENT, hidden_object_ids=set())
    clock.advance(days=1)
    add_trace(tampering.PATIENT, action="CONSULT", object_type="document", object_id="doc-late")
    log_sequence()
    witness_push()  # after commit in the application; these tests' transactions never commit
    return old, mine


def _leaf_of(trace: Trace) -> int:
    return LogLeaf.objects.get(trace_id=trace.pk).index


def test_the_issue_s_attack_is_named_by_the_server_check_and_stops_the_sequencer(clock: Any) -> None:
    """Rewrite an entry, recompute every leaf hash, stored hash and head root: the server's check names
    the rewritten entry (leaf index, date, action); the heads' signatures no longer match; nothing new
    is signed over it and the patient's download is refused instead of proving a forged history."""
    _old, mine = _history(clock)
    target = mine[1]
    index = _leaf_of(target)
    with guard_dropped():
        _rewrite(target, action="DOCUMENT_DOWNLOADED")
        _recompute_tree_and_roots()
        report = log_verify(witness=False)
        first = report.first_changed
        assert first is not None and (first.index, first.problem) == (index, BAD_ENTRY_SIGNATURE)
        assert first.action == "DOCUMENT_DOWNLOADED" and first.at == target.at.isoformat()
        assert {p.problem for p in report.problems} == {BAD_ENTRY_SIGNATURE, "bad_head_signature"}
        add_trace(tampering.PATIENT, action="CONSULT")
        with pytest.raises(LogIntegrityError):
            log_sequence()
        with pytest.raises(LogIntegrityError):
            history_export(actor=tampering.HOLDER, patient_id=tampering.PATIENT, hidden_object_ids=set())


def test_the_issue_s_attack_with_a_reset_log_is_named_by_the_offline_verifier_given_an_older_download(
    clock: Any,
) -> None:
    """Same rewrite, and the attacker also resets the log so that the server signs a fresh one. The new
    download verifies on its own — but not against the patient's older download, which names the first
    changed entry by its leaf index, date and action as the patient saw them; the server's check reports
    the rewritten trace, which the sequencer refused to put back."""
    old, mine = _history(clock)
    target = mine[1]
    index = _leaf_of(target)
    with guard_dropped():
        _rewrite(target, action="DOCUMENT_DOWNLOADED", actor_label="Dr Quelqu'un")
        _recompute_tree_and_roots()
        _reset_log()
        new = history_export(actor=tampering.HOLDER, patient_id=tampering.PATIENT, hidden_object_ids=set())
        report = log_verify(witness=False)
    key = public_key_b64()
    assert verify_document(new, public_key_b64=key).ok  # self-consistent, freshly signed by the server
    offline = verify_since(new, old, public_key_b64=key)
    first = offline.first_changed
    assert first is not None and first.index == index
    assert (first.action, first.at) == ("CONSULT", target.at.isoformat())
    assert {p.problem for p in offline.problems} >= {"not_extended"}
    forged = [p for p in report.problems if p.problem == BAD_ENTRY_SIGNATURE]
    assert [(p.action, p.at) for p in forged] == [("DOCUMENT_DOWNLOADED", target.at.isoformat())]


def test_a_deleted_entry_is_named_by_the_server_check_and_by_the_older_download(clock: Any) -> None:
    old, mine = _history(clock)
    index = _leaf_of(mine[2])
    with guard_dropped():
        Trace.objects.filter(pk=mine[2].pk)._raw_delete(Trace.objects.db)
        report = log_verify(witness=False)
        assert report.first_changed is not None and report.first_changed.index == index
        assert report.first_changed.problem == "missing"
        _reset_log()
        new = history_export(actor=tampering.HOLDER, patient_id=tampering.PATIENT, hidden_object_ids=set())
    offline = verify_since(new, old, public_key_b64=public_key_b64())
    assert offline.first_changed is not None and offline.first_changed.index == index
    assert offline.first_changed.action == "CONSULT"


def test_a_truncated_log_is_caught_by_its_witness_file_and_by_the_older_download(
    clock: Any, settings: Any, tmp_path: Any
) -> None:
    """The attacker deletes the last leaves, hashes and heads so that the database is consistent with an
    older head: the witness file has seen the newer heads, so the sequencer refuses and the check says so;
    the patient's older download covers entries the log no longer has."""
    settings.CARNET_AUDIT_WITNESS_FILE = str(tmp_path / "witness.jsonl")
    old, mine = _history(clock)
    keep = _leaf_of(mine[1])  # the log is cut right after the patient's second entry
    lost = _leaf_of(mine[2])
    with guard_dropped():
        for model, column, limit in (
            (LogLeaf, "index__gt", keep),
            (LogHash, "index__gte", merkle.stored_hash_count(keep + 1)),
            (TreeHead, "size__gt", keep + 1),
        ):
            model.objects.filter(**{column: limit})._raw_delete(model.objects.db)
        merkle_root = merkle.tree_hash(
            keep + 1, lambda ids: [bytes.fromhex(h) for h in (LogHash.objects.get(index=i).hash for i in ids)]
        )
        from carnet.audit.log import sign_head

        if not TreeHead.objects.filter(size=keep + 1).exists():
            sign_head(keep + 1, merkle_root)  # the server would sign it if asked: the witness objects
        with pytest.raises(LogIntegrityError, match="witness file"):
            log_sequence()
        report = log_verify()
        settings.CARNET_AUDIT_WITNESS_FILE = str(tmp_path / "elsewhere.jsonl")  # the attacker hides it too
        new = history_export(actor=tampering.HOLDER, patient_id=tampering.PATIENT, hidden_object_ids=set())
    problems = {p.problem for p in report.problems}
    assert {"unlogged", "witness"} <= problems
    offline = verify_since(new, old, public_key_b64=public_key_b64())
    assert offline.first_changed is not None and offline.first_changed.index == lost
    assert offline.first_changed.action == "CONSULT"


def test_a_forged_entry_inserted_in_sql_is_never_sequenced_and_is_reported(clock: Any) -> None:
    _history(clock)
    victim = person_with_space()
    forged = add_trace(victim, action="CONSULT")
    with guard_dropped():
        Trace.objects.filter(pk=forged.pk).update(actor_label="Dr Inventé")
        _rewrite(Trace.objects.get(pk=forged.pk))
        head = log_sequence()
        report = log_verify(witness=False)
    assert head is not None and not LogLeaf.objects.filter(trace_id=forged.pk).exists()
    assert [(p.index, p.problem) for p in report.problems] == [(None, BAD_ENTRY_SIGNATURE)]


def test_two_reordered_leaves_are_named_by_the_server_check(clock: Any) -> None:
    _old, mine = _history(clock)
    a, b = _leaf_of(mine[0]), _leaf_of(mine[1])
    with guard_dropped():
        LogLeaf.objects.filter(index=a).update(trace_id=-1)
        LogLeaf.objects.filter(index=b).update(trace_id=mine[0].pk)
        LogLeaf.objects.filter(index=a).update(trace_id=mine[1].pk)
        _recompute_tree_and_roots()
        report = log_verify(witness=False)
    assert report.first_changed is not None
    assert (report.first_changed.index, report.first_changed.problem) == (a, "moved")
    assert (b, "moved") in {(p.index, p.problem) for p in report.problems}


def test_a_replaced_signed_head_is_caught(clock: Any) -> None:
    _history(clock)
    first, last = TreeHead.objects.order_by("size").first(), TreeHead.objects.order_by("-size").first()
    assert first is not None and last is not None and first.size != last.size
    with guard_dropped():
        TreeHead.objects.filter(size=last.size).update(root_hash=first.root_hash, signature=first.signature)
        report = log_verify(witness=False)
        with pytest.raises(LogIntegrityError):
            log_sequence()
    assert {(p.index, p.problem) for p in report.problems} >= {
        (None, "bad_head_signature"),
        (None, "head_mismatch"),
    }


def test_a_witness_that_saw_a_different_head_is_reported(clock: Any, settings: Any, tmp_path: Any) -> None:
    settings.CARNET_AUDIT_WITNESS_FILE = str(tmp_path / "witness.jsonl")
    _history(clock)
    with guard_dropped():
        _reset_log()  # the server re-signs: same sizes, other timestamps and roots than the witness saw
        add_trace(tampering.PATIENT, action="CONSULT")
        settings.CARNET_AUDIT_WITNESS_FILE = str(tmp_path / "elsewhere.jsonl")  # keep the sequencer going
        log_sequence()
        witness_push()
        settings.CARNET_AUDIT_WITNESS_FILE = str(tmp_path / "witness.jsonl")
        report = log_verify()
    witness = [p for p in report.problems if p.problem == "witness"]
    assert witness and all("différente" in p.detail or "inconnue" in p.detail for p in witness)


def test_the_periodic_check_records_a_failure_without_content(clock: Any, caplog: Any) -> None:
    _old, mine = _history(clock)
    with guard_dropped():
        _rewrite(mine[0], reason="motif inventé")
        check = log_check_record(witness=False)
    assert not check.ok and check.first_problem.startswith(f"entrée / entry {_leaf_of(mine[0])}")
    assert "motif inventé" not in check.first_problem and "motif inventé" not in caplog.text


def test_an_entry_whose_content_can_no_longer_be_read_still_verifies_by_its_stored_hash(
    clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Item 10: once a field is sealed under an erased patient's key, the check verifies the entry by its
    stored leaf hash and signed entry timestamp — and still catches a rewritten stored hash."""
    from carnet.audit import checks
    from carnet.audit.services import ContentUnavailable

    _old, mine = _history(clock)
    sealed = {t.pk for t in mine}

    def unreadable(t: Trace) -> dict[str, Any]:
        if t.pk in sealed:
            raise ContentUnavailable
        return leaf_content(t)

    monkeypatch.setattr(checks, "leaf_content", unreadable)
    report = log_verify(witness=False)
    assert report.ok and report.unreadable == len(mine)
    with guard_dropped():
        Trace.objects.filter(pk=mine[0].pk).update(leaf_hash="ab" * 32)
        report = log_verify(witness=False)
    assert report.first_changed is not None and report.first_changed.index == _leaf_of(mine[0])


def test_a_download_refused_by_the_integrity_check_shows_an_error_page_and_writes_nothing(clock: Any) -> None:
    me = person_with_space()
    add_trace(me, action="CONSULT")
    log_sequence()
    with guard_dropped():
        TreeHead.objects.update(root_hash="ab" * 32)
        before = Trace.objects.count()
        response = logged_in(me).post(reverse("audit:history_download"))
        assert response.status_code == 503 and "indisponible" in response.content.decode()
        assert Trace.objects.count() == before
    assert connection.vendor in {"sqlite", "postgresql"}
    assert json.dumps({}) == "{}"
