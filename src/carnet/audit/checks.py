"""The server's own check of the transparency log (``carnet verify-log``, task ``audit.verify_log``).

``log_verify()`` rebuilds the whole tree from the stored traces, in leaf order and in ``O(log n)``
memory (``merkle.CompactRange``):

* every entry's leaf hash is recomputed from its stored content (or, when the content can no longer be
  read — ``services.ContentUnavailable`` — taken from the row) and its signed entry timestamp checked;
* every hash the tree stores is compared with the rebuilt one, and **every stored signed head** with
  the rebuilt root at its size (and its signature with the log key);
* traces that are neither sequenced nor queued, and queued traces that do not match their signature,
  are reported; so are the heads a witness holds that the database does not (``witnessing``).

The first problem found in leaf order names the entry (leaf index, date, action): with an attacker who
rewrote one entry and recomputed every hash he could, it is the rewritten one, because he cannot sign.
Nothing here prints an entry's content beyond its date and action code.

``patient_log_verify(patient_id)`` checks one patient's entries (what ``chain_verify`` did for a chain).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, timedelta

from django.conf import settings
from django.db import transaction

from carnet.common import clock

from . import merkle
from .hooks import SealedContentAltered
from .log import head_bytes, inclusion_proofs, latest_head
from .models import LogCheck, LogHash, LogLeaf, LogQueue, Trace, TreeHead
from .services import ContentUnavailable, leaf_content, log_origin, public_key_b64
from .verify import (
    ALTERED,
    BAD_ENTRY_SIGNATURE,
    BAD_HEAD_SIGNATURE,
    NOT_IN_LOG,
    Problem,
    leaf_hash_of,
    leaf_index_message,
    leaf_text,
    sct_message,
    verify_signature,
    where,
)

log = logging.getLogger("carnet.audit.checks")

# Problem kinds of the stored log (besides those of ``verify``).
MISSING = "missing"  # a leaf index without its trace, or a gap in the leaves
STORED_HASH = "stored_hash"  # a stored hash differs from the one rebuilt from the entries
HEAD_MISMATCH = "head_mismatch"  # a signed head's root differs from the rebuilt tree at its size
HEAD_BEYOND = "head_beyond"  # a signed head larger than the stored log
UNLOGGED = "unlogged"  # a trace neither sequenced nor queued
MOVED = "moved"  # a leaf's index is not the one the sequencer signed for it (leaves swapped or moved)
WITNESS = "witness"  # a witness saw a head the database does not have, or cannot confirm ours

CHUNK = 2_000


@dataclass
class LogReport:
    problems: list[Problem] = field(default_factory=list)
    tree_size: int = 0
    heads_checked: int = 0
    unreadable: int = 0  # entries verified by their stored leaf hash only
    queued: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_changed(self) -> Problem | None:
        named = [p for p in self.problems if p.index is not None]
        return min(named, key=lambda p: p.index or 0) if named else None

    def add(self, index: int | None, problem: str, detail: str = "", t: Trace | None = None) -> None:
        at = t.at.astimezone(UTC).isoformat() if t is not None else ""
        self.problems.append(Problem(index, problem, detail, at, t.action if t is not None else ""))

    def lines(self) -> list[str]:
        lines = [
            f"Entrées du journal / log entries: {self.tree_size} (en attente / queued: {self.queued}, "
            f"vérifiées par leur empreinte seule / verified by their leaf hash only: {self.unreadable})",
            f"Têtes signées vérifiées / signed heads checked: {self.heads_checked}",
        ]
        if self.ok:
            return [*lines, "RÉSULTAT : journal intègre / RESULT: log verified"]
        lines += [p.describe() for p in self.problems[:50]]
        if len(self.problems) > 50:
            lines.append(f"… {len(self.problems) - 50} autre(s) / more")
        first = self.first_changed
        if first is not None:
            lines.append(
                f"Première entrée modifiée / first changed entry: {where(first.index, first.at, first.action)}"
            )
        count = len(self.problems)
        return [*lines, f"RÉSULTAT : {count} anomalie(s) / RESULT: {count} problem(s) found"]


def _entry_hash(t: Trace, key: str, index: int | None, report: LogReport) -> bytes:
    """The leaf hash of ``t`` as recomputed (or stored, when unreadable); problems go to ``report``
    (``_entry_sound`` tells whether there were any)."""
    try:
        digest = leaf_hash_of(leaf_text(leaf_content(t)))
    except ContentUnavailable:
        report.unreadable += 1
        digest = bytes.fromhex(t.leaf_hash) if len(t.leaf_hash) == 64 else b""
    except SealedContentAltered:
        report.add(index, ALTERED, "contenu scellé altéré / sealed content altered", t)
        return bytes.fromhex(t.leaf_hash) if len(t.leaf_hash) == 64 else b""
    if digest.hex() != t.leaf_hash:
        report.add(index, ALTERED, "empreinte recalculée différente / leaf hash mismatch", t)
    elif not verify_signature(key, t.sct, sct_message(digest)):
        report.add(index, BAD_ENTRY_SIGNATURE, "", t)
    return digest


def log_verify(*, witness: bool = True) -> LogReport:
    """Check the whole stored log (see the module docstring). Read-only."""
    report = LogReport()
    key = public_key_b64()
    heads = list(TreeHead.objects.order_by("size"))
    for h in heads:
        if not verify_signature(key, h.signature, head_bytes(h)):
            report.add(None, BAD_HEAD_SIGNATURE, f"taille / size {h.size}")
    by_size = {h.size: h for h in heads}
    tree = merkle.CompactRange()
    leaves = LogLeaf.objects.order_by("index").values_list("index", "trace_id", "signature")
    origin = log_origin()
    last = -1
    while rows := list(leaves.filter(index__gt=last)[:CHUNK]):
        traces = {t.pk: t for t in Trace.objects.filter(pk__in=[row[1] for row in rows])}
        stored = dict(
            LogHash.objects.filter(
                index__gte=merkle.stored_hash_index(0, tree.size),
                index__lt=merkle.stored_hash_count(max(rows[-1][0], tree.size) + 1),
            ).values_list("index", "hash")
        )
        for index, trace_id, leaf_signature in rows:
            last = index
            if index != tree.size:
                report.add(tree.size, MISSING, f"feuilles absentes / leaves missing: {tree.size}–{index - 1}")
                return _finish(report, tree, by_size, witness)  # the tree cannot be rebuilt past a gap
            t = traces.get(trace_id)
            if t is None:
                report.add(index, MISSING, "trace supprimée / trace deleted")
                level0 = stored.get(merkle.stored_hash_index(0, index))
                digest = bytes.fromhex(level0) if level0 else b"\x00" * 32
            else:
                before = len(report.problems)
                digest = _entry_hash(t, key, index, report)
                sound = len(report.problems) == before
                if sound and not verify_signature(
                    key, leaf_signature, leaf_index_message(origin, index, digest)
                ):
                    report.add(index, MOVED, "", t)
            base = merkle.stored_hash_index(0, index)
            for offset, value in enumerate(tree.append(digest)):
                if stored.get(base + offset) != value.hex():
                    report.add(index, STORED_HASH, f"hash stocké / stored hash {base + offset}", t)
                    break
            head = by_size.get(tree.size)
            if head is not None:
                report.heads_checked += 1
                if tree.root().hex() != head.root_hash:
                    report.add(None, HEAD_MISMATCH, f"taille / size {head.size}")
    return _finish(report, tree, by_size, witness)


def _finish(
    report: LogReport, tree: merkle.CompactRange, by_size: dict[int, TreeHead], witness: bool
) -> LogReport:
    report.tree_size = tree.size
    for size in sorted(s for s in by_size if s > tree.size):
        report.add(None, HEAD_BEYOND, f"taille / size {size}")
    if LogHash.objects.filter(index__gte=merkle.stored_hash_count(tree.size)).exists():
        report.add(None, STORED_HASH, "hash stockés au-delà du journal / stored hashes beyond the log")
    key = public_key_b64()
    queued_ids = list(LogQueue.objects.values_list("trace_id", flat=True))
    report.queued = len(queued_ids)
    for t in Trace.objects.filter(pk__in=queued_ids).iterator():
        _entry_hash(t, key, None, report)
    unlogged = Trace.objects.exclude(pk__in=LogLeaf.objects.values("trace_id")).exclude(
        pk__in=LogQueue.objects.values("trace_id")
    )
    count = unlogged.count()
    if count:
        report.add(None, UNLOGGED, f"{count} trace(s)")
    if witness:
        from .witnessing import witness_compare

        for detail in witness_compare(by_size):
            report.add(None, WITNESS, detail)
    return report


@transaction.atomic
def log_check_record(*, witness: bool = True) -> LogCheck:
    """Run ``log_verify`` and record its result (``LogCheck``); a failure is also logged (no content)."""
    report = log_verify(witness=witness)
    first = report.first_changed or (report.problems[0] if report.problems else None)
    summary = f"{where(first.index)}: {first.problem}" if first is not None else ""
    if not report.ok:
        log.error("transparency log check FAILED: %d problem(s), first: %s", len(report.problems), summary)
    return LogCheck.objects.create(
        at=clock.now(),
        ok=report.ok,
        tree_size=report.tree_size,
        heads_checked=report.heads_checked,
        problems=len(report.problems),
        first_problem=summary[:200],
    )


def log_check_if_due() -> LogCheck | None:
    """The periodic task: check the log at most every ``CARNET_AUDIT_CHECK_INTERVAL_HOURS`` (default 24)."""
    hours = float(getattr(settings, "CARNET_AUDIT_CHECK_INTERVAL_HOURS", 24))
    last = LogCheck.objects.order_by("-at").values_list("at", flat=True).first()
    if last is not None and clock.now() - last < timedelta(hours=hours):
        return None
    return log_check_record()


# --------------------------------------------------------------------------------------------------
# One patient's entries (what ``chain_verify`` used to do for a chain)
# --------------------------------------------------------------------------------------------------


def patient_log_verify(patient_id: int | None) -> list[Problem]:
    """Check every trace of one patient: content against leaf hash, signed entry timestamp, and, once
    sequenced, the inclusion proof into the latest signed head (itself signed by the log key). An
    entry still queued is fine; one neither queued nor sequenced is ``unlogged``. Empty list = intact."""
    report = LogReport()
    key = public_key_b64()
    traces = list(Trace.objects.filter(patient_id=patient_id).order_by("id"))
    leaves = {
        trace_id: (index, signature)
        for trace_id, index, signature in LogLeaf.objects.filter(
            trace_id__in=[t.pk for t in traces]
        ).values_list("trace_id", "index", "signature")
    }
    origin = log_origin()
    queued = set(
        LogQueue.objects.filter(trace_id__in=[t.pk for t in traces]).values_list("trace_id", flat=True)
    )
    head = latest_head()
    if head is not None and not verify_signature(key, head.signature, head_bytes(head)):
        report.add(None, BAD_HEAD_SIGNATURE, f"taille / size {head.size}")
    sequenced: list[tuple[int, Trace, bytes]] = []
    for t in traces:
        index, signature = leaves.get(t.pk, (None, ""))
        before = len(report.problems)
        digest = _entry_hash(t, key, index, report)
        if index is not None:
            sound = len(report.problems) == before
            if sound and not verify_signature(key, signature, leaf_index_message(origin, index, digest)):
                report.add(index, MOVED, "", t)
            sequenced.append((index, t, digest))
        elif t.pk not in queued:
            report.add(None, UNLOGGED, f"trace #{t.pk}", t)
    if head is not None and sequenced:
        covered = [row for row in sequenced if row[0] < head.size]
        try:
            proofs = inclusion_proofs([index for index, _, _ in covered], head.size)
        except KeyError as exc:
            report.add(None, STORED_HASH, str(exc))
            return report.problems
        root = bytes.fromhex(head.root_hash)
        for (index, t, digest), proof in zip(covered, proofs, strict=True):
            if not merkle.verify_inclusion(index, head.size, digest, [bytes.fromhex(h) for h in proof], root):
                report.add(index, NOT_IN_LOG, "", t)
    return report.problems
