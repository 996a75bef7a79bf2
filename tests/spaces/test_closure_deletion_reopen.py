"""Appendix B scenario 2 and R-LC-20..23: closure, deletion request and cancellation, reopening."""

from __future__ import annotations

from datetime import timedelta

import pytest

from carnet.common.errors import DomainError
from carnet.notifications.models import OutboxMessage
from carnet.spaces import services
from carnet.spaces.models import DeletionStatus, HealthSpace, SpaceStatus
from carnet.vault.blobstore import KeyDestroyed, blob_get, blob_put
from tests.factories import DelegationFactory, PatientUserFactory

from .conftest import PASSWORD, assert_traced, caregiver_actor, patient_actor, representative_actor, space_of

pytestmark = pytest.mark.django_db


def _close(user, **kwargs) -> HealthSpace:  # type: ignore[no-untyped-def]
    return services.space_close(
        space=space_of(user),
        actor=patient_actor(user),
        password=kwargs.pop("password", PASSWORD),
        user=user,
        request_deletion=kwargs.pop("request_deletion", False),
    )


def test_closure_with_deletion_request_deletes_within_three_months_and_shreds_the_key(holder, clock) -> None:
    """Scenario 2, R-LC-22: deleted ≤ D+3 months; the data key is destroyed so a blob is unreadable."""
    blob = blob_put(patient_id=holder.person.pk, content=b"compte rendu", media_type="text/plain")
    space = _close(holder, request_deletion=True)
    assert space.status == SpaceStatus.CLOSED
    assert space.deletion_status == DeletionStatus.REQUESTED
    assert space.deletion_due_at <= clock.now() + timedelta(days=92)
    clock.advance(days=90)
    counts = services.spaces_apply_deadlines()
    space.refresh_from_db()
    assert counts["deleted_on_request"] == 1
    assert space.status == SpaceStatus.DELETED
    assert space.deletion_status == DeletionStatus.DONE
    with pytest.raises(KeyDestroyed):
        blob_get(blob)
    assert_traced(space, "SPACE_DELETED", to=SpaceStatus.DELETED)
    # R-LC-22 "an e-mail is sent when deletion is complete": the signed erasure certificate (ADR 0008)
    assert OutboxMessage.objects.filter(patient_id=space.patient_id, template="erasure_certificate").exists()


def test_holder_is_informed_immediately_of_closure_and_deletion_request(holder) -> None:
    """R-LC-22: the holder is informed at once (content-free messages)."""
    space = _close(holder, request_deletion=True)
    templates = set(
        OutboxMessage.objects.filter(patient_id=space.patient_id).values_list("template", flat=True)
    )
    assert {"space_closed", "deletion_requested"} <= templates


def test_closure_without_request_keeps_the_data_ten_years_then_purges(holder, clock) -> None:
    """Scenario 2, R-LC-21: archived until D+10 years, then DELETED with the key destroyed."""
    blob = blob_put(patient_id=holder.person.pk, content=b"ordonnance", media_type="text/plain")
    space = _close(holder)
    assert space.archived_until.year == clock.now().year + 10
    clock.advance(days=365 * 10 - 10)
    services.spaces_apply_deadlines()
    space.refresh_from_db()
    assert space.status == SpaceStatus.CLOSED
    assert blob_get(blob) == b"ordonnance"
    clock.advance(days=12)
    counts = services.spaces_apply_deadlines()
    space.refresh_from_db()
    assert counts["purged_after_archive"] == 1
    assert space.status == SpaceStatus.DELETED
    with pytest.raises(KeyDestroyed):
        blob_get(blob)


def test_reopening_after_two_years_restores_the_archived_data(holder, clock) -> None:
    """Scenario 2, R-LC-23: reopen at D+2y → ACTIVATED, the blob is still readable."""
    blob = blob_put(patient_id=holder.person.pk, content=b"resultats", media_type="text/plain")
    space = _close(holder)
    clock.advance(days=730)
    services.spaces_apply_deadlines()
    services.space_reopen(space=space_of(holder), actor=patient_actor(holder))
    space.refresh_from_db()
    assert space.status == SpaceStatus.ACTIVATED
    assert space.archived_until is None
    assert blob_get(blob) == b"resultats"
    assert_traced(space, "SPACE_REOPENED", to=SpaceStatus.ACTIVATED)


def test_reopening_is_refused_while_a_deletion_is_pending(holder) -> None:
    """R-LC-22: "Demande de suppression des données en cours" blocks the reopening."""
    _close(holder, request_deletion=True)
    with pytest.raises(DomainError) as error:
        services.space_reopen(space=space_of(holder), actor=patient_actor(holder))
    assert error.value.code == "deletion_pending"
    assert "Demande de suppression des données en cours" in str(error.value)
    assert space_of(holder).status == SpaceStatus.CLOSED


