"""Reads over traces: the patient's "Historique d'activité" (R-TR-3) and verification of a stored chain.

* Who may see a history is asked of ``access`` by the pages, above ``audit`` (``history.selectors``,
  R-TR-2): what reaches this module is an answer, never a decision to make.
* ``history_for_viewer(...)`` is the one query behind every history page: filtered, paginated (100),
  newest first, with the ``hidden_object_ids`` hook applied **in the query** (never after).
* ``chain_verify(patient_id)`` checks one patient's entries in the transparency log
  (``checks.patient_log_verify``; the whole log: ``checks.log_verify``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from carnet.common.actors import ActorKind

from .checks import patient_log_verify
from .labels import (
    EMERGENCY_ACTIONS,
    EMERGENCY_MODES,
    GROUP_LABELS,
    OBJECT_LABELS,
    action_label,
    actor_kind_label,
    object_history_link,
)
from .models import Trace
from .services import opened
from .verify import Problem

HISTORY_PAGE_SIZE = 100  # R-TR-3 "paginated 100"

#: Who may be given a history at all; anything else is refused before any query (fail closed).
HISTORY_VIEWER_KINDS = frozenset(
    {ActorKind.PATIENT, ActorKind.LEGAL_REPRESENTATIVE, ActorKind.CAREGIVER, ActorKind.PROFESSIONAL}
)
_PATIENT_SIDE = frozenset({ActorKind.PATIENT, ActorKind.LEGAL_REPRESENTATIVE, ActorKind.CAREGIVER})
_LINKABLE_ACTORS = frozenset({ActorKind.PROFESSIONAL, ActorKind.ORGANISATION})


def traces_for_patient(patient_id: int) -> QuerySet[Trace]:
    """A patient's traces in the order they were written (invariant 8: filtered on ``patient_id``)."""
    return Trace.objects.filter(patient_id=patient_id).order_by("id")


# --------------------------------------------------------------------------------------------------
# The history itself (R-TR-3)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the history as shown: labels only, never ``details``."""

    id: int
    at: datetime
    action: str
    action_label: str | Promise
    group: str
    group_label: str | Promise
    actor_kind: str
    actor_kind_label: str | Promise
    actor_label: str | Promise
    actor_id: str  # for the per-professional link (only set for professionals and establishments)
    object_type: str
    object_label: str | Promise
    object_history_link: str | Promise  # "historique de ce document": the per-object link's text
    object_id: str  # for the per-object link
    is_emergency: bool
    is_denied: bool
    emergency_reason: str  # the professional's written justification (R-EM-6), emergencies only


@dataclass(frozen=True)
class HistoryPage:
    entries: list[HistoryEntry]
    number: int
    num_pages: int
    count: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def _actor_label(t: Trace, viewer_actor_id: str) -> str | Promise:
    """ "Vous" for the viewer's own acts; fixed names for the platform; the stored label otherwise."""
    if viewer_actor_id and t.actor_id == viewer_actor_id and t.actor_kind in _PATIENT_SIDE:
        return _("Vous")
    if t.actor_kind == ActorKind.SYSTEM:
        return _("Carnet")
    if t.actor_kind == ActorKind.OPERATOR:
        return _("Support Carnet")  # operators' names are not shown
    if t.actor_kind == ActorKind.INSURANCE:
        return _("Assurance Maladie")
    return opened(t)["actor_label"] or actor_kind_label(t.actor_kind)


def _entry(t: Trace, viewer_actor_id: str) -> HistoryEntry:
    emergency = t.mode in EMERGENCY_MODES or t.action in EMERGENCY_ACTIONS
    return HistoryEntry(
        id=t.pk,
        at=t.at,
        action=t.action,
        action_label=action_label(t.action),
        group=t.group,
        group_label=GROUP_LABELS.get(t.group, t.group),
        actor_kind=t.actor_kind,
        actor_kind_label=actor_kind_label(t.actor_kind),
        actor_label=_actor_label(t, viewer_actor_id),
        actor_id=t.actor_id if t.actor_kind in _LINKABLE_ACTORS else "",
        object_type=t.object_type,
        object_label=OBJECT_LABELS.get(t.object_type, "") if t.object_type else "",
        object_history_link=object_history_link(t.object_type) if t.object_type else "",
        object_id=t.object_id,
        is_emergency=emergency,
        is_denied=t.outcome == "DENY",
        emergency_reason=opened(t)["reason"] if emergency else "",
    )


