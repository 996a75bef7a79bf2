"""Property: whatever people and the calendar do, the lifecycle keeps its invariants (SPEC R-LC-28).

Random sequences of acts (activate, oppose, close with or without deletion, cancel, reopen, suspend,
object) interleaved with clock moves and runs of the deadline job. After every step:
  * DELETED is terminal, and a deleted space's data key is gone (R-LC-21/22);
  * a CLOSED space is archived exactly 10 years after its closure (R-LC-21);
  * a pending deletion is due at most 3 months after it was requested (R-LC-22);
  * the deadline job is idempotent (a second run changes nothing);
  * the patient's trace chain verifies (invariant 3).
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from carnet.accounts.models import Role, User
from carnet.audit.selectors import chain_verify
from carnet.common import clock as carnet_clock
from carnet.common.actors import Actor, ActorKind
from carnet.common.errors import DomainError
from carnet.spaces import services
from carnet.spaces.models import DeletionStatus, HealthSpace, SpaceStatus
from carnet.vault.blobstore import patient_data_key
from carnet.vault.models import PatientKey
from tests.factories import PATIENT_PASSWORD, PatientUserFactory

pytestmark = pytest.mark.django_db

ACTS = st.sampled_from(
    [
        "activate",
        "oppose",
        "close",
        "close_delete",
        "cancel",
        "reopen",
        "suspend",
        "object",
        "wait",
        "deadlines",
    ]
)
STEPS = st.lists(st.tuples(ACTS, st.integers(min_value=0, max_value=4000)), min_size=1, max_size=12)


def _actor(user: User) -> Actor:
    return Actor(ActorKind.PATIENT, str(user.public_id), user_id=user.pk, person_id=user.person_id)


def _operator() -> Actor:
    return Actor(ActorKind.OPERATOR, "operator-1", label="Support")


def _apply(act: str, days: int, space: HealthSpace, user: User) -> None:
    me = _actor(user)
    if act == "activate":
        services.space_activate(space=space, actor=me)
    elif act == "oppose":
        services.space_oppose(space=space, actor=me)
    elif act in {"close", "close_delete"}:
        services.space_close(
            space=space,
            actor=me,
            password=PATIENT_PASSWORD,
            user=user,
            request_deletion=act == "close_delete",
        )
    elif act == "cancel":
        services.space_deletion_cancel(space=space, actor=me)
    elif act == "reopen":
        services.space_reopen(space=space, actor=me)
    elif act == "suspend":
        services.space_suspend(space=space, actor=_operator(), motif="FRAUD")
    elif act == "object":
        services.space_suspension_object(space=space, actor=me)
    elif act == "wait":
        carnet_clock.advance(days=days)
    elif act == "deadlines":
        services.spaces_apply_deadlines()


def _check(space: HealthSpace, was_deleted: bool) -> None:
    space.refresh_from_db()
    if was_deleted:
        assert space.status == SpaceStatus.DELETED
    if space.status == SpaceStatus.DELETED:
        key = PatientKey.objects.filter(patient_id=space.patient_id).first()
        assert key is None or key.wrapped_key is None
    if space.status == SpaceStatus.CLOSED:
        assert space.closed_at is not None
        assert space.archived_until == carnet_clock.add_years(space.closed_at, 10)
    if space.deletion_status == DeletionStatus.REQUESTED:
        assert space.deletion_due_at is not None and space.deletion_requested_at is not None
        assert space.deletion_due_at - space.deletion_requested_at <= timedelta(days=92)
    second = services.spaces_apply_deadlines()
    services.spaces_apply_deadlines()
    assert all(count == 0 for count in services.spaces_apply_deadlines().values()), second
    assert chain_verify(space.patient_id) == []


@hyp_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_the_lifecycle_keeps_its_invariants_under_any_sequence_of_acts(clock, steps) -> None:  # type: ignore[no-untyped-def]
    user = PatientUserFactory(role=Role.PATIENT)
    space, _code = services.space_inform(person=user.person, actor=Actor.insurance())
    patient_data_key(space.patient_id)  # the space holds encrypted data from the start
    was_deleted = False
    for act, days in steps:
        with contextlib.suppress(DomainError):  # a refused act must leave the space valid: checked below
            _apply(act, days, space, user)
        space.refresh_from_db()
        was_deleted = was_deleted or space.status == SpaceStatus.DELETED
        _check(space, was_deleted)
