"""The sequencer of the transparency log and its reads (ADR 0007; docs/subsystems/audit.md).

``log_sequence()`` (task ``audit.sequence``, every ``carnet worker`` cycle, and inside each history
download) takes the queued traces in id order, gives each the next leaf index, stores the tree's new
hashes (``merkle.py`` layout, append-only) and signs a tree head, in one transaction. It runs under a
log-wide lock (a PostgreSQL advisory lock; SQLite's writers are serialised by ``BEGIN IMMEDIATE``), so
concurrent runs never fork the tree, and it reads only committed queue rows, so traces committed out of
id order are sequenced by a later run instead of being skipped.

**Fail closed.** Before extending the tree it checks that the stored state still matches the last signed
head (root recomputed from the stored hashes, signature, leaf and hash counts) and that the witness
file, when configured, has seen nothing newer; otherwise it refuses (``LogIntegrityError``, a log line
without content) and nothing is signed until an operator investigates with ``carnet verify-log``. A
queued trace whose content no longer gives its leaf hash, or whose signed entry timestamp does not
verify, is not sequenced (it stays queued and the server's check reports it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction

from carnet.common import clock

from . import merkle
from .hooks import ContentUnavailable, SealedContentAltered
from .models import LogHash, LogLeaf, LogQueue, Trace, TreeHead
from .services import leaf_content, log_origin, public_key_b64, sign, signing_key_id
from .verify import head_message, leaf_hash_of, leaf_index_message, leaf_text, sct_message, verify_signature
from .witness_file import witness_file_latest_size

log = logging.getLogger("carnet.audit.log")

#: pg_advisory_xact_lock key of the sequencer ("carnet-log" in ASCII, as an int64).
_ADVISORY_LOCK = 0x636172_6E65_746C
BATCH = 5_000


class LogIntegrityError(RuntimeError):
    """The stored log no longer matches what was signed: sequencing (and downloads) refuse to go on."""


# --------------------------------------------------------------------------------------------------
# Reading stored hashes
# --------------------------------------------------------------------------------------------------


def read_hashes(indexes: Sequence[int]) -> list[bytes]:
    """``merkle.HashReader`` over ``LogHash``: one query per 2,000 indexes; ``KeyError`` if one is missing."""
    wanted = list(indexes)
    found: dict[int, bytes] = {}
    unique = list(dict.fromkeys(wanted))
    for start in range(0, len(unique), 2000):
        chunk = unique[start : start + 2000]
        for index, value in LogHash.objects.filter(index__in=chunk).values_list("index", "hash"):
            found[index] = bytes.fromhex(value)
    missing = [i for i in wanted if i not in found]
    if missing:
        raise KeyError(f"stored hash {missing[0]} is missing")
    return [found[i] for i in wanted]


def latest_head() -> TreeHead | None:
    return TreeHead.objects.order_by("-size").first()


def head_dict(head: TreeHead) -> dict[str, Any]:
    """A signed tree head as it appears in a downloaded file, a digest e-mail or the witness protocol."""
    return {
        "origin": head.origin,
        "size": head.size,
        "root_hash": head.root_hash,
        "timestamp": head.timestamp,
        "key_id": head.key_id,
        "signature": head.signature,
    }


def head_bytes(head: TreeHead) -> bytes:
    return head_message(head.origin, head.size, bytes.fromhex(head.root_hash), head.timestamp)


def check_head_state(head: TreeHead | None) -> None:
    """Raise ``LogIntegrityError`` unless the stored leaves and hashes are exactly what ``head`` signed."""
    size = head.size if head is not None else 0
    leaves_beyond = LogLeaf.objects.filter(index__gte=size).exists()
    hashes_beyond = LogHash.objects.filter(index__gte=merkle.stored_hash_count(size)).exists()
    if leaves_beyond or hashes_beyond:
        raise LogIntegrityError(f"stored leaves or hashes beyond the last signed head (size {size})")
    if head is None:
        return
    if not verify_signature(public_key_b64(), head.signature, head_bytes(head)):
        raise LogIntegrityError(f"the last tree head (size {size}) is not signed by the log key")
    last_leaf = LogLeaf.objects.filter(index=size - 1).exists()
    try:
        root = merkle.tree_hash(size, read_hashes)
    except KeyError as exc:
        raise LogIntegrityError(f"{exc} (last signed head: size {size})") from exc
    if not last_leaf or root.hex() != head.root_hash:
        raise LogIntegrityError(
            f"the stored tree does not give the root of the last signed head (size {size})"
        )


def _check_witness_file(size: int) -> None:
    seen = witness_file_latest_size()
    if seen is not None and seen > size:
        raise LogIntegrityError(f"the witness file has seen a head of size {seen}, the database only {size}")


# --------------------------------------------------------------------------------------------------
# The sequencer
# --------------------------------------------------------------------------------------------------


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])


def _sound(t: Trace, key: str) -> bool:
    """The queued trace still is what was signed when it was written (else it is not sequenced).

    A trace whose sealed fields can no longer be opened (its patient was erased before it was sequenced,
    ADR 0008) is taken by its stored leaf hash, which its signed entry timestamp still vouches for."""
    try:
        digest = leaf_hash_of(leaf_text(leaf_content(t)))
    except ContentUnavailable:
        digest = bytes.fromhex(t.leaf_hash) if len(t.leaf_hash) == 64 else b""
    except SealedContentAltered:
        return False
    return digest.hex() == t.leaf_hash and verify_signature(key, t.sct, sct_message(digest))


def _now_ms() -> int:
    now = clock.now().astimezone(UTC)
    return (now - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def sign_head(size: int, root: bytes) -> TreeHead:
    ms = _now_ms()
    origin = log_origin()
    return TreeHead.objects.create(
        size=size,
        origin=origin,
        root_hash=root.hex(),
        timestamp=ms,
        signature=sign(head_message(origin, size, root, ms)),
        key_id=signing_key_id(),
    )


def log_sequence(*, limit: int | None = None) -> TreeHead | None:
    """Sequence every queued trace (at most ``limit``) and sign the new head; return the latest head.

    Idempotent: with nothing queued it signs nothing and returns the current head. Refuses with
    ``LogIntegrityError`` when the stored state does not match the last signed head.
    """
    with transaction.atomic():
        _lock()
        head = latest_head()
        try:
            check_head_state(head)
            _check_witness_file(head.size if head is not None else 0)
        except LogIntegrityError as exc:
            log.error("transparency log: sequencing refused: %s", exc)
            raise
        size = head.size if head is not None else 0
        queued = LogQueue.objects.order_by("trace_id").values_list("trace_id", flat=True)
        ids = list(queued[:limit] if limit is not None else queued)
        if not ids:
            return head
        key = public_key_b64()
        origin = log_origin()
        new: dict[int, bytes] = {}

        def read(indexes: Sequence[int]) -> list[bytes]:
            stored = [i for i in indexes if i not in new]
            known = dict(zip(stored, read_hashes(stored), strict=True)) if stored else {}
            return [new[i] if i in new else known[i] for i in indexes]

        leaves: list[LogLeaf] = []
        done: list[int] = []
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            traces = {t.pk: t for t in Trace.objects.filter(pk__in=chunk)}
            for trace_id in chunk:
                done.append(trace_id)  # a queue row without its trace (deleted) leaves the queue too
                t = traces.get(trace_id)
                if t is None:
                    log.error("transparency log: queued trace #%s is missing; not sequenced", trace_id)
                    continue
                if not _sound(t, key):
                    done.pop()  # stays queued: the server's check reports it
                    log.error(
                        "transparency log: trace #%s does not match its signature; not sequenced", trace_id
                    )
                    continue
                hashes = merkle.stored_hashes_for_leaf(size, bytes.fromhex(t.leaf_hash), read)
                base = merkle.stored_hash_index(0, size)
                for offset, value in enumerate(hashes):
                    new[base + offset] = value
                signature = sign(leaf_index_message(origin, size, bytes.fromhex(t.leaf_hash)))
                leaves.append(LogLeaf(index=size, trace_id=trace_id, signature=signature))
                size += 1
        LogLeaf.objects.bulk_create(leaves, batch_size=1000)
        LogHash.objects.bulk_create(
            [LogHash(index=i, hash=value.hex()) for i, value in sorted(new.items())], batch_size=1000
        )
        for start in range(0, len(done), 1000):
            LogQueue.objects.filter(trace_id__in=done[start : start + 1000]).delete()
        if not leaves:
            return head
        latest = sign_head(size, merkle.tree_hash(size, read))
        from carnet.tasks import enqueue

        enqueue("audit.witness_push")  # after commit: the head goes to the witnesses
        return latest


def current_head() -> TreeHead | None:
    """The latest head after sequencing what is queued (what a download or a digest shows)."""
    return log_sequence()


# --------------------------------------------------------------------------------------------------
# Proofs from the stored tree
# --------------------------------------------------------------------------------------------------


def inclusion_proofs(indexes: Sequence[int], size: int) -> list[list[str]]:
    """Inclusion proofs of several leaves into the tree of ``size``, every stored hash read at once."""
    proofs = merkle.resolve((merkle.inclusion_ranges(i, size) for i in indexes), read_hashes)
    return [[h.hex() for h in proof] for proof in proofs]


def consistency_proofs(old_sizes: Sequence[int], size: int) -> list[list[str]]:
    proofs = merkle.resolve((merkle.consistency_ranges(m, size) for m in old_sizes), read_hashes)
    return [[h.hex() for h in proof] for proof in proofs]
