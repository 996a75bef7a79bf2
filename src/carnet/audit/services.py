"""The one place that writes traces (STYLE: only audit writes traces).

``trace()`` must be called inside the transaction of the act it records (invariant 2): it refuses
to run outside one, so an act without its trace cannot commit and a rolled-back act leaves no trace.

Each trace becomes a leaf of the global transparency log (ADR 0007, docs/subsystems/audit.md): here it
gets its leaf hash and its **signed entry timestamp**, and a row in ``LogQueue``; the sequencer
(``log.log_sequence``, every worker cycle and inside each download) later gives it its leaf index and
signs a new tree head. No per-patient lock: two acts on the same patient never wait for each other.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from datetime import UTC
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field

from carnet.common import clock
from carnet.common.actors import Actor, ActorKind

from .hooks import ContentUnavailable, trace_sealer
from .models import LogQueue, Trace
from .verify import key_id_of, leaf_hash_of, leaf_text, sct_message

__all__ = [
    "GROUPS",
    "ContentUnavailable",
    "leaf_content",
    "log_origin",
    "opened",
    "public_key_b64",
    "sign",
    "signing_key_id",
    "trace",
]

GROUPS = {"general", "services", "documents"}


# --------------------------------------------------------------------------------------------------
# The log's key (parsed once per process: ``trace()`` signs on every read of the record)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _LogKey:
    private: Ed25519PrivateKey
    public_b64: str
    key_id: str


@lru_cache(maxsize=4)
def _parse_key(seed_b64: str) -> _LogKey:
    seed = base64.urlsafe_b64decode(seed_b64)
    private = Ed25519PrivateKey.from_private_bytes(seed[:32])
    public_b64 = base64.b64encode(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
    return _LogKey(private=private, public_b64=public_b64, key_id=key_id_of(public_b64))


def _key() -> _LogKey:
    return _parse_key(settings.CARNET_AUDIT_SIGNING_KEY)  # cached by value: a changed setting is honoured


def sign(message: bytes) -> str:
    return base64.b64encode(_key().private.sign(message)).decode()


def public_key_b64() -> str:
    """The log's Ed25519 public key (raw, base64): what ``carnet log-public-key`` prints."""
    return _key().public_b64


def signing_key_id() -> str:
    return _key().key_id


def log_origin() -> str:
    """The log's name, signed in every tree head (``CARNET_AUDIT_LOG_ORIGIN``; default from the site's URL)."""
    origin = str(getattr(settings, "CARNET_AUDIT_LOG_ORIGIN", "") or "")
    if origin:
        return origin
    base = str(getattr(settings, "CARNET_BASE_URL", "carnet"))
    return base.split("://", 1)[-1].rstrip("/") + "/journal"


# --------------------------------------------------------------------------------------------------
# trace()
# --------------------------------------------------------------------------------------------------


#: The actors whose name is a person's identity, sealed with his traces (ADR 0008): the holder, his legal
#: representative, his caregiver. Professionals', establishments' and the platform's labels stay clear.
SEALED_LABEL_KINDS = frozenset({ActorKind.PATIENT, ActorKind.LEGAL_REPRESENTATIVE, ActorKind.CAREGIVER})
SEALED_FIELDS = ("actor_label", "reason")
_OPENED = "_carnet_opened"


def _aad(t: Trace) -> bytes:
    """A sealed payload belongs to ONE trace (its random nonce): moved to another row, it fails to open."""
    return f"carnet/trace/1|{t.nonce}".encode()


def opened(t: Trace) -> dict[str, str]:
    """``actor_label`` and ``reason`` as written, opening the sealed ones (ADR 0008).

    Raises ``ContentUnavailable`` when they were sealed under a key that no longer exists (an erased
    patient) and ``SealedContentAltered`` when the payload was altered or moved from another trace."""
    clear = {"actor_label": t.actor_label, "reason": t.reason}
    if t.sealed is None:
        return clear
    cached: dict[str, str] | None = t.__dict__.get(_OPENED)
    if cached is None:
        raw = bytes(t.sealed)
        if not raw or t.patient_id is None:
            raise ContentUnavailable(f"trace #{t.pk}: sealed content of an erased patient")
        values = json.loads(trace_sealer().open(t.patient_id, raw, _aad(t)))
        cached = {name: str(values.get(name, clear[name])) for name in SEALED_FIELDS}
        t.__dict__[_OPENED] = cached
    return cached


