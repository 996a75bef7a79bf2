"""The rights table of a delegated session: ``delegation_allows`` (R-DEL-2, R-MIN-1, R-MIN-3, R-MIN-7)."""

from __future__ import annotations

from datetime import date

import pytest

from carnet.common.actors import ActorKind
from carnet.spaces.delegation import ACTIONS, delegation_allows

from .conftest import acting, new_person

pytestmark = pytest.mark.django_db

ALL = sorted(ACTIONS)
CAREGIVER_YES = {"consult", "add", "modify", "delete", "message"}

# (actor kind, action) -> expected, written out here rather than derived from the module under test.
EXPECTED: dict[tuple[ActorKind, str], bool] = {}
for _action in ALL:
    EXPECTED[(ActorKind.PATIENT, _action)] = True
    EXPECTED[(ActorKind.LEGAL_REPRESENTATIVE, _action)] = _action != "advance_directives"
    EXPECTED[(ActorKind.CAREGIVER, _action)] = _action in CAREGIVER_YES
    EXPECTED[(ActorKind.PROFESSIONAL, _action)] = False
    EXPECTED[(ActorKind.OPERATOR, _action)] = False


def test_the_action_catalogue_is_the_documented_one() -> None:
    """R-DEL-2: the table covers exactly the actions the settings and space pages ask about."""
    assert set(ALL) == {
        "consult", "add", "modify", "delete", "message", "close", "delete_request", "export",
        "change_credentials", "manage_sharing", "manage_delegations", "advance_directives",
    }  # fmt: skip


@pytest.mark.parametrize(("kind", "action"), sorted(EXPECTED), ids=lambda v: str(v))
def test_rights_table_for_each_actor_kind_and_action(clock, kind: ActorKind, action: str) -> None:
    """R-DEL-2 / R-MIN-1 / R-MIN-3: caregiver denied close, delete_request, export, credentials,
    sharing, delegations; a minor's legal representative denied advance directives only; holder: all."""
    me = new_person()
    if kind == ActorKind.PATIENT:
        ctx = acting(me, me, kind)
    elif kind == ActorKind.LEGAL_REPRESENTATIVE:
        ctx = acting(me, new_person(birth_date=date(2015, 3, 1)), kind)
    else:
        ctx = acting(me, new_person(), kind)
    assert delegation_allows(ctx, action) is EXPECTED[(kind, action)]


def test_an_unknown_action_is_denied_even_to_the_holder(clock) -> None:
    """Fail closed: an action missing from the table is refused to everyone."""
    me = new_person()
    assert delegation_allows(acting(me, me, ActorKind.PATIENT), "transfer_ownership") is False


def test_caregiver_cannot_close_the_helped_persons_space(clock) -> None:
    """Appendix B scenario 10 / R-LC-20: a caregiver may not close the profile."""
    assert delegation_allows(acting(new_person(), new_person(), ActorKind.CAREGIVER), "close") is False


def test_a_minor_holder_cannot_write_advance_directives(clock) -> None:
    """R-MIN-3: the advance-directives section is disabled for minors, even on their own session."""
    child = new_person(birth_date=date(2010, 6, 1))
    assert delegation_allows(acting(child, child, ActorKind.PATIENT), "advance_directives") is False


def test_legal_representative_loses_every_right_once_the_child_is_18(clock) -> None:
    """R-MIN-7: age read from the injectable clock; at 18 the representative has no right left."""
    parent = new_person()
    child = new_person(birth_date=date(2008, 1, 10))
    ctx = acting(parent, child, ActorKind.LEGAL_REPRESENTATIVE)
    assert delegation_allows(ctx, "consult") is True
    clock.advance(days=5)  # 2026-01-10: 18th birthday
    assert [a for a in ALL if delegation_allows(ctx, a)] == []


def test_a_patient_context_on_someone_elses_space_is_denied(clock) -> None:
    """A PATIENT context must be the holder's own: anything else is an inconsistent context, denied."""
    assert delegation_allows(acting(new_person(), new_person(), ActorKind.PATIENT), "consult") is False
