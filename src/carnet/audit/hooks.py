"""Plug points for other apps: which objects' traces a viewer must not see (R-MASK-6, R-MIN-5), and
the sealer of the trace fields an erasure must take away (ADR 0008; at the end of this module).

The audit app does not know documents. ``records`` registers a provider at start-up (in its
``AppConfig.ready()``)::

    from carnet.audit.hooks import register_hidden_objects_provider

    def hidden_documents(*, patient_id: int, viewer_kind: str) -> set[str]:
        # public ids of the documents whose traces this viewer must not see *now*:
        #  - viewer_kind PATIENT (and his representatives/caregivers): INVISIBLE_PATIENT not yet released
        #  - viewer_kind LEGAL_REPRESENTATIVE: INVISIBLE_REPRESENTANTS_LEGAUX as well
        ...

    register_hidden_objects_provider("records.documents", hidden_documents)

``hidden_object_ids(patient_id=..., viewer_kind=...)`` is the union of every provider's answer; the
history views pass it to ``selectors.history_for_viewer(..., hidden_object_ids=...)`` and to
``services.history_export``. Traces are matched on ``Trace.object_id``: a trace about a document must
carry the document's public id there. The answer is computed at view time (not at trace time), so a
document released after one month (R-MASK-6) shows its history again without rewriting any trace.

Fail closed: a provider that raises makes the history page fail (500) rather than show too much.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

HiddenObjectsProvider = Callable[..., "set[str] | frozenset[str]"]

_PROVIDERS: dict[str, HiddenObjectsProvider] = {}


def register_hidden_objects_provider(name: str, provider: HiddenObjectsProvider) -> None:
    """Register (or replace, by name) a provider ``provider(*, patient_id, viewer_kind) -> set[str]``."""
    _PROVIDERS[name] = provider


def unregister_hidden_objects_provider(name: str) -> None:
    _PROVIDERS.pop(name, None)


def hidden_object_ids(*, patient_id: int, viewer_kind: str) -> set[str]:
    """Object ids whose traces ``viewer_kind`` must not see in ``patient_id``'s history."""
    hidden: set[str] = set()
    for provider in list(_PROVIDERS.values()):
        hidden.update(str(i) for i in provider(patient_id=patient_id, viewer_kind=str(viewer_kind)))
    return hidden


# --------------------------------------------------------------------------------------------------
# Sealing what a trace may hold of a person (ADR 0008; invariant 4)
# --------------------------------------------------------------------------------------------------
#
# A trace is append-only and its content is hashed into the transparency log, yet two of its fields may
# hold what an erasure must take away: the free-text justification of an emergency access (R-EM-6), and
# the name of a patient-side actor (the holder, his legal representative, his caregiver). ``trace()``
# seals those under the patient's data key through the sealer that ``records`` registers at start-up (the
# audit app does not hold keys); destroying the key at erasure then shreds them in the database, its WAL,
# dumps and backups alike, while the entry's leaf hash and signatures still prove its place in the log.


class ContentUnavailable(Exception):
    """A trace's content can no longer be read (a field sealed under an erased patient's key).

    ``services.leaf_content`` raises it; the server's check then verifies the entry by its stored leaf
    hash and its signed entry timestamp, which still prove its place in the log."""


class SealedContentAltered(Exception):
    """A trace's sealed payload fails authentication: altered, or moved from another trace."""


@dataclass(frozen=True)
class TraceSealer:
    """``seal(patient_id, plaintext, aad) -> bytes`` and ``open(patient_id, sealed, aad) -> bytes``;
    ``open`` raises ``ContentUnavailable`` when the patient's key was destroyed and
    ``SealedContentAltered`` when the payload does not authenticate."""

    seal: Callable[[int, bytes, bytes], bytes]
    open: Callable[[int, bytes, bytes], bytes]


_SEALER: list[TraceSealer] = []


def register_trace_sealer(sealer: TraceSealer) -> None:
    """Register (or replace) the one sealer of trace fields (``records`` does, in ``ready()``)."""
    _SEALER[:] = [sealer]


def trace_sealer() -> TraceSealer:
    """The registered sealer; fail closed (no trace written in clear) when there is none."""
    if not _SEALER:
        raise RuntimeError("no trace sealer registered: the records app must be installed")
    return _SEALER[0]
