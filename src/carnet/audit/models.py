"""Append-only traces and the transparency log over them (ARCHITECTURE invariants 2, 3 and 8; ADR 0007).

* ``Trace`` — one act, keyed by ``patient_id`` (invariant 8), with its leaf hash and its signed entry
  timestamp, written by ``services.trace()`` in the act's transaction.
* ``LogQueue`` — traces written but not yet given a place in the log (the only table rows leave).
* ``LogLeaf``, ``LogHash`` — the sequenced log: leaf index → trace, and the tree's hashes in the
  "stored hash index" layout (``merkle.py``). ``TreeHead`` — every signed tree head.
* ``HeadIssued`` — which head was given to which viewer of which patient (downloads, digests).
* ``WitnessCosignature`` — a witness's signature over a head it checked.
* ``LogCheck`` — the result of each run of the server's own check (``checks.log_verify``).

Every table but the queue refuses UPDATE and DELETE in the database (migrations ``0002`` and ``0004``,
``db_guard.py``).
"""

from __future__ import annotations

from typing import Any

from django.db import models


class _AppendOnly(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RuntimeError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError(f"{type(self).__name__} rows are append-only")


class Trace(_AppendOnly):
    patient_id = models.BigIntegerField(null=True, db_index=True)  # invariant 8
    at = models.DateTimeField()
    actor_kind = models.CharField(max_length=32)
    actor_id = models.CharField(max_length=64)
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=64)
    group = models.CharField(max_length=16)  # general / services / documents (history filters)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    mode = models.CharField(max_length=16, blank=True)  # NORMAL, BTG, SAMU...
    reason = models.CharField(max_length=500, blank=True)
    outcome = models.CharField(max_length=8, default="ALLOW")
    details = models.JSONField(default=dict, blank=True)
    # 128 random bits hashed with the content: the sibling hashes that other patients' proofs reveal
    # cannot be confirmed by guessing an entry's content (ADR 0007).
    nonce = models.CharField(max_length=32, default="")
    leaf_hash = models.CharField(max_length=64, default="")  # SHA-256(0x00 ‖ leaf text), hex
    sct = models.CharField(max_length=88, default="")  # signed entry timestamp (Ed25519, base64)
    key_id = models.CharField(max_length=16, default="")  # the key that signed it
    # ADR 0008: ``actor_label`` of a patient-side actor and a non-empty ``reason``, sealed under the
    # patient's data key as ``version ‖ nonce ‖ AES-256-GCM(JSON)`` (their clear columns are then "");
    # NULL: nothing sealed; b"": sealed content of an erased patient whose key is gone.
    sealed = models.BinaryField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient_id", "at"], name="audit_trace_patient_at")]
        ordering = ["id"]

    def __str__(self) -> str:  # never the details: __str__ ends up in logs
        return f"Trace #{self.pk} {self.action}"


class LogQueue(models.Model):
    """A trace waiting for the sequencer (``log.log_sequence``). Inserted with the trace, in the act's
    transaction; deleted when the trace gets its leaf. Entries committed out of id order on PostgreSQL
    are simply sequenced by the next run: nothing is skipped."""

    trace_id = models.BigIntegerField(primary_key=True)

    def __str__(self) -> str:
        return f"LogQueue trace #{self.trace_id}"


class LogLeaf(_AppendOnly):
    """Leaf ``index`` of the global log is trace ``trace_id``; ``signature`` (Ed25519 by the log key over
    ``verify.leaf_index_message``) binds that index to the leaf hash, so that the server's check can name
    two leaves swapped in SQL even after every hash of the tree was recomputed."""

    index = models.BigIntegerField(primary_key=True)
    trace_id = models.BigIntegerField(unique=True)
    signature = models.CharField(max_length=88, default="")

    def __str__(self) -> str:
        return f"LogLeaf {self.index}"


class LogHash(_AppendOnly):
    """One stored hash of the tree (hex), at its "stored hash index" (``merkle.stored_hash_index``)."""

    index = models.BigIntegerField(primary_key=True)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"LogHash {self.index}"


class TreeHead(_AppendOnly):
    """A signed tree head: "the log of ``origin`` had ``size`` leaves with this root at this time"."""

    size = models.BigIntegerField(primary_key=True)
    origin = models.CharField(max_length=200)
    root_hash = models.CharField(max_length=64)
    timestamp = models.BigIntegerField()  # milliseconds since the epoch (UTC), as signed
    signature = models.CharField(max_length=88)
    key_id = models.CharField(max_length=16)

    def __str__(self) -> str:
        return f"TreeHead {self.size}"


class HeadIssued(_AppendOnly):
    """Head ``tree_size`` was given to ``viewer_id`` (an account's public id) for ``patient_id``'s history:
    the next download carries it again, with a consistency proof to the new head."""

    patient_id = models.BigIntegerField(db_index=True)  # invariant 8
    viewer_id = models.CharField(max_length=64)
    tree_size = models.BigIntegerField()
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient_id", "viewer_id", "tree_size"], name="audit_headissued_once"
            )
        ]

    def __str__(self) -> str:
        return f"HeadIssued {self.tree_size}"


class WitnessCosignature(_AppendOnly):
    """A witness checked head ``tree_size`` (consistent with every head it saw before) and signed it."""

    tree_size = models.BigIntegerField()
    witness = models.CharField(max_length=200)  # the witness's name
    witness_key_id = models.CharField(max_length=16)
    time = models.BigIntegerField()  # seconds since the epoch, as signed by the witness
    signature = models.CharField(max_length=88)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tree_size", "witness_key_id"], name="audit_cosignature_once")
        ]

    def __str__(self) -> str:
        return f"WitnessCosignature {self.tree_size} by {self.witness_key_id}"


class LogCheck(_AppendOnly):
    """One run of the server's own check of the whole log (``carnet verify-log``, task ``audit.verify_log``).
    ``first_problem`` names a leaf index and a problem code, never an entry's content."""

    at = models.DateTimeField()
    ok = models.BooleanField()
    tree_size = models.BigIntegerField()
    heads_checked = models.IntegerField()
    problems = models.IntegerField()
    first_problem = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"LogCheck {self.at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'FAILED'}"
