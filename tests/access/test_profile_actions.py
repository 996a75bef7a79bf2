"""The medical profile's section-level decisions (SPEC §4): ``PROFILE_READ`` / ``PROFILE_WRITE`` with
``RequestContext.section``. R-PML-1 (what professionals see), R-MIN-3 and CSP L1111-6 (minors), R-DEL-2
(caregivers, with the holder's personal acts [I]), R-MIN-1, fail-closed defaults."""

from __future__ import annotations

from dataclasses import replace

import pytest

from carnet.access.facts import (
    PROFILE_SHARED_SECTIONS,
    AccessMode,
    Action,
    ActorFacts,
    ForbiddenActorKind,
    ProfileSection,
    RequestContext,
    SpaceStatus,
)
from carnet.access.policy import decide
from carnet.common.actors import ActorKind
from tests.access import builders as b

READ, WRITE = Action.PROFILE_READ, Action.PROFILE_WRITE
ALL = list(ProfileSection)
PRIVATE = [s for s in ProfileSection if s not in PROFILE_SHARED_SECTIONS]
PERSONAL = [ProfileSection.ADVANCE_DIRECTIVES, ProfileSection.TRUSTED_PERSON, ProfileSection.ORGAN_DONATION]


def _ctx(
    action: Action, section: ProfileSection | str, mode: AccessMode = AccessMode.NORMAL
) -> RequestContext:
    return b.ctx(action, mode=mode, section=str(section))


def _rule(
    actor: ActorFacts, action: Action, section: ProfileSection | str, **patient: object
) -> tuple[bool, str]:
    decision = decide(actor, b.patient(**patient), None, _ctx(action, section))  # type: ignore[arg-type]
    return decision.allowed, decision.rule


# --- holder's side ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("section", ALL)
@pytest.mark.parametrize("action", [READ, WRITE])
def test_the_holder_reads_and_writes_every_section(section: ProfileSection, action: Action) -> None:
    assert _rule(b.holder(), action, section) == (True, "R1111-27")


@pytest.mark.parametrize("section", [s for s in ALL if s not in PERSONAL])
@pytest.mark.parametrize("action", [READ, WRITE])
def test_a_caregiver_consults_adds_modifies_and_deletes_data_r_del_2(
    section: ProfileSection, action: Action
) -> None:
    assert _rule(b.caregiver(), action, section) == (True, "R-DEL-2")


@pytest.mark.parametrize("section", PERSONAL)
def test_a_caregiver_reads_but_does_not_make_the_holders_personal_acts(section: ProfileSection) -> None:
    """[I] R-DEL-2 with CSP L1111-11 (directives), L1111-6 (trusted person), L1232-1 (organ donation)."""
    assert _rule(b.caregiver(), READ, section) == (True, "R-DEL-2")
    assert _rule(b.caregiver(), WRITE, section) == (False, "R-DEL-2")


@pytest.mark.parametrize(
    ("section", "rule"),
    [(ProfileSection.ADVANCE_DIRECTIVES, "R-MIN-3"), (ProfileSection.TRUSTED_PERSON, "L1111-6")],
)
@pytest.mark.parametrize("actor", [b.holder, b.legal_rep])
def test_a_minors_profile_has_no_advance_directives_nor_trusted_person(
    section: ProfileSection, rule: str, actor: object
) -> None:
    assert _rule(actor(), WRITE, section, is_minor=True) == (False, rule)  # type: ignore[operator]


@pytest.mark.parametrize(
    "section", [s for s in ALL if s not in (ProfileSection.ADVANCE_DIRECTIVES, ProfileSection.TRUSTED_PERSON)]
)
def test_a_legal_representative_fills_the_minors_other_sections_r_min_1(section: ProfileSection) -> None:
    assert _rule(b.legal_rep(), WRITE, section, is_minor=True) == (True, "R-MIN-1")


def test_a_caregiver_without_delegation_is_refused() -> None:
    assert _rule(b.caregiver(), READ, ProfileSection.TREATMENTS, caregiver_ids=frozenset()) == (
        False,
        "R-DEL-2",
    )


