"""How this app asks THE policy (ARCHITECTURE invariant 1), and traces what it answered.

* reads: ``PROFILE_READ`` with the section ``VACCINATIONS`` or ``MEASUREMENTS`` (R-PML-1: professionals read
  vaccinations like a "Note de vaccination" document — blocking, consent, matrix, emergency modes —, and
  never measurements, which reach them only through a saved profile summary);
* measurement writes: ``PROFILE_WRITE`` / ``MEASUREMENTS`` (the holder's side only);
* vaccination writes: ``VACCINATION_WRITE`` with the entry as ``DocumentFacts`` when one is changed
  (authorship: a professional changes only his own entries; the holder's side only its own).

``carnet.access.gateway.decide`` has no profile section parameter yet, so the context is built here from
``scope.context(...)`` with the same emergency-session rule as the gateway (R-EM-6).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.db import transaction

from carnet.access import policy
from carnet.access.facts import (
    PROFILE_SECTION_TYPES,
    AccessMode,
    Action,
    DocumentFacts,
    ProfileSection,
)
from carnet.access.gateway import NO_SESSION_RULE, AccessScope
from carnet.access.policy import Decision
from carnet.audit.services import trace
from carnet.common.actors import ActorKind

from .models import Vaccination

VACCINATIONS = ProfileSection.VACCINATIONS
MEASUREMENTS = ProfileSection.MEASUREMENTS


def decide(
    scope: AccessScope,
    action: Action,
    *,
    section: ProfileSection | None = None,
    entry: DocumentFacts | None = None,
) -> Decision:
    if scope.holder is None:
        return Decision(False, policy.DEFAULT_DENY, "no such patient")
    if (
        scope.mode != AccessMode.NORMAL
        and scope.facts.kind == ActorKind.PROFESSIONAL
        and scope.session is None
    ):
        return Decision(False, NO_SESSION_RULE, "no open emergency session for this professional and patient")
    context = replace(scope.context(action), section=str(section or ""))
    return policy.decide(scope.facts, scope.patient, entry, context)


def vaccination_facts(vaccination: Vaccination) -> DocumentFacts:
    """The policy's view of one vaccination entry (its author; the section's J07 type for the matrix)."""
    type_code, class_code = PROFILE_SECTION_TYPES[VACCINATIONS]
    pro, org = vaccination.author_professional, vaccination.author_organisation
    return DocumentFacts(
        document_id=str(vaccination.public_id),
        type_code=type_code,
        class_code=class_code,
        author_professional_id=str(pro.public_id) if pro is not None else "",
        author_organisation_id=str(org.public_id) if org is not None else "",
        patient_uploaded=vaccination.authored_by_patient,
    )


def record_trace(
    scope: AccessScope,
    *,
    action: str,
    decision: Decision,
    object_type: str,
    object_id: str = "",
    **details: Any,
) -> None:
    """Trace inside the caller's transaction (invariant 2). ``details`` never hold health data."""
    session = scope.session
    trace(
        actor=scope.actor,
        action=action,
        patient_id=scope.patient_id,
        group="general",
        object_type=object_type,
        object_id=object_id,
        mode=str(scope.mode),
        reason=session.reason if session is not None and decision else "",
        outcome="ALLOW" if decision else "DENY",
        details={"rule": decision.rule, **details},
    )


def deny_trace(
    scope: AccessScope, *, action: str, decision: Decision, object_type: str, object_id: str = ""
) -> None:
    """A refused act leaves a ``DENY`` trace, committed on its own (it survives the exception)."""
    if scope.holder is None:
        return
    with transaction.atomic():
        record_trace(scope, action=action, decision=decision, object_type=object_type, object_id=object_id)
