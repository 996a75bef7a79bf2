"""Which documents' traces a patient-side viewer must not see yet (plugged into ``audit.hooks``).

* R-MASK-6: an ``INVISIBLE_PATIENT`` document is hidden from the holder, his legal representatives and
  his caregivers until ``invisible_until`` — its traces too, so its existence and nature do not leak.
  Without a date (never written by our services) it stays hidden, as the policy decides (fail closed).
* R-MIN-5: an ``INVISIBLE_REPRESENTANTS_LEGAUX`` document is hidden from legal representatives, always.

Computed at view time from the documents themselves, so a release after one month needs no rewrite.

Writers of traces use ``hidden_from_a_patient_side_viewer`` for the other half of the rule (issue 12,
item 2): a trace that lists several documents counts only those every patient-side viewer may see, and
gives each listed document hidden from one of them a trace of its own, whose ``object_id`` is that
document, so the provider below removes it from exactly the histories that must not show it.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from carnet.common import clock

from .models import Document

INVISIBLE_PATIENT = "INVISIBLE_PATIENT"
INVISIBLE_REPRESENTANTS_LEGAUX = "INVISIBLE_REPRESENTANTS_LEGAUX"
PATIENT_SIDE = {"PATIENT", "LEGAL_REPRESENTATIVE", "CAREGIVER"}


def _hidden(codes: list[str], invisible_until: datetime | None, viewer_kind: str, now: datetime) -> bool:
    if INVISIBLE_PATIENT in codes and (invisible_until is None or invisible_until > now):
        return True
    return viewer_kind == "LEGAL_REPRESENTATIVE" and INVISIBLE_REPRESENTANTS_LEGAUX in codes


def hidden_from_a_patient_side_viewer(document: Document, *, now: datetime | None = None) -> bool:
    """Is ``document`` hidden *now* from at least one patient-side viewer (the holder before an
    announcement, R-MASK-6; a legal representative, R-MIN-5)? Caregivers see what the holder sees."""
    codes = list(document.confidentiality or [])
    return _hidden(codes, document.invisible_until, "LEGAL_REPRESENTATIVE", now or clock.now())


def hidden_documents(*, patient_id: int, viewer_kind: str) -> set[str]:
    if viewer_kind not in PATIENT_SIDE:
        return set()
    now = clock.now()
    # Few documents carry these codes: filter on the JSON list in Python over a narrow queryset.
    candidates = Document.objects.filter(patient_id=patient_id).filter(
        Q(invisible_until__gt=now)
        | Q(confidentiality__icontains=INVISIBLE_PATIENT)
        | Q(confidentiality__icontains=INVISIBLE_REPRESENTANTS_LEGAUX)
    )
    return {
        str(public_id)
        for public_id, codes, invisible_until in candidates.values_list(
            "public_id", "confidentiality", "invisible_until"
        )
        if _hidden(list(codes or []), invisible_until, viewer_kind, now)
    }
