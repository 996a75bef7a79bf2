"""R-LC-24 (suspension), R-LC-27 (death), R-MIN-7 (majority) and the deadlines job's idempotence."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from carnet.common.errors import DomainError
from carnet.notifications.models import OutboxMessage
from carnet.spaces import services
from carnet.spaces.models import Delegation, DelegationStatus, HealthSpace, SpaceStatus
from tests.factories import DelegationFactory, HealthSpaceFactory, PatientUserFactory, PersonFactory

from .conftest import INSURANCE, OPERATOR, assert_traced, make_child, patient_actor, space_of

pytestmark = pytest.mark.django_db


def test_suspension_without_objection_closes_the_space_after_six_weeks(holder, clock) -> None:
    """R-LC-24: SUSPENDED → CLOSED (10-year archive) when nobody objects within 6 weeks."""
    services.space_suspend(space=space_of(holder), actor=OPERATOR, motif="FRAUDE")
    space = space_of(holder)
    assert space.status == SpaceStatus.SUSPENDED
    assert space.status_before_suspension == SpaceStatus.ACTIVATED
    assert OutboxMessage.objects.filter(patient_id=space.patient_id, template="space_suspended").exists()
    clock.advance(days=41)
    assert services.spaces_apply_deadlines()["suspensions_closed"] == 0
    clock.advance(days=1)
    assert services.spaces_apply_deadlines()["suspensions_closed"] == 1
    space.refresh_from_db()
    assert space.status == SpaceStatus.CLOSED
    assert space.archived_until is not None
    assert_traced(space, "SPACE_CLOSED", motif="SUSPENSION_SANS_CONTESTATION")


def test_objection_restores_the_previous_status(holder, clock) -> None:
    """R-LC-24: the holder objects → back to ACTIVATED; the job then closes nothing."""
    services.space_suspend(space=space_of(holder), actor=OPERATOR, motif="FRAUDE")
    services.space_suspension_object(space=space_of(holder), actor=patient_actor(holder))
    clock.advance(days=60)
    services.spaces_apply_deadlines()
    space = space_of(holder)
    assert space.status == SpaceStatus.ACTIVATED
    assert space.suspension_closes_at is None
    assert_traced(space, "SPACE_SUSPENSION_OBJECTED", to=SpaceStatus.ACTIVATED)


def test_only_operators_suspend_and_lift(holder) -> None:
    """R-LC-24: suspension is CNAM's act; the holder cannot suspend or lift."""
    with pytest.raises(DomainError):
        services.space_suspend(space=space_of(holder), actor=patient_actor(holder), motif="X")
    services.space_suspend(space=space_of(holder), actor=OPERATOR, motif="X")
    with pytest.raises(DomainError):
        services.space_suspension_lift(space=space_of(holder), actor=patient_actor(holder))
    services.space_suspension_lift(space=space_of(holder), actor=OPERATOR)
    assert space_of(holder).status == SpaceStatus.ACTIVATED
    assert_traced(space_of(holder), "SPACE_SUSPENSION_LIFTED")


def test_death_closes_the_space_and_stops_notifications(holder, clock) -> None:
    """R-LC-27: deceased flag, closure with 10-year archive, pending messages cancelled, no new ones."""
    space = space_of(holder)
    services.space_suspend(space=space, actor=OPERATOR, motif="VERIFICATION")
    pending = OutboxMessage.objects.get(patient_id=space.patient_id, template="space_suspended")
    assert pending.sent_at is None
    services.space_record_death(space=space_of(holder), actor=INSURANCE, died_on=clock.now().date())
    space = space_of(holder)
    assert space.status == SpaceStatus.CLOSED
    assert space.deceased_at is not None
    assert space.person.deceased_on == clock.now().date()
    pending.refresh_from_db()
    assert pending.state == "CANCELLED" and pending.sent_at is None
    assert_traced(space, "SPACE_DEATH_RECORDED")
    before = set(OutboxMessage.objects.filter(patient_id=space.patient_id).values_list("pk", flat=True))
    clock.advance(days=365 * 10 + 5)
    services.spaces_apply_deadlines()  # the purge erases the old rows (ADR 0008) and queues nothing new
    assert not OutboxMessage.objects.filter(patient_id=space.patient_id).exclude(pk__in=before).exists()
    with pytest.raises(DomainError):
        services.space_reopen(space=space_of(holder), actor=patient_actor(holder))


