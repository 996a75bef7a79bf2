"""Idempotent deposits (issue 13): a retried request returns the first result instead of a second document.

The keys a depositor may give:

* JSON API: the ``Idempotency-Key`` header (IETF draft-ietf-httpapi-idempotency-key-header) on the deposit
  and replacement routes; kept ``CARNET_DEPOSIT_KEY_RETENTION_HOURS`` (48 h) after the first request;
* FHIR: a DocumentReference's ``masterIdentifier`` (the document's unique id, XDS ``uniqueId``) and the
  SubmissionSet's unique id (``List.identifier`` with ``use = official``): unique ids by the standard, so
  kept as long as the record (deleted with it by the space's erasure).

Rules (tested in ``tests/records/test_idempotency*.py``):

* a key belongs to one depositor (the acting actor: an establishment's FINESS, a professional's RPPS, a
  user): two establishments may use the same key;
* same depositor, same key, same request (a keyed hash of the request's canonical content: patient,
  operation, content hash, media type, file name, metadata) → the first result: nothing is written, no
  deposit trace, no notification;
* same key, another request → a ``DomainError`` naming where the key came from (422), nothing written;
* two concurrent requests with one key → one document: the key row is inserted first in the deposit's
  transaction and its unique constraint makes the second insert wait for the first transaction, then fail
  once it commits (the second request then answers the first result). No check-then-insert.

Only keyed hashes (HMAC-SHA256 with a key derived from ``SECRET_KEY``, ADR 0004) of the key and of the
request are stored: a key is a client's string that must not carry health data, but nothing here relies on
that, and a hash of a small request could otherwise confirm a guess of its content. Rotating
``SECRET_KEY`` forgets every key (a retry after the rotation deposits again).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from carnet.common import clock
from carnet.common.actors import Actor
from carnet.common.errors import DomainError, NotFoundOrForbidden

from .models import DepositKey, DepositKeyNamespace, Document

API_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class IdempotencyKey:
    """A key as the depositor gave it, and where it came from (named in errors)."""

    namespace: DepositKeyNamespace
    value: str
    field: str


class Replayed(Exception):  # a signal, not an error
    """Raised inside a deposit's transaction when its key already belongs to an identical request."""

    def __init__(self, row: DepositKey) -> None:
        super().__init__("idempotent replay")
        self.row = row


def api_key(raw: str | None) -> IdempotencyKey | None:
    """The ``Idempotency-Key`` header of a JSON API deposit (None when absent). The draft sends it as a
    structured-field string (``"…"``); a bare token is accepted too. 1 to 255 printable ASCII characters."""
    if raw is None:
        return None
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not value:
        raise DomainError(
            _("La clé d'idempotence (en-tête Idempotency-Key) est vide."), code="invalid", field=API_HEADER
        )
    if len(value) > MAX_KEY_LENGTH or not all(" " <= char <= "~" for char in value):
        raise DomainError(
            _(
                "La clé d'idempotence (en-tête Idempotency-Key) doit compter de 1 à 255 caractères ASCII "
                "imprimables."
            ),
            code="invalid",
            field=API_HEADER,
        )
    return IdempotencyKey(DepositKeyNamespace.API, value, API_HEADER)


def depositor_of(actor: Actor) -> str:
    return f"{actor.kind}:{actor.id}"[:100]


