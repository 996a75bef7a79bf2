"""The one place that writes traces (STYLE: only audit writes traces).

``trace()`` must be called inside the transaction of the act it records (invariant 2): it refuses
to run outside one, so an act without its trace cannot commit and a rolled-back act leaves no trace.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import connection, transaction

from carnet.common import clock
from carnet.common.actors import Actor

from .models import ChainHead, Checkpoint, Trace

GENESIS = "0" * 64
GROUPS = {"general", "services", "documents"}


def chain_for(patient_id: int | None) -> str:
    return f"p:{patient_id}" if patient_id is not None else "system"


def link_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the canonical JSON of the entry (sorted keys, UTC ISO times)."""
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


def trace_fields(t: Trace) -> dict[str, Any]:
    return {
        "chain": t.chain,
        "seq": t.seq,
        "at": t.at.isoformat(),
        "actor_kind": t.actor_kind,
        "actor_id": t.actor_id,
        "actor_label": t.actor_label,
        "action": t.action,
        "group": t.group,
        "object_type": t.object_type,
        "object_id": t.object_id,
        "mode": t.mode,
        "reason": t.reason,
        "outcome": t.outcome,
        "details": t.details,
    }


def trace(
    *,
    actor: Actor,
    action: str,
    patient_id: int | None,
    group: str = "general",
    object_type: str = "",
    object_id: str | int = "",
    mode: str = "",
    reason: str = "",
    outcome: str = "ALLOW",
    details: dict[str, Any] | None = None,
) -> Trace:
    """Append one trace to the patient's chain. ``details`` must never hold health data."""
    if not connection.in_atomic_block:
        raise RuntimeError("trace() must run inside the transaction of the act it records")
    if group not in GROUPS:
        raise ValueError(f"unknown trace group {group!r}")
    chain = chain_for(patient_id)
    ChainHead.objects.get_or_create(chain=chain)
    head = ChainHead.objects.select_for_update().get(chain=chain)
    entry = Trace(
        chain=chain,
        patient_id=patient_id,
        seq=head.seq + 1,
        at=clock.now(),
        actor_kind=str(actor.kind),
        actor_id=str(actor.id)[:64],
        actor_label=actor.label[:200],
        action=action,
        group=group,
        object_type=object_type,
        object_id=str(object_id),
        mode=mode,
        reason=reason[:500],
        outcome=outcome,
        details=details or {},
        prev_hash=head.head_hash,
    )
    entry.hash = link_hash(entry.prev_hash, trace_fields(entry))
    entry.save()
    head.seq = entry.seq
    head.head_hash = entry.hash
    head.save(update_fields=["seq", "head_hash"])
    return entry


# --- signed checkpoints --------------------------------------------------------------------------


def _signing_key() -> Ed25519PrivateKey:
    seed = base64.urlsafe_b64decode(settings.CARNET_AUDIT_SIGNING_KEY)
    return Ed25519PrivateKey.from_private_bytes(seed[:32])


def public_key() -> Ed25519PublicKey:
    return _signing_key().public_key()


def public_key_b64() -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def key_id() -> str:
    return hashlib.sha256(public_key_b64().encode()).hexdigest()[:16]


def checkpoint_message(chain: str, seq: int, head_hash: str) -> bytes:
    return f"carnet-checkpoint|{chain}|{seq}|{head_hash}".encode()


@transaction.atomic
def checkpoint_create(*, patient_id: int | None) -> Checkpoint | None:
    """Sign the current head of a chain (idempotent: one checkpoint per head)."""
    chain = chain_for(patient_id)
    head = ChainHead.objects.filter(chain=chain).first()
    if head is None or head.seq == 0:
        return None
    existing = Checkpoint.objects.filter(chain=chain, seq=head.seq).first()
    if existing is not None:
        return existing
    signature = _signing_key().sign(checkpoint_message(chain, head.seq, head.head_hash))
    return Checkpoint.objects.create(
        chain=chain,
        seq=head.seq,
        head_hash=head.head_hash,
        at=clock.now(),
        signature=base64.b64encode(signature).decode(),
        key_id=key_id(),
    )
