"""The patient downloads his history with its proofs (R-TR-2, R-TR-3, invariant 3; ADR 0007).

``history_export`` writes a ``carnet-history/2`` file (``verify.py`` documents and checks it): the
entries the viewer may see, each with its signed entry timestamp and its inclusion proof into a freshly
signed tree head, and the heads this viewer was given before, each with a consistency proof to it.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.db import transaction

from carnet.common import clock
from carnet.common.actors import Actor

from .log import LogIntegrityError, consistency_proofs, head_dict, inclusion_proofs, log_sequence
from .models import HeadIssued, LogLeaf, Trace, TreeHead
from .services import leaf_content, public_key_b64, signing_key_id, trace
from .verify import FORMAT, leaf_text

__all__ = ["LogIntegrityError", "history_export", "visible_traces"]


def visible_traces(
    *, patient_id: int, hidden_object_ids: set[str] | frozenset[str], up_to: int
) -> list[tuple[int, Trace]]:
    """``(leaf index, trace)`` of the patient's sequenced traces below leaf ``up_to`` that the viewer may
    see, in leaf order. Hidden ones (``hooks.hidden_object_ids``) are left out in the query."""
    hidden = {str(i) for i in hidden_object_ids if str(i)}
    traces = Trace.objects.filter(patient_id=patient_id)
    if hidden:
        traces = traces.exclude(object_id__in=hidden)
    by_id = {t.pk: t for t in traces.iterator()}
    rows: list[tuple[int, Trace]] = []
    ids = list(by_id)
    for start in range(0, len(ids), 2000):
        leaves = LogLeaf.objects.filter(trace_id__in=ids[start : start + 2000], index__lt=up_to)
        rows.extend((index, by_id[trace_id]) for index, trace_id in leaves.values_list("index", "trace_id"))
    rows.sort(key=lambda row: row[0])
    return rows


@transaction.atomic
def history_export(
    *, actor: Actor, patient_id: int, hidden_object_ids: set[str] | frozenset[str]
) -> dict[str, Any]:
    """Build the downloadable history of ``patient_id`` for the viewer acting as ``actor``.

    In one transaction: trace ``HISTORY_DOWNLOADED`` (so the download itself is in the file), sequence
    the log (``log_sequence``: everything queued, this trace included, gets its leaf and a new head is
    signed), then write the visible entries with their proofs, and record that this head was given to
    this viewer. Entries about an object in ``hidden_object_ids`` (R-MASK-6 ``INVISIBLE_PATIENT`` before
    release, R-MIN-5 ``INVISIBLE_REPRESENTANTS_LEGAUX`` for a legal representative, confidential
    conversations) are **absent**. Raises ``LogIntegrityError`` (nothing written) when the stored log no
    longer matches its last signed head. The caller has asked ``access`` first (``history.selectors.history_access``).
    """
    trace(
        actor=actor,
        action="HISTORY_DOWNLOADED",
        patient_id=patient_id,
        group="general",
        object_type="history",
    )
    head = log_sequence()
    assert head is not None  # the trace above was just sequenced
    rows = visible_traces(patient_id=patient_id, hidden_object_ids=hidden_object_ids, up_to=head.size)
    proofs = inclusion_proofs([index for index, _ in rows], head.size)
    entries = [
        {
            "leaf_index": index,
            "leaf": leaf_text(leaf_content(t)),
            "leaf_hash": t.leaf_hash,
            "signed_entry_timestamp": {"key_id": t.key_id, "signature": t.sct},
            "inclusion_proof": proof,
        }
        for (index, t), proof in zip(rows, proofs, strict=True)
    ]
    viewer = str(actor.id)[:64]
    given = list(
        HeadIssued.objects.filter(patient_id=patient_id, viewer_id=viewer, tree_size__lt=head.size)
        .order_by("tree_size")
        .values_list("tree_size", flat=True)
    )
    old_heads = {h.size: h for h in TreeHead.objects.filter(size__in=given)}
    sizes = [s for s in given if s in old_heads]
    previous = [
        {"tree_head": head_dict(old_heads[s]), "consistency_proof": proof}
        for s, proof in zip(sizes, consistency_proofs(sizes, head.size), strict=True)
    ]
    HeadIssued.objects.get_or_create(
        patient_id=patient_id, viewer_id=viewer, tree_size=head.size, defaults={"at": clock.now()}
    )
    return {
        "format": FORMAT,
        "origin": head.origin,
        "patient_id": patient_id,
        "generated_at": clock.now().astimezone(UTC).isoformat(),
        "hashing": "RFC 9162: leaf = SHA-256(0x00 || leaf), node = SHA-256(0x01 || left || right)",
        "entries": entries,
        "tree_head": head_dict(head),
        "previous_heads": previous,
        "public_key": public_key_b64(),  # informative only: verify with the key published out of band
        "key_id": signing_key_id(),
    }
