"""Plug points for other apps: which objects' traces a viewer must not see (R-MASK-6, R-MIN-5).

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
