"""Which documents' traces a patient-side viewer must not see yet (plugged into ``audit.hooks``).

* R-MASK-6: an ``INVISIBLE_PATIENT`` document is hidden from the holder, his legal representatives and
  his caregivers until ``invisible_until`` — its traces too, so its existence and nature do not leak.
* R-MIN-5: an ``INVISIBLE_REPRESENTANTS_LEGAUX`` document is hidden from legal representatives, always.

Computed at view time from the documents themselves, so a release after one month needs no rewrite.
"""

from __future__ import annotations

from django.db.models import Q

from carnet.common import clock

from .models import Document

INVISIBLE_PATIENT = "INVISIBLE_PATIENT"
INVISIBLE_REPRESENTANTS_LEGAUX = "INVISIBLE_REPRESENTANTS_LEGAUX"
PATIENT_SIDE = {"PATIENT", "LEGAL_REPRESENTATIVE", "CAREGIVER"}


def hidden_documents(*, patient_id: int, viewer_kind: str) -> set[str]:
    if viewer_kind not in PATIENT_SIDE:
        return set()
    # Few documents carry these codes: filter on the JSON list in Python over a narrow queryset.
    candidates = Document.objects.filter(patient_id=patient_id).filter(
        Q(invisible_until__gt=clock.now()) | Q(confidentiality__icontains=INVISIBLE_REPRESENTANTS_LEGAUX)
    )
    hidden: set[str] = set()
    for public_id, codes, invisible_until in candidates.values_list("public_id", "confidentiality", "invisible_until"):
        if INVISIBLE_PATIENT in codes and invisible_until is not None and invisible_until > clock.now():
            hidden.add(str(public_id))
        if viewer_kind == "LEGAL_REPRESENTATIVE" and INVISIBLE_REPRESENTANTS_LEGAUX in codes:
            hidden.add(str(public_id))
    return hidden