def history_queryset(
    *,
    patient_id: int,
    viewer_kind: str,
    hidden_object_ids: Iterable[str],
    group: str | None = None,
    actor_kind: str | None = None,
    object_id: str | None = None,
    actor_id: str | None = None,
) -> QuerySet[Trace]:
    """The visible traces of ``patient_id`` for ``viewer_kind``, newest first (see ``history_for_viewer``)."""
    if viewer_kind not in HISTORY_VIEWER_KINDS:
        return Trace.objects.none()  # fail closed: unknown viewers see nothing
    qs = Trace.objects.filter(patient_id=patient_id)
    hidden = {str(i) for i in hidden_object_ids if str(i)}
    if hidden:
        qs = qs.exclude(object_id__in=hidden)
    if group:
        qs = qs.filter(group=group)
    if actor_kind:
        qs = qs.filter(actor_kind=actor_kind)
    if object_id is not None:
        qs = qs.filter(object_id=object_id) if object_id else qs.none()
    if actor_id is not None:
        qs = (
            qs.filter(actor_id=actor_id, actor_kind__in=[str(k) for k in _LINKABLE_ACTORS])
            if actor_id
            else qs.none()
        )
    return qs.order_by("-at", "-id")


def history_for_viewer(
    *,
    patient_id: int,
    viewer_kind: str,
    hidden_object_ids: set[str] | frozenset[str],
    viewer_actor_id: str = "",
    group: str | None = None,
    actor_kind: str | None = None,
    object_id: str | None = None,
    actor_id: str | None = None,
    page: int | str | None = 1,
    per_page: int = HISTORY_PAGE_SIZE,
) -> HistoryPage:
    """One page of ``patient_id``'s "Historique d'activité" as ``viewer_kind`` may see it (R-TR-3).

    * ``hidden_object_ids`` — THE hook for confidentiality: traces whose ``object_id`` is in the set are
      left out **in the query** (so counts and pages never betray them). Callers compute it with
      ``carnet.audit.hooks.hidden_object_ids(patient_id=..., viewer_kind=...)``, the union of what apps
      registered: for a PATIENT the ``INVISIBLE_PATIENT`` documents not yet released (R-MASK-6), for a
      LEGAL_REPRESENTATIVE also the ``INVISIBLE_REPRESENTANTS_LEGAUX`` ones (R-MIN-5). The set is
      required (pass an empty set explicitly) so nobody forgets it.
    * ``viewer_actor_id`` — the viewer's own actor id: his acts are labelled "Vous".
    * filters: ``group`` (general / services / documents), ``actor_kind`` (an ``ActorKind``),
      ``object_id`` (per-document history), ``actor_id`` (per-professional history: professionals and
      establishments only).
    * ``page`` — 1-based; anything invalid or out of range gives the nearest valid page.

    The caller has asked ``access`` first (``history.selectors.history_access``): this selector filters, it does not
    decide who may see a history.
    """
    qs = history_queryset(
        patient_id=patient_id,
        viewer_kind=viewer_kind,
        hidden_object_ids=hidden_object_ids,
        group=group,
        actor_kind=actor_kind,
        object_id=object_id,
        actor_id=actor_id,
    )
    paginator = Paginator(qs, per_page)
    current = paginator.get_page(page)
    return HistoryPage(
        entries=[_entry(t, viewer_actor_id) for t in current.object_list],
        number=current.number,
        num_pages=paginator.num_pages,
        count=paginator.count,
    )


def professional_label(*, patient_id: int, actor_id: str) -> str:
    """The name shown for a professional in his own history page (from his latest trace)."""
    label = (
        Trace.objects.filter(patient_id=patient_id, actor_id=actor_id)
        .filter(Q(actor_kind=ActorKind.PROFESSIONAL) | Q(actor_kind=ActorKind.ORGANISATION))
        .order_by("-at", "-id")
        .values_list("actor_label", flat=True)
        .first()
    )
    return label or ""


# --------------------------------------------------------------------------------------------------
# Verification of one patient's entries as stored
# --------------------------------------------------------------------------------------------------

ChainProblem = Problem  # kept for callers of the first version (``.index``, ``.problem``)


def chain_verify(patient_id: int | None) -> list[Problem]:
    """Check one patient's entries in the transparency log; an empty list means they are intact.

    Kept under its first name for its callers: every trace's content against its leaf hash, its signed
    entry timestamp, and its inclusion proof into the latest signed head (``checks.patient_log_verify``).
    """
    return patient_log_verify(patient_id)