def test_deletion_request_can_be_cancelled_and_nothing_is_deleted(holder, clock) -> None:
    """R-LC-22: cancelling (ANNULATION_DEMANDE_SUPPRESSION_DONNEES) stops the deletion; reopening works."""
    blob = blob_put(patient_id=holder.person.pk, content=b"cr", media_type="text/plain")
    _close(holder, request_deletion=True)
    services.space_deletion_cancel(space=space_of(holder), actor=patient_actor(holder))
    clock.advance(days=100)
    counts = services.spaces_apply_deadlines()
    space = space_of(holder)
    assert counts["deleted_on_request"] == 0
    assert space.status == SpaceStatus.CLOSED
    assert space.deletion_status == DeletionStatus.CANCELLED
    assert blob_get(blob) == b"cr"
    assert_traced(space, "SPACE_DELETION_CANCELLED")
    services.space_reopen(space=space, actor=patient_actor(holder))
    assert space_of(holder).status == SpaceStatus.ACTIVATED


def test_deletion_can_be_requested_on_an_already_closed_space(holder, clock) -> None:
    """R-LC-22: from the reopening page, a closed space's holder asks for deletion."""
    _close(holder)
    space = services.space_deletion_request(
        space=space_of(holder), actor=patient_actor(holder), password=PASSWORD, user=holder
    )
    assert space.deletion_status == DeletionStatus.REQUESTED
    assert_traced(space, "SPACE_DELETION_REQUESTED")


def test_closure_with_a_wrong_password_is_refused_and_changes_nothing(holder) -> None:
    """R-LC-20: the password is re-entered; a wrong one leaves the space, traces and outbox untouched."""
    from carnet.audit.models import Trace

    traces_before = Trace.objects.count()
    with pytest.raises(DomainError) as error:
        _close(holder, password="pas-le-bon", request_deletion=True)
    assert error.value.field == "password"
    space = space_of(holder)
    assert space.status == SpaceStatus.ACTIVATED
    assert space.deletion_status == DeletionStatus.NONE
    assert Trace.objects.count() == traces_before
    assert not OutboxMessage.objects.filter(patient_id=space.patient_id).exists()


def test_caregiver_cannot_close_the_helped_persons_space(holder) -> None:
    """R-DEL-2, scenario 10: an aidant may not close the profile."""
    caregiver = PatientUserFactory()
    DelegationFactory(subject=holder.person, delegate=caregiver.person, kind="CAREGIVING")
    with pytest.raises(DomainError) as error:
        services.space_close(
            space=space_of(holder),
            actor=caregiver_actor(caregiver),
            password=PASSWORD,
            user=caregiver,
            request_deletion=False,
        )
    assert error.value.code == "forbidden"
    assert space_of(holder).status == SpaceStatus.ACTIVATED


def test_legal_representative_of_an_adult_cannot_close(holder) -> None:
    """R-LC-20 [I]: only a minor's legal representative may close for him."""
    rep = PatientUserFactory()
    DelegationFactory(subject=holder.person, delegate=rep.person, kind="LEGAL_REPRESENTATION")
    with pytest.raises(DomainError):
        services.space_close(
            space=space_of(holder),
            actor=representative_actor(rep),
            password=PASSWORD,
            user=rep,
            request_deletion=False,
        )


def test_legal_representative_of_a_minor_may_close_his_space(db, clock) -> None:
    """R-LC-20, R-MIN-1: the legal representative of a minor closes with his own password."""
    from datetime import date

    from tests.factories import HealthSpaceFactory

    from .conftest import make_child

    parent = PatientUserFactory()
    child = make_child(parent.person, birth_date=date(2014, 6, 1))
    space = HealthSpaceFactory(person=child)
    services.space_close(
        space=space,
        actor=representative_actor(parent),
        password=PASSWORD,
        user=parent,
        request_deletion=False,
    )
    space.refresh_from_db()
    assert space.status == SpaceStatus.CLOSED


def test_invalid_transitions_are_refused(holder) -> None:
    """R-LC-28: a DELETED space has no way out; reopening an ACTIVATED space is refused."""
    space = space_of(holder)
    with pytest.raises(DomainError):
        services.space_reopen(space=space, actor=patient_actor(holder))
    with pytest.raises(DomainError):
        services.space_deletion_cancel(space=space, actor=patient_actor(holder))
    space.status = SpaceStatus.DELETED
    space.save()
    with pytest.raises(DomainError):
        services.space_transition(
            space=space, to=SpaceStatus.ACTIVATED, actor=patient_actor(holder), motif="X", action="X"
        )
