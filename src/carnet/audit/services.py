"""The one place that writes traces (STYLE: only audit writes traces).

``trace()`` must be called inside the transaction of the act it records (invariant 2): it refuses
to run outside one, so an act without its trace cannot commit and a rolled-back act leaves no trace.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import Field, Model
from django.db.models.constants import OnConflict

from carnet.common import clock
from carnet.common.actors import Actor

from .models import ChainHead, Checkpoint, Trace
from .verify import FORMAT, GENESIS, checkpoint_message, content_hash, link_hash

__all__ = [
    "GENESIS",
    "GROUPS",
    "chain_for",
    "checkpoint_create",
    "checkpoint_message",
    "checkpoints_sign_moved",
    "history_export",
    "link_hash",
    "public_key_b64",
    "trace",
    "trace_fields",
]

GROUPS = {"general", "services", "documents"}


def chain_for(patient_id: int | None) -> str:
    return f"p:{patient_id}" if patient_id is not None else "system"


def trace_fields(t: Trace) -> dict[str, Any]:
    """The content of a trace covered by its hash (``verify.CONTENT_FIELDS``); times in UTC ISO 8601.

    ``hash = SHA-256(prev_hash ‖ SHA-256(canonical JSON of these fields))`` (``verify.link_hash``).
    """
    return {
        "chain": t.chain,
        "seq": t.seq,
        "at": t.at.astimezone(UTC).isoformat(),
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
    """Append one trace to the patient's chain. ``details`` must never hold health data.

    Every read of the record goes through here (invariant 2, R-TR-1), so the write is plain SQL built
    once from ``Trace._meta`` / ``ChainHead._meta`` (``_TraceSQL``), with every value bound and converted
    by its own model field exactly as ``Model.save()`` would: the ORM's query compilation cost more than
    the round trips. Steady state: 2 statements on PostgreSQL (lock the head; insert the link and move
    the head in one ``WITH ... INSERT ... UPDATE``), 3 elsewhere (lock, ``INSERT``, ``UPDATE``). The row
    is an ordinary ``INSERT``, so the append-only triggers (migration ``0002``) are not in the way.
    Returns the saved ``Trace`` (primary key set), the same instance ``Model.save()`` would have left.
    """
    conn = connections[DEFAULT_DB_ALIAS]
    if not conn.in_atomic_block:
        raise RuntimeError("trace() must run inside the transaction of the act it records")
    if group not in GROUPS:
        raise ValueError(f"unknown trace group {group!r}")
    sql = _trace_sql(conn)
    chain = chain_for(patient_id)
    with conn.cursor() as cursor:
        head_seq, head_hash = _lock_head(cursor, chain, sql)
        entry = Trace(
            chain=chain,
            patient_id=patient_id,
            seq=head_seq + 1,
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
            details=json.loads(json.dumps(details or {})),  # hash what the JSON column will give back
            prev_hash=head_hash,
        )
        entry.hash = link_hash(entry.prev_hash, trace_fields(entry))
        # What Model.save() would send: each field's own conversion (aware ``at`` -> the backend's
        # datetime, ``details`` -> jsonb / JSON text), in the column order of the statement.
        values: list[Any] = [f.get_db_prep_save(getattr(entry, f.attname), conn) for f in sql.fields]
        move: list[Any] = [entry.seq, entry.hash, chain]
        if sql.move_head is None:  # PostgreSQL: link and head in ONE statement
            cursor.execute(sql.append, [*values, *move])
            row = cursor.fetchone()
            if row is None:  # the locked head cannot vanish; never leave a link without its head
                raise RuntimeError(f"chain head {chain!r} not found while appending")
            pk = row[0]
        else:
            cursor.execute(sql.append, values)
            pk = cursor.fetchone()[0] if sql.returning else conn.ops.last_insert_id(cursor, *sql.pk)
            cursor.execute(sql.move_head, move)
            if cursor.rowcount != 1:
                raise RuntimeError(f"chain head {chain!r} not found while appending")
    entry.pk = pk
    entry._state.adding = False
    entry._state.db = conn.alias
    return entry


@dataclass(frozen=True)
class _TraceSQL:
    """The statements of ``trace()`` for one database backend, built once from the models' ``_meta``.

    Only table and column names (quoted by the backend) are formatted into the SQL; every value is a
    bound ``%s`` parameter.
    """

    fields: tuple[Field[Any, Any], ...]  # the columns of ``append``'s INSERT, in order (all but the pk)
    lock: str  # (seq, head_hash) of one head, FOR UPDATE where the backend has it
    create_head: str  # a new head (chain, seq, head_hash), ignoring a concurrent creation
    head_defaults: tuple[Any, Any]  # ChainHead's seq and head_hash defaults (0, GENESIS)
    append: str  # INSERT of the link (PostgreSQL: + UPDATE of the head, returning the link's id)
    move_head: str | None  # UPDATE of the head when ``append`` does not do it
    returning: bool  # ``append`` returns the new id
    pk: tuple[str, str]  # (table, pk column) for ``last_insert_id`` when it does not


_TRACE_SQL: dict[str, _TraceSQL] = {}


def _trace_sql(conn: BaseDatabaseWrapper) -> _TraceSQL:
    sql = _TRACE_SQL.get(conn.vendor)
    if sql is None:
        sql = _TRACE_SQL[conn.vendor] = _build_trace_sql(conn)
    return sql


def _build_trace_sql(conn: BaseDatabaseWrapper) -> _TraceSQL:
    quote = conn.ops.quote_name
    heads = ChainHead._meta
    head_fields = [_concrete(ChainHead, name) for name in ("chain", "seq", "head_hash")]
    table = quote(heads.db_table)
    chain, seq, head_hash = (quote(f.column) for f in head_fields)
    lock = f"SELECT {seq}, {head_hash} FROM {table} WHERE {chain} = %s"  # noqa: S608 (names from _meta)
    if conn.features.has_select_for_update:
        lock += " FOR UPDATE"
    ignore = OnConflict.IGNORE
    create_head = " ".join(
        part
        for part in (
            conn.ops.insert_statement(on_conflict=ignore),  # INSERT INTO / INSERT OR IGNORE INTO
            f"{table} ({chain}, {seq}, {head_hash}) VALUES (%s, %s, %s)",
            conn.ops.on_conflict_suffix_sql(head_fields, ignore, None, None),  # ON CONFLICT DO NOTHING
        )
        if part
    )
    move_head = f"UPDATE {table} SET {seq} = %s, {head_hash} = %s WHERE {chain} = %s"  # noqa: S608

    traces = Trace._meta
    fields = tuple(f for f in traces.concrete_fields if not f.primary_key)
    pk = quote(traces.pk.column)
    insert = (
        f"INSERT INTO {quote(traces.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    returning = conn.features.can_return_columns_from_insert
    if conn.vendor == "postgresql":  # data-modifying WITH: one round trip for the link and the head
        with_insert = f"WITH ins AS ({insert} RETURNING {pk})"
        append = f"{with_insert} {move_head} RETURNING (SELECT {pk} FROM ins)"  # noqa: S608 (names from _meta)
        move = None
    else:
        append, move = (f"{insert} RETURNING {pk}" if returning else insert), move_head
    return _TraceSQL(
        fields=fields,
        lock=lock,
        create_head=create_head,
        head_defaults=(head_fields[1].get_default(), head_fields[2].get_default()),
        append=append,
        move_head=move,
        returning=returning,
        pk=(traces.db_table, traces.pk.column),
    )


def _lock_head(cursor: CursorWrapper, chain: str, sql: _TraceSQL) -> tuple[int, str]:
    """``(seq, head_hash)`` of the chain's head, row-locked until the transaction ends (so two appends
    never fork the chain; ADR 0002). SQLite has no row lock: its writers are serialised anyway
    (``BEGIN IMMEDIATE``).

    Common case: ONE statement (``SELECT ... FOR UPDATE``). Only the first trace of a chain creates its
    head, with ``INSERT ... ON CONFLICT DO NOTHING`` (SQLite: ``INSERT OR IGNORE``) so two first traces
    racing both end up locking the same row (the loser waits for the winner's commit, then reads its head).
    """
    cursor.execute(sql.lock, [chain])
    row = cursor.fetchone()
    if row is None:
        cursor.execute(sql.create_head, [chain, *sql.head_defaults])
        cursor.execute(sql.lock, [chain])
        row = cursor.fetchone()
        if row is None:  # heads are never deleted
            raise RuntimeError(f"chain head {chain!r} could not be created")
    return int(row[0]), str(row[1])


def _concrete(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, Field) and field.concrete  # a model definition, not input
    return field


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


def _sign(chain: str, seq: int, head_hash: str) -> str:
    return base64.b64encode(_signing_key().sign(checkpoint_message(chain, seq, head_hash))).decode()


def checkpoints_sign_moved(*, batch_size: int = 500) -> int:
    """Sign the head of every chain that moved since its last checkpoint; return how many were signed.

    Set-based: ONE query finds the moved chains (head ``seq`` greater than the chain's latest checkpoint,
    or no checkpoint at all), then the checkpoints are inserted in batches. Idempotent: a head already
    signed is not "moved", and the unique ``(chain, seq)`` constraint with ``ignore_conflicts`` makes two
    concurrent runs harmless (one checkpoint per head).
    """
    from django.db.models import F, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    latest = Checkpoint.objects.filter(chain=OuterRef("chain")).order_by("-seq").values("seq")[:1]
    moved = (
        ChainHead.objects.filter(seq__gt=0)
        .annotate(signed_seq=Coalesce(Subquery(latest), Value(0)))
        .filter(seq__gt=F("signed_seq"))
        .values_list("chain", "seq", "head_hash")
    )
    now = clock.now()
    kid = key_id()
    signed = 0
    batch: list[Checkpoint] = []
    for chain, seq, head_hash in moved.iterator(chunk_size=batch_size):
        batch.append(
            Checkpoint(
                chain=chain,
                seq=seq,
                head_hash=head_hash,
                at=now,
                signature=_sign(chain, seq, head_hash),
                key_id=kid,
            )
        )
        if len(batch) >= batch_size:
            Checkpoint.objects.bulk_create(batch, ignore_conflicts=True)
            signed += len(batch)
            batch = []
    if batch:
        Checkpoint.objects.bulk_create(batch, ignore_conflicts=True)
        signed += len(batch)
    return signed


# --- the patient downloads his history with its proof (R-TR-2, R-TR-3, invariant 3) ---------------


def _redacted(t: Trace) -> dict[str, Any]:
    return {
        "seq": t.seq,
        "redacted": True,
        "prev_hash": t.prev_hash,
        "content_hash": content_hash(trace_fields(t)),
        "hash": t.hash,
    }


def _visible(t: Trace) -> dict[str, Any]:
    fields = trace_fields(t)
    return {**fields, "prev_hash": t.prev_hash, "content_hash": content_hash(fields), "hash": t.hash}


@transaction.atomic
def history_export(
    *, actor: Actor, patient_id: int, hidden_object_ids: set[str] | frozenset[str]
) -> dict[str, Any]:
    """Build the downloadable history of ``patient_id`` with its proof, for the viewer acting as ``actor``.

    In one transaction: trace ``HISTORY_DOWNLOADED`` (so the download itself is in the file), sign the
    new head (``checkpoint_create``, idempotent), then write every entry of the chain in order. Entries
    about an object in ``hidden_object_ids`` (R-MASK-6 ``INVISIBLE_PATIENT`` before release, R-MIN-5
    ``INVISIBLE_REPRESENTANTS_LEGAUX`` for a legal representative) are *redacted*: only ``seq``,
    ``prev_hash``, ``content_hash`` and ``hash`` remain, which still lets ``verify.py`` check the links
    without revealing time, author, object or title. The caller has asked ``access`` first
    (``selectors.history_access``).
    """
    trace(
        actor=actor,
        action="HISTORY_DOWNLOADED",
        patient_id=patient_id,
        group="general",
        object_type="history",
    )
    checkpoint = checkpoint_create(patient_id=patient_id)
    assert checkpoint is not None  # the trace above moved the head
    chain = chain_for(patient_id)
    hidden = {str(i) for i in hidden_object_ids}
    entries = [
        _redacted(t) if t.object_id and t.object_id in hidden else _visible(t)
        for t in Trace.objects.filter(chain=chain, seq__lte=checkpoint.seq).order_by("seq").iterator()
    ]
    key = public_key_b64()
    return {
        "format": FORMAT,
        "chain": chain,
        "generated_at": clock.now().astimezone(UTC).isoformat(),
        "hash_algorithm": "hash = SHA-256(prev_hash || content_hash), content_hash = SHA-256(canonical JSON)",
        "entries": entries,
        "checkpoint": {
            "chain": checkpoint.chain,
            "seq": checkpoint.seq,
            "head_hash": checkpoint.head_hash,
            "at": checkpoint.at.astimezone(UTC).isoformat(),
            "signature": checkpoint.signature,
            "key_id": checkpoint.key_id,
            "algorithm": "Ed25519",
            "message": "carnet-checkpoint|<chain>|<seq>|<head_hash>",
        },
        "public_key": key,
        "key_id": key_id(),
    }
