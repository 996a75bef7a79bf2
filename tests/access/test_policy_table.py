"""Table-driven check of CONSULT decisions over every actor kind × confidentiality code × emergency setting ×
blocked/consented × access mode (SPEC Appendix A, §2.10, §3).

The expected (allowed, rule) comes from ``expected()``, a deliberately flat expectation table written from
the SPEC, not from the policy's code. Each parametrised case (actor × confidentiality × emergency settings)
sweeps blocked/consented/mode inside and reports every mismatch at once, so the 11 520 combinations run fast.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta

import pytest

from carnet.access.facts import AccessMode, ActorFacts, EmergencySetting, ForbiddenActorKind
from carnet.access.policy import decide
from carnet.common.actors import ActorKind
from tests.access import builders as b

MP, IP, IRL = "MASQUE_PS", "INVISIBLE_PATIENT", "INVISIBLE_REPRESENTANTS_LEGAUX"

# Every actor kind of carnet.common.actors.ActorKind and access.ForbiddenActorKind, plus the professional
# roles the SPEC distinguishes (author, administrateur, SAMU regulator, occupational doctor).
PROFILES: dict[str, Callable[[], ActorFacts]] = {
    "holder": b.holder,
    "legal_rep": b.legal_rep,
    "caregiver": b.caregiver,
    "gp": b.gp,
    "dentist": b.dentist,
    "administrator": b.administrator,
    "author_professional": b.lab_biologist,
    "author_organisation": b.lab_software,
    "samu_regulator": b.regulator,
    "occupational_doctor": b.occupational_doctor,
    "operator": lambda: ActorFacts(kind=ActorKind.OPERATOR, id="op-1"),
    "insurance_feed": lambda: ActorFacts(kind=ActorKind.INSURANCE, id="assurance-maladie"),
    "system": lambda: ActorFacts(kind=ActorKind.SYSTEM, id="job"),
    "insurer": lambda: b.forbidden(ForbiddenActorKind.INSURER),
    "mutuelle": lambda: b.forbidden(ForbiddenActorKind.MUTUELLE),
    "employer": lambda: b.forbidden(ForbiddenActorKind.EMPLOYER),
}

CONFIDENTIALITIES: list[tuple[str, ...]] = [
    ("N",),
    (MP,),
    (IP,),
    (IRL,),
    (MP, IP),
    (MP, IRL),
    (IP, IRL),
    (MP, IP, IRL),
]

SETTINGS = list(itertools.product([b.PERMIT, b.DENY], repeat=3))  # (ETREAT, BTG, MASKED)
MODES = [AccessMode.NORMAL, AccessMode.BTG, AccessMode.SAMU]

# --- the expectation table ------------------------------------------------------------------------------

# Actors whose answer does not depend on anything but their kind.
FIXED = {
    "insurer": (False, "R-AC-1"),  # L1111-18, even with consent
    "mutuelle": (False, "R-AC-1"),
    "employer": (False, "R-AC-1"),
    "operator": (False, "R-AC-4"),
    "insurance_feed": (False, "R-AC-4"),
    "system": (False, "DEFAULT-DENY"),
}
PATIENT_SIDE_ALLOW = {"holder": "L1111-19", "legal_rep": "R-MIN-1", "caregiver": "R-DEL-2"}
AUTHORS = {"author_professional", "author_organisation"}


def expected(
    profile: str,
    codes: tuple[str, ...],
    settings: tuple[EmergencySetting, EmergencySetting, EmergencySetting],
    blocked: bool,
    consented: bool,
    mode: AccessMode,
) -> tuple[bool, str]:
    etreat, btg, masked_setting = settings
    masked = MP in codes
    if profile in FIXED:
        return FIXED[profile]
    if profile in PATIENT_SIDE_ALLOW:
        if mode != AccessMode.NORMAL:
            return False, "R-EM-1"
        if profile == "legal_rep" and IRL in codes:
            return False, "R-MIN-5"
        if IP in codes:  # invisible_until is in the future in this table
            return False, "R-MASK-6"
        return True, PATIENT_SIDE_ALLOW[profile]
    if profile in AUTHORS:
        return True, "R-MASK-1"
    if blocked:
        return False, "R-BLK-2"
    if profile == "occupational_doctor" and (mode != AccessMode.NORMAL or not consented):
        return False, "R-AC-2"
    # All remaining profiles are médecins or a dentist: the matrix lets them read a biology report.
    if mode == AccessMode.NORMAL:
        if not consented and profile != "administrator":
            return False, "R-AC-12"
        if masked:
            return (True, "R-MASK-2") if profile == "administrator" else (False, "R-MASK-1")
        return True, ("R-AC-12" if consented else "R-AC-15")
    if mode == AccessMode.BTG and btg == b.DENY:
        return False, "R-EM-1"
    if mode == AccessMode.SAMU and (profile != "samu_regulator" or etreat == b.DENY):
        return False, "R-EM-2"
    if masked:
        allowed = masked_setting == b.PERMIT or profile == "administrator"
        return allowed, "R-MASK-5"
    return True, ("R-EM-1" if mode == AccessMode.BTG else "R-EM-2")


# --- the sweep ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "emergency_settings", SETTINGS, ids=lambda s: "ETREAT={}-BTG={}-MASKED={}".format(*s)
)
@pytest.mark.parametrize("codes", CONFIDENTIALITIES, ids="+".join)
@pytest.mark.parametrize("profile", list(PROFILES))
def test_consult_decision_matches_the_expectation_table(
    profile: str,
    codes: tuple[str, ...],
    emergency_settings: tuple[EmergencySetting, EmergencySetting, EmergencySetting],
) -> None:
    """Appendix A + R-AC-1, R-AC-2, R-MIN-5, R-MASK-1/2/5/6, R-BLK-2, R-EM-1/2 (one actor/doc/setting)."""
    actor = PROFILES[profile]()
    document = b.lab_report(*codes, invisible_until=b.NOW + timedelta(days=20))
    mismatches = []
    for blocked, consented, mode in itertools.product([False, True], [False, True], MODES):
        patient = b.patient(
            emergency=b.emergency(*emergency_settings),
            blocked_actor_ids=frozenset({actor.id}) if blocked else frozenset(),
            consents=(b.explicit(actor.id),) if consented else (),
        )
        context = b.btg() if mode == AccessMode.BTG else b.ctx(mode=mode)
        decision = decide(actor, patient, document, context)
        want = expected(profile, codes, emergency_settings, blocked, consented, mode)
        if (decision.allowed, decision.rule) != want:
            mismatches.append((f"blocked={blocked} consented={consented} mode={mode}", want, decision))
    assert mismatches == []
