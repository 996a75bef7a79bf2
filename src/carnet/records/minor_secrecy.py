"""R-MIN-5 for the holder's own copies of a confidential exchange (called by ``carnet.messaging``).

A document the holder's side saved from a conversation kept from the minor's legal representatives
carries ``INVISIBLE_REPRESENTANTS_LEGAUX`` like any document a professional hides from them at the minor's
request: the policy then keeps it, its traces (``records.hidden``) and its notifications from them.

``documents_hide_from_representatives`` is not an act of its own: it is part of the messaging act that
the policy already allowed (saving an attachment of a confidential conversation, or marking a conversation
confidential, R-MIN-5), runs in that act's transaction and traces ``UPDATE_METADATA`` with that act's
actor and rule. The holder's side cannot set this code on an upload by itself (``records.services``).
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from carnet.access.facts import Confidentiality
from carnet.access.gateway import AccessScope
from carnet.audit.services import trace

from .models import AuthorKind, Document

SECRET = Confidentiality.INVISIBLE_REPRESENTANTS_LEGAUX.value


def documents_hide_from_representatives(
    *, scope: AccessScope, document_public_ids: Iterable[UUID | str], rule: str
) -> int:
    """Add ``INVISIBLE_REPRESENTANTS_LEGAUX`` to the holder's own uploads among ``document_public_ids``
    (``N`` dropped, at most 4 codes: the rarest code goes first). Returns how many changed."""
    wanted = [str(i) for i in document_public_ids if i]
    if not wanted:
        return 0
    changed = 0
    documents = Document.objects.select_for_update(of=("self",)).filter(
        patient_id=scope.patient_id,
        public_id__in=wanted,
        author_kind=AuthorKind.PATIENT,
        deleted_at__isnull=True,
    )
    for document in documents.order_by("id"):
        before = list(document.confidentiality or [])
        if SECRET in before:
            continue
        after = [SECRET, *[c for c in before if c != Confidentiality.NORMAL]][:4]
        Document.objects.filter(pk=document.pk).update(confidentiality=after)
        trace(
            actor=scope.actor,
            action="UPDATE_METADATA",
            patient_id=scope.patient_id,
            group="documents",
            object_type="document",
            object_id=str(document.public_id),
            details={
                "rule": rule,
                "before": {"confidentiality": before},
                "after": {"confidentiality": after},
            },
        )
        changed += 1
    return changed