def leaf_content(t: Trace) -> dict[str, Any]:
    """The content of a trace covered by its leaf hash (``verify.LEAF_FIELDS``); time in UTC ISO 8601.

    The sealed fields are given as written (``opened``), so sealing changes nothing in the leaf; raises
    ``ContentUnavailable`` when they cannot be read any more (an erased patient's key is gone)."""
    fields = opened(t)
    return {
        "patient_id": t.patient_id,
        "at": t.at.astimezone(UTC).isoformat(),
        "actor_kind": t.actor_kind,
        "actor_id": t.actor_id,
        "actor_label": fields["actor_label"],
        "action": t.action,
        "group": t.group,
        "object_type": t.object_type,
        "object_id": t.object_id,
        "mode": t.mode,
        "reason": fields["reason"],
        "outcome": t.outcome,
        "details": t.details,
        "nonce": t.nonce,
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
    """Append one trace to the log. ``details`` must never hold health data.

    Every read of the record goes through here (invariant 2, R-TR-1), so it costs ONE statement on
    PostgreSQL (``WITH ins AS (INSERT INTO audit_trace ... RETURNING id) INSERT INTO audit_logqueue``)
    and two elsewhere, built once from the models' ``_meta`` with every value bound and converted by
    its own field exactly as ``Model.save()`` would. Before writing, the leaf hash
    (``SHA-256(0x00 ‖ canonical JSON)``) and the signed entry timestamp are computed here; the leaf
    index comes later, from the sequencer. Returns the saved ``Trace`` (primary key set).
    """
    conn = connections[DEFAULT_DB_ALIAS]
    if not conn.in_atomic_block:
        raise RuntimeError("trace() must run inside the transaction of the act it records")
    if group not in GROUPS:
        raise ValueError(f"unknown trace group {group!r}")
    key = _key()
    entry = Trace(
        patient_id=patient_id,
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
        nonce=secrets.token_hex(16),
    )
    if patient_id is not None:
        _seal(entry, patient_id)
    digest = leaf_hash_of(leaf_text(leaf_content(entry)))  # over the content as written (``opened``)
    entry.leaf_hash = digest.hex()
    entry.sct = base64.b64encode(key.private.sign(sct_message(digest))).decode()
    entry.key_id = key.key_id
    sql = _trace_sql(conn)
    values: list[Any] = [f.get_db_prep_save(getattr(entry, f.attname), conn) for f in sql.fields]
    with conn.cursor() as cursor:
        cursor.execute(sql.append, values)
        row = cursor.fetchone() if sql.returning else None
        pk = row[0] if row is not None else conn.ops.last_insert_id(cursor, *sql.pk)
        if sql.enqueue is not None:
            cursor.execute(sql.enqueue, [pk])
    entry.pk = pk
    entry._state.adding = False
    entry._state.db = conn.alias
    return entry


def _seal(entry: Trace, patient_id: int) -> None:
    """ADR 0008: seal what an erasure must take away (a patient-side actor's name, a written reason) under
    the patient's key; the clear columns become "" and ``opened`` gives the values back, so the leaf hash
    (computed next) covers the content as written. No-op for most traces (a professional's ordinary read
    has neither): the hot path pays nothing. When the patient's key is already destroyed (an act on an
    erased space), the name and the reason are not kept at all, and the leaf covers them as empty."""
    secret = {}
    if entry.reason:
        secret["reason"] = entry.reason
    if entry.actor_label and entry.actor_kind in SEALED_LABEL_KINDS:
        secret["actor_label"] = entry.actor_label
    if not secret:
        return
    payload = json.dumps(secret, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    try:
        entry.sealed = trace_sealer().seal(patient_id, payload, _aad(entry))
    except ContentUnavailable:
        entry.sealed = None
    else:
        entry.__dict__[_OPENED] = {"actor_label": entry.actor_label, "reason": entry.reason}
    for name in secret:
        setattr(entry, name, "")


@dataclass(frozen=True)
class _TraceSQL:
    """The statements of ``trace()`` for one database backend, built once from the models' ``_meta``.

    Only table and column names (quoted by the backend) are formatted into the SQL; every value is a
    bound ``%s`` parameter.
    """

    fields: tuple[Field[Any, Any], ...]  # the columns of the INSERT, in order (all but the pk)
    append: str  # INSERT of the trace (PostgreSQL: + its queue row, in one statement)
    enqueue: str | None  # INSERT of the queue row when ``append`` does not do it
    returning: bool  # ``append`` returns the trace's id
    pk: tuple[str, str]  # (table, pk column) for ``last_insert_id`` when it does not


_TRACE_SQL: dict[str, _TraceSQL] = {}


def _trace_sql(conn: BaseDatabaseWrapper) -> _TraceSQL:
    sql = _TRACE_SQL.get(conn.vendor)
    if sql is None:
        sql = _TRACE_SQL[conn.vendor] = _build_trace_sql(conn)
    return sql


def _build_trace_sql(conn: BaseDatabaseWrapper) -> _TraceSQL:
    quote = conn.ops.quote_name
    traces = Trace._meta
    fields = tuple(f for f in traces.concrete_fields if not f.primary_key)
    pk = quote(traces.pk.column)
    queue = LogQueue._meta
    queue_table, queue_column = quote(queue.db_table), quote(queue.pk.column)
    insert = (
        f"INSERT INTO {quote(traces.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    returning = conn.features.can_return_columns_from_insert
    if conn.vendor == "postgresql":  # data-modifying WITH: the trace and its queue row in one round trip
        append = (
            f"WITH ins AS ({insert} RETURNING {pk}) "  # noqa: S608 (names from _meta)
            f"INSERT INTO {queue_table} ({queue_column}) SELECT {pk} FROM ins RETURNING {queue_column}"
        )
        enqueue = None
    else:
        append = f"{insert} RETURNING {pk}" if returning else insert
        enqueue = f"INSERT INTO {queue_table} ({queue_column}) VALUES (%s)"  # noqa: S608
    return _TraceSQL(
        fields=fields,
        append=append,
        enqueue=enqueue,
        returning=returning,
        pk=(traces.db_table, traces.pk.column),
    )