def _minor_with_space(parent_user, *, activated: bool = True) -> HealthSpace:  # type: ignore[no-untyped-def]
    child = make_child(parent_user.person, birth_date=date(2008, 2, 1))
    child.email = "jeune@example.org"
    child.save()
    return HealthSpaceFactory(
        person=child,
        status=SpaceStatus.ACTIVATED if activated else SpaceStatus.OPEN_NOT_ACTIVATED,
        created_at=parent_user.person.created_at - timedelta(days=3000),
        majority_handled_at=None,
    )


def test_majority_handover_ends_legal_representation_and_sends_a_code_to_the_young_adult(
    db, clock, settings
) -> None:
    """R-MIN-7 "handover": delegations ENDED, the space awaits his own activation, a code to HIS address."""
    settings.CARNET_MAJORITY_POLICY = "handover"
    parent = PatientUserFactory()
    space = _minor_with_space(parent)
    clock.freeze(clock.now().replace(year=2026, month=1, day=31))
    assert services.spaces_apply_deadlines()["majority_handled"] == 0
    clock.advance(days=1)
    assert services.spaces_apply_deadlines()["majority_handled"] == 1
    space.refresh_from_db()
    assert space.majority_handled_at is not None
    assert space.status == SpaceStatus.OPEN_NOT_ACTIVATED
    delegation = Delegation.objects.get(subject=space.person)
    assert delegation.status == DelegationStatus.ENDED
    message = OutboxMessage.objects.get(patient_id=space.patient_id, template="majority_code")
    assert message.address == "jeune@example.org"
    assert_traced(space, "SPACE_MAJORITY_HANDLED", policy="handover")


def test_majority_keep_policy_leaves_representatives_attached(db, clock, settings) -> None:
    """R-MIN-7 "keep": nothing changes but the bookkeeping."""
    settings.CARNET_MAJORITY_POLICY = "keep"
    parent = PatientUserFactory()
    space = _minor_with_space(parent)
    clock.freeze(clock.now().replace(year=2026, month=2, day=2))
    assert services.spaces_apply_deadlines()["majority_handled"] == 1
    space.refresh_from_db()
    assert space.status == SpaceStatus.ACTIVATED
    assert Delegation.objects.get(subject=space.person).status == DelegationStatus.ACCEPTED
    assert not OutboxMessage.objects.filter(patient_id=space.patient_id, template="majority_code").exists()


def test_adults_informed_as_adults_have_no_majority_to_handle(db, clock) -> None:
    """R-MIN-7: a space created for an adult is never handed over."""
    space, _code = services.space_inform(person=PersonFactory(), actor=INSURANCE)
    assert space.majority_handled_at is not None
    assert services.spaces_apply_deadlines()["majority_handled"] == 0


def test_pending_invitations_expire(db, clock) -> None:
    """R-DEL-2: a PENDING invitation past ``expires_at`` becomes EXPIRED (traced)."""
    delegation = DelegationFactory(
        kind="CAREGIVING", status="PENDING", expires_at=clock.now() + timedelta(days=30)
    )
    clock.advance(days=31)
    assert services.spaces_apply_deadlines()["delegations_expired"] == 1
    delegation.refresh_from_db()
    assert delegation.status == DelegationStatus.EXPIRED


def test_deadlines_job_is_idempotent(db, clock, settings) -> None:
    """The job run twice: the second run finds nothing more to do (every count is 0)."""
    settings.CARNET_MAJORITY_POLICY = "handover"
    for _ in range(3):
        services.space_inform(person=PersonFactory(), actor=INSURANCE)
    parent = PatientUserFactory()
    _minor_with_space(parent)
    suspended = HealthSpaceFactory()
    services.space_suspend(space=suspended, actor=OPERATOR, motif="FRAUDE")
    DelegationFactory(kind="CAREGIVING", status="PENDING", expires_at=clock.now() + timedelta(days=1))
    clock.advance(days=43)
    first = services.spaces_apply_deadlines()
    second = services.spaces_apply_deadlines()
    assert first["opened"] == 3
    assert first["suspensions_closed"] == 1
    assert first["majority_handled"] == 1
    assert first["delegations_expired"] == 1
    assert set(second.values()) == {0}


def test_run_deadlines_command_prints_the_counts(db, clock) -> None:
    """``carnet run-deadlines`` prints one line per step."""
    services.space_inform(person=PersonFactory(), actor=INSURANCE)
    clock.advance(days=42)
    out = StringIO()
    call_command("run_deadlines", stdout=out)
    assert "opened: 1" in out.getvalue()


def test_deadlines_task_is_registered() -> None:
    """The worker runs "spaces.apply_deadlines", "spaces.build_export" and "spaces.build_pending_exports"."""
    from carnet.tasks import load_tasks

    assert {"spaces.apply_deadlines", "spaces.build_export", "spaces.build_pending_exports"} <= set(
        load_tasks()
    )
