"""The policy for the secure messaging (SPEC §5 R-MSG-1..6, R-DEP-5, R-BLK-2, R-DEL-2, R-MIN-1, R-AC-1,
Appendix B scenario 9), table-driven over plain facts (no database)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from carnet.access.facts import (
    AccessMode,
    Action,
    ActorFacts,
    ConversationFacts,
    ForbiddenActorKind,
    SpaceStatus,
)
from carnet.access.policy import decide
from carnet.common.actors import ActorKind
from tests.access import builders as b

WITH_GP = ConversationFacts("c-1", frozenset({b.GP_ID}))
WITH_LAB = ConversationFacts("c-2", frozenset({b.LAB_ORG_ID}))
ENDED = replace(WITH_GP, ended=True)
NO_REPLY = replace(WITH_GP, no_reply=True)
DELETED = replace(WITH_GP, deleted_by_patient=True)
NEVER_WROTE = replace(WITH_GP, counterpart_has_written=False)


def _answer(
    actor: ActorFacts, action: Action, conversation: ConversationFacts | None, **patient: Any
) -> tuple[bool, str]:
    decision = decide(actor, b.patient(**patient), None, b.ctx(action, conversation=conversation))
    return decision.allowed, decision.rule


PATIENT_SIDE = [b.holder, b.legal_rep, b.caregiver]

# (actor, action, conversation) -> (allowed, rule)
TABLE: list[tuple[str, Any, Action, ConversationFacts | None, tuple[bool, str]]] = [
    # the holder's side reads its messaging (R-MSG-1, R-MIN-1, R-DEL-2)
    ("holder reads the inbox", b.holder, Action.MESSAGE_READ, None, (True, "R-MSG-1")),
    ("holder reads a conversation", b.holder, Action.MESSAGE_READ, WITH_GP, (True, "R-MSG-1")),
    ("legal rep reads for the minor", b.legal_rep, Action.MESSAGE_READ, WITH_GP, (True, "R-MIN-1")),
    ("caregiver reads", b.caregiver, Action.MESSAGE_READ, WITH_GP, (True, "R-DEL-2")),
    ("a deleted conversation is gone", b.holder, Action.MESSAGE_READ, DELETED, (False, "R-MSG-6")),
    # replies (R-MSG-3)
    ("holder replies", b.holder, Action.MESSAGE_SEND, WITH_GP, (True, "R-MSG-3")),
    ("caregiver replies", b.caregiver, Action.MESSAGE_SEND, WITH_GP, (True, "R-DEL-2")),
    ("legal rep replies", b.legal_rep, Action.MESSAGE_SEND, WITH_GP, (True, "R-MIN-1")),
    ("REPLY_BLOCKED after the end", b.holder, Action.MESSAGE_SEND, ENDED, (False, "R-MSG-3")),
    ("NO_REPLY sender", b.holder, Action.MESSAGE_SEND, NO_REPLY, (False, "R-MSG-3")),
    ("no reply without a conversation", b.holder, Action.MESSAGE_SEND, None, (False, "DEFAULT-DENY")),
    # new messages from the holder's side (R-MSG-2, Appendix B 9)
    ("to a professional who wrote", b.holder, Action.MESSAGE_START, WITH_GP, (True, "R-MSG-2")),
    ("to one who never wrote", b.holder, Action.MESSAGE_START, NEVER_WROTE, (False, "R-MSG-2")),
    ("to one who ended the exchanges", b.holder, Action.MESSAGE_START, ENDED, (False, "R-MSG-2")),
    ("to a no-reply sender", b.holder, Action.MESSAGE_START, NO_REPLY, (False, "R-MSG-3")),
    ("caregiver to one who wrote", b.caregiver, Action.MESSAGE_START, WITH_GP, (True, "R-MSG-2")),
    ("without saying to whom", b.holder, Action.MESSAGE_START, None, (False, "DEFAULT-DENY")),
    # ending and deleting
    ("the holder does not end", b.holder, Action.MESSAGE_END, WITH_GP, (False, "R-MSG-3")),
    ("the holder deletes for good", b.holder, Action.MESSAGE_DELETE, WITH_GP, (True, "R-MSG-6")),
    ("the legal rep deletes for the minor", b.legal_rep, Action.MESSAGE_DELETE, WITH_GP, (True, "R-MSG-6")),
    ("a caregiver does not delete", b.caregiver, Action.MESSAGE_DELETE, WITH_GP, (False, "R-DEL-2")),
    # professionals (R-MSG-1/2/3, R-DEP-5)
    ("a GP starts without consent", b.gp, Action.MESSAGE_START, None, (True, "R-MSG-2")),
    ("a dentist starts without consent", b.dentist, Action.MESSAGE_START, None, (True, "R-MSG-2")),
    ("the lab software starts", b.lab_software, Action.MESSAGE_START, None, (True, "R-MSG-2")),
    ("the GP reads his conversation", b.gp, Action.MESSAGE_READ, WITH_GP, (True, "R-MSG-1")),
    ("the GP reads a deleted one (tombstone)", b.gp, Action.MESSAGE_READ, DELETED, (True, "R-MSG-1")),
    ("a dentist reads the GP's", b.dentist, Action.MESSAGE_READ, WITH_GP, (False, "R-MSG-1")),
    ("no professional reads the inbox", b.gp, Action.MESSAGE_READ, None, (False, "DEFAULT-DENY")),
    ("the lab biologist reads his lab's", b.lab_biologist, Action.MESSAGE_READ, WITH_LAB, (True, "R-MSG-1")),
    ("the GP writes in his conversation", b.gp, Action.MESSAGE_SEND, WITH_GP, (True, "R-MSG-1")),
    ("nobody writes in an ended one", b.gp, Action.MESSAGE_SEND, ENDED, (False, "R-MSG-3")),
    ("nor in a deleted one", b.gp, Action.MESSAGE_SEND, DELETED, (False, "R-MSG-6")),
    ("the GP ends his conversation", b.gp, Action.MESSAGE_END, WITH_GP, (True, "R-MSG-3")),
    ("a dentist ends the GP's", b.dentist, Action.MESSAGE_END, WITH_GP, (False, "R-MSG-1")),
    ("professionals never delete", b.gp, Action.MESSAGE_DELETE, WITH_GP, (False, "R-MSG-6")),
]


@pytest.mark.parametrize(
    ("case", "actor", "action", "conversation", "expected"), TABLE, ids=[t[0] for t in TABLE]
)
def test_messaging_decisions_follow_spec_section_5(
    case: str, actor: Any, action: Action, conversation: ConversationFacts | None, expected: tuple[bool, str]
) -> None:
    assert _answer(actor(), action, conversation) == expected


def test_a_blocked_professional_can_still_start_and_write_r_blk_2() -> None:
    blocked = {"blocked_actor_ids": frozenset({b.GP_ID})}
    assert _answer(b.gp(), Action.MESSAGE_START, None, **blocked) == (True, "R-MSG-2")
    assert _answer(b.gp(), Action.MESSAGE_SEND, WITH_GP, **blocked) == (True, "R-MSG-1")


@pytest.mark.parametrize("kind", list(ForbiddenActorKind))
@pytest.mark.parametrize("action", [Action.MESSAGE_START, Action.MESSAGE_READ, Action.MESSAGE_SEND])
def test_insurers_mutuelles_and_employers_are_refused_r_ac_1(
    kind: ForbiddenActorKind, action: Action
) -> None:
    assert _answer(b.forbidden(kind), action, WITH_GP) == (False, "R-AC-1")


@pytest.mark.parametrize("action", [Action.MESSAGE_START, Action.MESSAGE_READ])
def test_operators_are_refused_r_ac_4(action: Action) -> None:
    operator = ActorFacts(kind=ActorKind.OPERATOR, id="op-1")
    assert _answer(operator, action, WITH_GP) == (False, "R-AC-4")


@pytest.mark.parametrize("actor", PATIENT_SIDE)
def test_a_person_not_linked_to_the_holder_is_refused(actor: Any) -> None:
    stranger = replace(actor(), id="someone-else")
    assert not _answer(stranger, Action.MESSAGE_READ, WITH_GP)[0]


def test_a_legal_representative_of_a_child_who_came_of_age_is_refused_r_min_7() -> None:
    assert _answer(b.legal_rep(), Action.MESSAGE_READ, WITH_GP, legal_representative_ids=frozenset()) == (
        False,
        "R-MIN-1",
    )


@pytest.mark.parametrize(
    ("status", "rule"),
    [(SpaceStatus.OPPOSED, "R-LC-1"), (SpaceStatus.INFORMED, "R-LC-3"), (SpaceStatus.CLOSED, "R-LC-21")],
)
def test_nobody_messages_a_space_that_is_not_open(status: SpaceStatus, rule: str) -> None:
    assert _answer(b.gp(), Action.MESSAGE_START, None, space_status=status) == (False, rule)
    assert _answer(b.holder(), Action.MESSAGE_READ, WITH_GP, space_status=status) == (False, rule)


def test_before_activation_professionals_write_but_the_holder_does_not_read_r_lc_14() -> None:
    status = {"space_status": SpaceStatus.OPEN_NOT_ACTIVATED}
    assert _answer(b.gp(), Action.MESSAGE_START, None, **status) == (True, "R-MSG-2")
    assert _answer(b.holder(), Action.MESSAGE_READ, WITH_GP, **status) == (False, "R-LC-14")


@pytest.mark.parametrize("mode", [AccessMode.BTG, AccessMode.SAMU])
def test_the_messaging_is_not_an_emergency_access(mode: AccessMode) -> None:
    decision = decide(
        b.gp(), b.patient(), None, b.ctx(Action.MESSAGE_READ, mode, "urgence", conversation=WITH_GP)
    )
    assert (decision.allowed, decision.rule) == (False, "R-MSG-1")


# --------------------------------------------------------------------------------------------------
# R-MIN-5 [I]: a minor's conversation kept from his legal representatives (the new dimension)

SECRET = replace(WITH_GP, confidential=True)
SECRET_ASKED_BY_MINOR = replace(SECRET, confidential_set_by_holder=True)
SECRET_DELETED = replace(SECRET, deleted_by_patient=True)
MINOR = {"is_minor": True}
MINOR_OF_15 = {"is_minor": True, "minor_may_ask_secrecy": True}
MARK, LIFT = Action.MESSAGE_MARK_CONFIDENTIAL, Action.MESSAGE_LIFT_CONFIDENTIAL

# (case, actor, action, conversation, patient facts) -> (allowed, rule)
SECRECY_TABLE: list[tuple[str, Any, Action, ConversationFacts | None, dict[str, Any], tuple[bool, str]]] = [
    # the representative loses every act on a confidential conversation, and only on it
    ("legal rep cannot read it", b.legal_rep, Action.MESSAGE_READ, SECRET, MINOR, (False, "R-MIN-5")),
    ("legal rep cannot reply in it", b.legal_rep, Action.MESSAGE_SEND, SECRET, MINOR, (False, "R-MIN-5")),
    ("legal rep cannot delete it", b.legal_rep, Action.MESSAGE_DELETE, SECRET, MINOR, (False, "R-MIN-5")),
    ("nor learn it was deleted", b.legal_rep, Action.MESSAGE_READ, SECRET_DELETED, MINOR, (False, "R-MIN-5")),
    ("legal rep cannot lift it", b.legal_rep, LIFT, SECRET, MINOR, (False, "R-MIN-5")),
    ("legal rep still reads the others", b.legal_rep, Action.MESSAGE_READ, WITH_GP, MINOR, (True, "R-MIN-1")),
    # the minor, the caregiver and the professional keep full access
    ("the minor reads it", b.holder, Action.MESSAGE_READ, SECRET, MINOR, (True, "R-MSG-1")),
    ("the minor replies in it", b.holder, Action.MESSAGE_SEND, SECRET, MINOR, (True, "R-MSG-3")),
    ("the caregiver reads it", b.caregiver, Action.MESSAGE_READ, SECRET, MINOR, (True, "R-DEL-2")),
    ("the GP reads it", b.gp, Action.MESSAGE_READ, SECRET, MINOR, (True, "R-MSG-1")),
    ("the GP writes in it", b.gp, Action.MESSAGE_SEND, SECRET, MINOR, (True, "R-MSG-1")),
    # who marks
    ("the GP marks his conversation", b.gp, MARK, WITH_GP, MINOR, (True, "R-MIN-5")),
    ("the lab software marks its own", b.lab_software, MARK, WITH_LAB, MINOR, (True, "R-MIN-5")),
    ("a dentist marks the GP's", b.dentist, MARK, WITH_GP, MINOR, (False, "R-MSG-1")),
    ("not an adult's conversation", b.gp, MARK, WITH_GP, {}, (False, "R-MIN-5")),
    ("not a deleted one", b.gp, MARK, replace(WITH_GP, deleted_by_patient=True), MINOR, (False, "R-MSG-6")),
    ("an ended one still can", b.gp, MARK, ENDED, MINOR, (True, "R-MIN-5")),
    ("the minor of 15 marks it", b.holder, MARK, WITH_GP, MINOR_OF_15, (True, "R-MIN-5")),
    ("a younger minor does not", b.holder, MARK, WITH_GP, MINOR, (False, "R-MIN-5")),
    ("an adult holder has nothing to mark", b.holder, MARK, WITH_GP, {}, (False, "R-MIN-5")),
    ("the legal rep never marks", b.legal_rep, MARK, WITH_GP, MINOR_OF_15, (False, "R-MIN-5")),
    ("the caregiver never marks", b.caregiver, MARK, WITH_GP, MINOR_OF_15, (False, "R-MIN-5")),
    # who lifts
    ("the GP lifts what his side set", b.gp, LIFT, SECRET, MINOR, (True, "R-MIN-5")),
    ("not what the minor asked", b.gp, LIFT, SECRET_ASKED_BY_MINOR, MINOR, (False, "R-MIN-5")),
    ("the minor of 15 lifts his own", b.holder, LIFT, SECRET_ASKED_BY_MINOR, MINOR_OF_15, (True, "R-MIN-5")),
    ("and the GP's", b.holder, LIFT, SECRET, MINOR_OF_15, (True, "R-MIN-5")),
    ("a younger minor does not lift", b.holder, LIFT, SECRET, MINOR, (False, "R-MIN-5")),
    ("the caregiver never lifts", b.caregiver, LIFT, SECRET, MINOR_OF_15, (False, "R-MIN-5")),
    ("another professional never lifts", b.dentist, LIFT, SECRET, MINOR, (False, "R-MSG-1")),
    ("nothing to decide without a conversation", b.gp, MARK, None, MINOR, (False, "DEFAULT-DENY")),
]


@pytest.mark.parametrize(
    ("case", "actor", "action", "conversation", "patient", "expected"),
    SECRECY_TABLE,
    ids=[t[0] for t in SECRECY_TABLE],
)
def test_a_minors_confidential_conversation_follows_r_min_5(
    case: str,
    actor: Any,
    action: Action,
    conversation: ConversationFacts | None,
    patient: dict[str, Any],
    expected: tuple[bool, str],
) -> None:
    assert _answer(actor(), action, conversation, **patient) == expected


@pytest.mark.parametrize("action", [MARK, LIFT])
@pytest.mark.parametrize("mode", [AccessMode.BTG, AccessMode.SAMU])
def test_secrecy_is_never_decided_in_an_emergency_access(action: Action, mode: AccessMode) -> None:
    context = b.ctx(action, mode, "urgence", conversation=SECRET)
    decision = decide(b.gp(), b.patient(is_minor=True), None, context)
    assert (decision.allowed, decision.rule) == (False, "R-MSG-1")


@pytest.mark.parametrize("kind", [ActorKind.PATIENT, ActorKind.CAREGIVER, ActorKind.PROFESSIONAL])
def test_only_legal_representatives_are_kept_out_of_a_confidential_conversation(kind: ActorKind) -> None:
    from carnet.access.policy import conversation_hidden_from

    assert conversation_hidden_from(ActorKind.LEGAL_REPRESENTATIVE, SECRET)
    assert not conversation_hidden_from(ActorKind.LEGAL_REPRESENTATIVE, WITH_GP)
    assert not conversation_hidden_from(kind, SECRET)
