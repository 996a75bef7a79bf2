"""Unwrapped patient data keys, remembered for one unit of work only (ADR 0008).

A page that shows thirty sealed profile entries must not read the patient's wrapped key thirty times.
``key_scope()`` opens a key ring for one unit of work — one HTTP request (``KeyScopeMiddleware``), one task
— and ``patient_data_key`` consults it before reading ``records_patientkey``. The ring is dropped when the
unit of work ends, so an unwrapped key never outlives the request that needed it: there is no
cross-request cache to invalidate when a key is destroyed in another process.

Two rules keep the ring truthful inside its unit of work:

* a key destroyed in this process is forgotten at once (``forget``);
* a key *created* in this process is remembered only after its transaction commits: if that transaction
  rolls back, the key never existed, and the patient's id stays marked so that no read of the row made
  inside the doomed transaction is remembered either.

Outside any scope nothing is remembered (management commands and tests without a request read the key
row each time, which is always correct).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction


@dataclass
class _Ring:
    keys: dict[int, bytes] = field(default_factory=dict)
    created_here: set[int] = field(default_factory=set)  # created in a transaction not known to commit


_RING: ContextVar[_Ring | None] = ContextVar("carnet_key_ring", default=None)


@contextmanager
def key_scope() -> Iterator[None]:
    """Remember unwrapped keys until the block ends (nested scopes share the outer ring)."""
    if _RING.get() is not None:
        yield
        return
    token = _RING.set(_Ring())
    try:
        yield
    finally:
        _RING.reset(token)


def cached(patient_id: int) -> bytes | None:
    ring = _RING.get()
    return ring.keys.get(patient_id) if ring is not None else None


def remember(patient_id: int, key: bytes) -> None:
    """Remember a key read from its committed row (ignored for keys created by a pending transaction)."""
    ring = _RING.get()
    if ring is not None and patient_id not in ring.created_here:
        ring.keys[patient_id] = key


def created(patient_id: int, key: bytes) -> None:
    """A key was just created in the current transaction: remember it only once it commits."""
    ring = _RING.get()
    if ring is None:
        return
    ring.created_here.add(patient_id)

    def committed() -> None:
        ring.created_here.discard(patient_id)
        ring.keys[patient_id] = key

    transaction.on_commit(committed)


def forget(patient_id: int) -> None:
    ring = _RING.get()
    if ring is not None:
        ring.keys.pop(patient_id, None)


class KeyScopeMiddleware:
    """One key ring per request (settings.MIDDLEWARE). Templates that read sealed fields render inside
    the view, hence inside the scope."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        with key_scope():
            return self.get_response(request)