def _keyed(purpose: str, value: str) -> str:
    key = hashlib.sha256(f"carnet-records-idempotency|{purpose}|{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def _key_hash(key: IdempotencyKey) -> str:
    return _keyed("key", f"{key.namespace}|{key.value}")


def request_hash(parts: Mapping[str, Any]) -> str:
    """Keyed hash of a request's canonical form (sorted JSON; dates and ids as text)."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return _keyed("request", canonical)


def deposit_request_parts(
    *,
    operation: str,
    patient_id: int,
    content: Any,
    filename: str,
    media_type: str,
    metadata: Mapping[str, Any],
) -> dict[str, Any]:
    """What makes two deposits the same request: the content by its hash, never the content itself."""
    raw = bytes(content) if isinstance(content, bytes | bytearray) else b""
    return {
        "operation": operation,
        "patient": patient_id,
        "content": hashlib.sha256(raw).hexdigest(),
        "filename": filename or "",
        "media_type": media_type or "",
        "metadata": {name: metadata[name] for name in sorted(metadata)},
    }


def lookup(actor: Actor, key: IdempotencyKey) -> DepositKey | None:
    """The depositor's row for this key, if a transaction using it committed (and it has not expired)."""
    row = DepositKey.objects.filter(
        depositor=depositor_of(actor), namespace=key.namespace, key_hash=_key_hash(key)
    ).first()
    if row is not None and row.expires_at is not None and row.expires_at <= clock.now():
        row.delete()  # expired: the key is free again (the purge would have removed it)
        return None
    return row


def check_same_request(row: DepositKey, fingerprint: str, key: IdempotencyKey) -> None:
    """Refuse a key reused for another request, naming the key (not echoing it)."""
    if not hmac.compare_digest(row.request_hash, fingerprint):
        raise DomainError(
            _(
                "La clé d'idempotence (%(field)s) a déjà servi pour une autre requête : renvoyez la même "
                "requête pour obtenir le premier résultat, ou utilisez une nouvelle clé."
            )
            % {"field": key.field},
            code="idempotency_key_reused",
            field=key.field,
        )


def claim(*, actor: Actor, key: IdempotencyKey, patient_id: int, fingerprint: str) -> DepositKey:
    """Reserve the key inside the deposit's transaction, before anything else is written.

    Raises ``Replayed`` when a committed (or this same transaction's) row has the same request, and the
    ``DomainError`` of ``check_same_request`` when it has another one. On PostgreSQL the insert waits while
    another open transaction holds the key."""
    now = clock.now()
    expires_at = (
        now + timedelta(hours=int(settings.CARNET_DEPOSIT_KEY_RETENTION_HOURS))
        if key.namespace == DepositKeyNamespace.API
        else None
    )
    for _attempt in range(2):
        try:
            with transaction.atomic():  # a savepoint: the caller's transaction survives the conflict
                return DepositKey.objects.create(
                    patient_id=patient_id,
                    depositor=depositor_of(actor),
                    namespace=key.namespace,
                    key_hash=_key_hash(key),
                    request_hash=fingerprint,
                    created_at=now,
                    expires_at=expires_at,
                )
        except IntegrityError:
            row = DepositKey.objects.filter(
                depositor=depositor_of(actor), namespace=key.namespace, key_hash=_key_hash(key)
            ).first()
            if row is None:
                continue  # the conflicting row was purged in between: try again
            if row.expires_at is not None and row.expires_at <= now:
                row.delete()  # past its retention: the key is free again
                continue
            check_same_request(row, fingerprint, key)
            raise Replayed(row) from None
    raise DomainError(  # pragma: no cover - the key kept changing hands: let the client retry
        _("La clé d'idempotence (%(field)s) est en cours d'utilisation.") % {"field": key.field},
        code="idempotency_key_busy",
        field=key.field,
    )


def settle(row: DepositKey, documents: Sequence[Document]) -> None:
    """Record the first result (in the deposit's transaction)."""
    row.documents = [str(document.public_id) for document in documents]
    row.save(update_fields=["documents"])


def documents_of(row: DepositKey) -> list[Document]:
    """The documents of the first result, in its order (a document erased since answers not found)."""
    found = {
        str(document.public_id): document
        for document in Document.objects.filter(
            patient_id=row.patient_id, public_id__in=row.documents
        ).select_related("author_professional", "author_organisation", "author_person", "blob", "replaces")
    }
    if not row.documents or any(public_id not in found for public_id in row.documents):
        raise NotFoundOrForbidden(_("Document introuvable."), code="not_found")
    return [found[public_id] for public_id in row.documents]


def purge_expired() -> int:
    """Delete the JSON API keys past their retention (worker task ``records.deposit_keys_purge``)."""
    deleted, _detail = DepositKey.objects.filter(expires_at__lte=clock.now()).delete()
    return deleted