def test_the_patient_side_cannot_act_before_activation_r_lc_14() -> None:
    assert _rule(
        b.holder(), WRITE, ProfileSection.ALLERGIES, space_status=SpaceStatus.OPEN_NOT_ACTIVATED
    ) == (
        False,
        "R-LC-14",
    )


@pytest.mark.parametrize("section", ["", "HEALTH_SECRETS"])
def test_an_unknown_section_is_denied_by_default(section: str) -> None:
    assert _rule(b.holder(), READ, section) == (False, "DEFAULT-DENY")
    assert _rule(b.gp(), READ, section) == (False, "DEFAULT-DENY")


# --- professionals (R-PML-1) -----------------------------------------------------------------------------


@pytest.mark.parametrize("section", sorted(PROFILE_SHARED_SECTIONS))
def test_a_consented_gp_reads_the_shared_sections_r_pml_1(section: ProfileSection) -> None:
    assert _rule(b.gp(), READ, section, consents=(b.explicit(b.GP_ID),)) == (True, "R-AC-12")


@pytest.mark.parametrize("section", PRIVATE)
def test_professionals_never_read_the_other_sections_directly_r_pml_1(section: ProfileSection) -> None:
    assert _rule(b.gp(), READ, section, consents=(b.explicit(b.GP_ID),)) == (False, "R-PML-1")


@pytest.mark.parametrize("section", ALL)
def test_professionals_do_not_fill_the_questionnaire_r_pml_1(section: ProfileSection) -> None:
    assert _rule(b.gp(), WRITE, section, consents=(b.explicit(b.GP_ID),)) == (False, "R-PML-1")


def test_a_gp_without_consent_does_not_read_the_entourage_r_ac_12() -> None:
    assert _rule(b.gp(), READ, ProfileSection.ENTOURAGE) == (False, "R-AC-12")


def test_a_blocked_gp_does_not_read_the_entourage_r_blk_2() -> None:
    patient = {"consents": (b.explicit(b.GP_ID),), "blocked_actor_ids": frozenset({b.GP_ID})}
    assert _rule(b.gp(), READ, ProfileSection.ENTOURAGE, **patient) == (False, "R-BLK-2")


def test_a_consented_dentist_reads_the_entourage_but_not_the_advance_directives_r_mat_3() -> None:
    consents = (b.explicit(b.DENTIST_ID),)
    assert _rule(b.dentist(), READ, ProfileSection.ENTOURAGE, consents=consents)[0] is True
    assert _rule(b.dentist(), READ, ProfileSection.ADVANCE_DIRECTIVES, consents=consents) == (
        False,
        "R-MAT-1",
    )


def test_the_medecin_traitant_reads_the_entourage_without_further_consent_r_ac_15() -> None:
    assert _rule(b.gp(is_medecin_traitant=True), READ, ProfileSection.ENTOURAGE) == (True, "R-AC-15")


def test_break_the_glass_reads_the_entourage_with_the_emergency_obligations_r_em_1() -> None:
    context = replace(_ctx(READ, ProfileSection.ENTOURAGE, AccessMode.BTG), reason="inconscient")
    decision = decide(b.gp(), b.patient(), None, context)
    assert (decision.allowed, decision.rule) == (True, "R-EM-1")
    assert decision.obligations


@pytest.mark.parametrize("kind", ["INSURER", "MUTUELLE", "EMPLOYER"])
def test_forbidden_actors_never_read_the_profile_r_ac_1(kind: str) -> None:
    actor = b.forbidden(ForbiddenActorKind(kind))
    assert _rule(actor, READ, ProfileSection.ENTOURAGE) == (False, "R-AC-1")


def test_operators_never_read_the_profile_r_ac_4() -> None:
    assert _rule(ActorFacts(kind=ActorKind.OPERATOR, id="op"), READ, ProfileSection.ENTOURAGE) == (
        False,
        "R-AC-4",
    )
