"""The plain facts the policy decides over (SPEC §2.4, R-AC-16, R-EM-5, R-LC-28)."""

from __future__ import annotations

from datetime import datetime

import pytest

from carnet.access.facts import (
    DEFAULT_EMERGENCY_SETTINGS,
    Action,
    Consent,
    ConsentKind,
    DocumentFacts,
    EmergencySetting,
    RequestContext,
    SpaceStatus,
    confidentiality,
)
from carnet.spaces.models import SpaceStatus as ModelSpaceStatus


def test_space_statuses_mirror_the_spaces_model() -> None:
    """R-LC-28: the policy's copy of the state machine stays identical to the model's."""
    assert {s.value for s in SpaceStatus} == set(ModelSpaceStatus.values)


def test_emergency_defaults_permit_samu_and_btg_and_deny_masked() -> None:
    """R-EM-5: SAMU and BTG permit by law; MASKED deny is our [I] default (SPEC §12 gap 5)."""
    assert DEFAULT_EMERGENCY_SETTINGS.etreat == EmergencySetting.PERMIT
    assert DEFAULT_EMERGENCY_SETTINGS.btg == EmergencySetting.PERMIT
    assert DEFAULT_EMERGENCY_SETTINGS.masked == EmergencySetting.DENY


def test_a_document_carries_at_most_four_confidentiality_codes() -> None:
    """§2.4: confidentiality 1..4."""
    five = confidentiality("N", "R", "V", "MASQUE_PS", "INVISIBLE_PATIENT")
    with pytest.raises(ValueError, match="at most 4"):
        DocumentFacts(document_id="d", type_code="11502-2", class_code="10", confidentiality=five)


def test_a_document_needs_known_confidentiality_codes() -> None:
    with pytest.raises(ValueError, match="unknown confidentiality codes"):
        DocumentFacts(
            document_id="d", type_code="11502-2", class_code="10", confidentiality=frozenset({"SECRET"})
        )


def test_a_document_needs_at_least_one_confidentiality_code() -> None:
    with pytest.raises(ValueError, match="at least one"):
        DocumentFacts(document_id="d", type_code="11502-2", class_code="10", confidentiality=frozenset())


def test_a_temporary_consent_needs_an_expiry() -> None:
    """R-AC-16."""
    with pytest.raises(ValueError, match="expires_at"):
        Consent(subject_id="rpps", kind=ConsentKind.TEMPORARY)


def test_a_request_context_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        RequestContext(action=Action.CONSULT, now=datetime(2026, 1, 5))


