"""Append-only traces forming one hash chain per patient (ARCHITECTURE invariants 2 and 3)."""

from __future__ import annotations

from django.db import models


class ChainHead(models.Model):
    """The last link of one chain, locked while appending so links never fork.

    ``chain`` is ``p:<patient_id>`` for a patient's history and ``system`` for acts on no patient
    (operator actions, failed logins of unknown users).
    """

    chain = models.CharField(max_length=40, primary_key=True)
    seq = models.BigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"ChainHead {self.chain}@{self.seq}"


class Trace(models.Model):
    chain = models.CharField(max_length=40)
    patient_id = models.BigIntegerField(null=True, db_index=True)  # invariant 8
    seq = models.BigIntegerField()
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
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_trace_chain_seq_uniq")]
        indexes = [models.Index(fields=["patient_id", "at"], name="audit_trace_patient_at")]
        ordering = ["chain", "seq"]

    def __str__(self) -> str:  # never the details: __str__ ends up in logs
        return f"Trace {self.chain}#{self.seq} {self.action}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise RuntimeError("traces are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise RuntimeError("traces are append-only")


class Checkpoint(models.Model):
    """A signed statement "chain X had head H at sequence N" (Ed25519)."""

    chain = models.CharField(max_length=40)
    seq = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    at = models.DateTimeField()
    signature = models.CharField(max_length=128)
    key_id = models.CharField(max_length=16)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_checkpoint_chain_seq_uniq")
        ]

    def __str__(self) -> str:
        return f"Checkpoint {self.chain}@{self.seq}"
