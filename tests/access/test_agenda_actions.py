"""Agenda decisions (SPEC §6): ``AGENDA_READ`` / ``AGENDA_WRITE``. The holder's side keeps the diary
(R-AG-1; R-MIN-1 legal representatives, R-DEL-2 caregivers); professionals do not act on it through the
policy ([I] R-AG-6: services feed it through the agenda API); the space status closes it (R-LC-*)."""

from __future__ import annotations

import pytest

from carnet.access.facts import Action, ForbiddenActorKind, SpaceStatus
from carnet.access.policy import decide
from tests.access import builders as b

AGENDA = [Action.AGENDA_READ, Action.AGENDA_WRITE]


@pytest.mark.parametrize("action", AGENDA)
def test_the_holder_keeps_his_own_diary_r_ag_1(action: Action) -> None:
    decision = decide(b.holder(), b.patient(), None, b.ctx(action))
    assert (decision.allowed, decision.rule) == (True, "R-AG-1")


@pytest.mark.parametrize("action", AGENDA)
def test_the_legal_representative_keeps_the_minors_diary_r_min_1(action: Action) -> None:
    decision = decide(b.legal_rep(), b.patient(), None, b.ctx(action))
    assert (decision.allowed, decision.rule) == (True, "R-MIN-1")


@pytest.mark.parametrize("action", AGENDA)
def test_the_caregiver_manages_the_helped_persons_appointments_r_del_2(action: Action) -> None:
    decision = decide(b.caregiver(), b.patient(), None, b.ctx(action))
    assert (decision.allowed, decision.rule) == (True, "R-DEL-2")


@pytest.mark.parametrize("action", AGENDA)
def test_a_professional_does_not_act_on_the_diary_through_the_policy_r_ag_6(action: Action) -> None:
    decision = decide(b.gp(), b.patient(), None, b.ctx(action))
    assert (decision.allowed, decision.rule) == (False, "R-AG-6")


@pytest.mark.parametrize("action", AGENDA)
def test_forbidden_actors_never_see_the_diary_r_ac_1(action: Action) -> None:
    decision = decide(b.forbidden(ForbiddenActorKind.INSURER), b.patient(), None, b.ctx(action))
    assert (decision.allowed, decision.rule) == (False, "R-AC-1")


@pytest.mark.parametrize(
    ("status", "rule"),
    [(SpaceStatus.CLOSED, "R-LC-21"), (SpaceStatus.OPPOSED, "R-LC-1"), (SpaceStatus.SUSPENDED, "R-LC-24")],
)
def test_the_diary_follows_the_space_status(status: SpaceStatus, rule: str) -> None:
    decision = decide(b.holder(), b.patient(space_status=status), None, b.ctx(Action.AGENDA_WRITE))
    assert (decision.allowed, decision.rule) == (False, rule)
