"""Caregivers ("proches aidants"), R-DEL-2 and Appendix B scenario 10."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from carnet.audit.models import Trace
from carnet.common.actors import ActorKind
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.identity.models import Person
from carnet.notifications.models import OutboxMessage
from carnet.spaces import delegation as svc
from carnet.spaces.models import Delegation, DelegationStatus, SpaceStatus
from carnet.vault.blobstore import blob_get
from carnet.vault.models import Blob

from .conftest import actor_of, give_account, give_space, new_person

pytestmark = pytest.mark.django_db


def invite(helped: Person, caregiver: Person, **overrides: Any) -> Delegation:
    fields = {
        "nir": caregiver.ins_matricule,
        "family_name": caregiver.birth_name,
        "first_name": caregiver.first_name,
        "birth_date": caregiver.birth_date,
    } | overrides
    return svc.caregiver_invite(helped=helped, actor=actor_of(helped), **fields)


def accept(d: Delegation) -> Delegation:
    return svc.delegation_accept(delegation=d, person=d.delegate, actor=actor_of(d.delegate))


def refused_code(call: Any) -> tuple[str, str]:
    with pytest.raises(DomainError) as info:
        call()
    return info.value.code, str(info.value.message)


def test_invitation_is_pending_with_an_expiry_date(clock, patient) -> None:
    """R-DEL-2: status PENDING with expirationDate = now + CARNET_CAREGIVER_INVITATION_DAYS."""
    helped, caregiver = patient(), patient()
    d = invite(helped, caregiver)
    assert (d.status, d.kind, d.patient_id) == (DelegationStatus.PENDING, "CAREGIVING", helped.pk)
    assert (d.expires_at - clock.now()).days == 30


def test_names_match_without_case_or_accents(clock, patient) -> None:
    """R-DEL-2 identity match: INS exact, names compared case- and accent-insensitively."""
    helped = patient()
    caregiver = patient(birth_name="LÉVÊQUE", first_names="Éloïse Marie")
    d = invite(helped, caregiver, family_name="leveque", first_name="eloise")
    assert d.delegate_id == caregiver.pk


def test_acceptance_starts_the_delegation(clock, patient) -> None:
    """R-DEL-2: ACCEPTED with a startDate."""
    d = accept(invite(patient(), patient()))
    assert d.status == DelegationStatus.ACCEPTED
    assert d.start_date == clock.now()


def test_a_fourth_caregiver_is_refused(clock, patient) -> None:
    """Appendix B scenario 10 / R-DEL-2: max 3 caregivers per helped person."""
    helped = patient()
    for _ in range(3):
        accept(invite(helped, patient()))
    code, _msg = refused_code(lambda: invite(helped, patient()))
    assert code == "OUTGOING_CAREGIVING_DELEGATIONS_LIMIT_REACHED"


def test_pending_invitations_count_against_the_outgoing_limit(clock, patient) -> None:
    """R-DEL-2 (documented choice): PENDING + ACCEPTED count, so 3 pending invitations fill the quota."""
    helped = patient()
    for _ in range(3):
        invite(helped, patient())
    code, _msg = refused_code(lambda: invite(helped, patient()))
    assert code == "OUTGOING_CAREGIVING_DELEGATIONS_LIMIT_REACHED"


def test_a_sixth_helped_person_is_refused(clock, patient) -> None:
    """R-DEL-2: a caregiver may help at most 5 persons."""
    caregiver = patient()
    for _ in range(5):
        accept(invite(patient(), caregiver))
    code, _msg = refused_code(lambda: invite(patient(), caregiver))
    assert code == "INCOMING_CAREGIVING_DELEGATIONS_LIMIT_REACHED"


def test_the_same_invitation_twice_is_refused(clock, patient) -> None:
    """R-DEL-2: SAME_INVITATION_ALREADY_EXISTS while the first one is pending."""
    helped, caregiver = patient(), patient()
    invite(helped, caregiver)
    code, _msg = refused_code(lambda: invite(helped, caregiver))
    assert code == "SAME_INVITATION_ALREADY_EXISTS"


def test_inviting_an_active_caregiver_again_is_refused(clock, patient) -> None:
    """R-DEL-2: ANOTHER_DELEGATION_ALREADY_EXISTS when he already has access."""
    helped, caregiver = patient(), patient()
    accept(invite(helped, caregiver))
    code, _msg = refused_code(lambda: invite(helped, caregiver))
    assert code == "ANOTHER_DELEGATION_ALREADY_EXISTS"


def test_identity_errors_never_reveal_whether_the_person_exists(clock, patient, monkeypatch) -> None:
    """R-DEL-2 + security rule: unknown person, wrong traits, no activated space, no account: one answer."""
    monkeypatch.setattr(svc, "IDENTITY_ATTEMPTS", 100)  # this test makes many mismatches on purpose
    helped, caregiver = patient(), patient()
    no_space = new_person(birth_date=date(1975, 2, 2))
    give_account(no_space)
    not_activated = new_person(birth_date=date(1976, 3, 3))
    give_space(not_activated, SpaceStatus.OPEN_NOT_ACTIVATED)
    give_account(not_activated)
    no_account = new_person(birth_date=date(1977, 4, 4))
    give_space(no_account)
    unknown_nir = new_person(birth_date=date(1990, 1, 1)).ins_matricule
    Person.objects.filter(ins_matricule=unknown_nir).delete()

    answers = {
        refused_code(lambda: invite(helped, caregiver, nir=unknown_nir)),
        refused_code(lambda: invite(helped, caregiver, family_name="AUTRE")),
        refused_code(lambda: invite(helped, caregiver, first_name="Autre")),
        refused_code(lambda: invite(helped, caregiver, birth_date=date(1981, 1, 1))),
        refused_code(lambda: invite(helped, no_space)),
        refused_code(lambda: invite(helped, not_activated)),
        refused_code(lambda: invite(helped, no_account)),
    }
    assert answers == {("identity_mismatch", str(svc.GENERIC_IDENTITY_MESSAGE))}
    assert not Delegation.objects.exists()


def test_a_rejected_invitation_leaves_no_row_trace_or_message(clock, patient) -> None:
    """Invariant 9: bad input never half-writes."""
    helped, caregiver = patient(), patient()
    before = (Trace.objects.count(), OutboxMessage.objects.count())
    refused_code(lambda: invite(helped, caregiver, first_name="Autre"))
    assert (Delegation.objects.count(), Trace.objects.count(), OutboxMessage.objects.count()) == (0, *before)


def test_a_malformed_nir_is_a_field_error(clock, patient) -> None:
    """The NIR format (15 characters, key) is checked first and named as the faulty field."""
    helped, caregiver = patient(), patient()
    with pytest.raises(DomainError) as info:
        invite(helped, caregiver, nir="123")
    assert info.value.field == "nir"


def test_an_invitation_cannot_be_accepted_after_it_expired(clock, patient) -> None:
    """R-DEL-2: EXPIRED after expirationDate (clock moved, never slept)."""
    d = invite(patient(), patient())
    clock.advance(days=31)
    code, _msg = refused_code(lambda: accept(d))
    assert code == "invitation_expired"
    d.refresh_from_db()
    assert d.status == DelegationStatus.EXPIRED


def test_the_expiry_job_marks_old_invitations_expired_and_frees_the_quota(clock, patient) -> None:
    """R-DEL-2: ``delegations_expire`` turns PENDING past expiry into EXPIRED; they no longer count."""
    helped = patient()
    for _ in range(3):
        invite(helped, patient())
    clock.advance(days=30, seconds=1)
    assert svc.delegations_expire() == 3
    assert set(Delegation.objects.values_list("status", flat=True)) == {DelegationStatus.EXPIRED}
    assert invite(helped, patient()).status == DelegationStatus.PENDING


def test_refusal_is_recorded_and_the_inviter_notified(clock, patient) -> None:
    """R-DEL-2 REFUSED; the inviter gets a content-free notification of the answer."""
    helped, caregiver = patient(), patient()
    d = invite(helped, caregiver)
    svc.delegation_refuse(delegation=d, person=caregiver, actor=actor_of(caregiver))
    d.refresh_from_db()
    assert d.status == DelegationStatus.REFUSED
    assert OutboxMessage.objects.filter(address=helped.email, template="delegation_answered").count() == 1


def test_only_the_invited_person_can_answer(clock, patient) -> None:
    """Someone else answering gets "not found" (never "not allowed")."""
    d = invite(patient(), patient())
    stranger = patient()
    with pytest.raises(NotFoundOrForbidden):
        svc.delegation_accept(delegation=d, person=stranger, actor=actor_of(stranger))


def test_notifications_are_content_free(clock, patient) -> None:
    """Invariant 5: the invitation message names nobody and carries no health data."""
    helped, caregiver = patient(), patient()
    invite(helped, caregiver)
    message = OutboxMessage.objects.get(template="delegation_invitation")
    assert message.address == caregiver.email
    assert set(message.params) == {"base_url", "expires"}
    assert helped.birth_name not in str(message.params)


@pytest.mark.parametrize("side", ["helped", "caregiver"])
def test_either_side_can_revoke(clock, patient, side: str) -> None:
    """R-DEL-2 ``delegationRevoke``: either side; REVOKED with an endDate; the other side is notified."""
    helped, caregiver = patient(), patient()
    d = accept(invite(helped, caregiver))
    who, other = (helped, caregiver) if side == "helped" else (caregiver, helped)
    svc.delegation_revoke(delegation=d, person=who, actor=actor_of(who))
    d.refresh_from_db()
    assert (d.status, d.end_date) == (DelegationStatus.REVOKED, clock.now())
    assert OutboxMessage.objects.filter(address=other.email, template="delegation_ended").exists()


def test_a_stranger_cannot_revoke(clock, patient) -> None:
    d = accept(invite(patient(), patient()))
    stranger = patient()
    with pytest.raises(NotFoundOrForbidden):
        svc.delegation_revoke(delegation=d, person=stranger, actor=actor_of(stranger))


def test_a_revoked_caregiver_no_longer_counts_against_the_limit(clock, patient) -> None:
    """R-DEL-2: limits count PENDING + ACCEPTED only."""
    helped = patient()
    first = accept(invite(helped, patient()))
    for _ in range(2):
        accept(invite(helped, patient()))
    svc.delegation_revoke(delegation=first, person=helped, actor=actor_of(helped))
    assert invite(helped, patient()).status == DelegationStatus.PENDING


def test_acts_are_traced_on_the_helped_persons_chain_with_the_actor_kind(clock, patient) -> None:
    """Invariant 2: invitation (PATIENT), acceptance (CAREGIVER), revocation by the caregiver (CAREGIVER)."""
    helped, caregiver = patient(), patient()
    d = accept(invite(helped, caregiver))
    svc.delegation_revoke(delegation=d, person=caregiver, actor=actor_of(caregiver))
    rows = list(
        Trace.objects.filter(patient_id=helped.pk, object_type="delegation")
        .order_by("id")
        .values_list("action", "actor_kind")
    )
    assert rows == [
        ("DELEGATION_INVITED", ActorKind.PATIENT),
        ("DELEGATION_ACCEPTED", ActorKind.CAREGIVER),
        ("DELEGATION_REVOKED", ActorKind.CAREGIVER),
    ]
    assert not Trace.objects.filter(patient_id=caregiver.pk, object_type="delegation").exists()


def test_attestation_is_stored_encrypted_for_both_persons(clock, patient) -> None:
    """R-DEL-2: an access attestation PDF in both profiles, each under its owner's key, no NIR in it."""
    helped, caregiver = patient(), patient()
    d = accept(invite(helped, caregiver))
    mine = svc.delegation_attestation_get(delegation=d, person=helped, actor=actor_of(helped))
    theirs = svc.delegation_attestation_get(delegation=d, person=caregiver, actor=actor_of(caregiver))
    assert mine.startswith(b"%PDF") and theirs.startswith(b"%PDF")
    owners = set(
        Blob.objects.filter(media_type__startswith="application/pdf").values_list("patient_id", flat=True)
    )
    assert owners == {helped.pk, caregiver.pk}
    assert d.attestation_blob is not None and blob_get(d.attestation_blob) == mine
    assert helped.ins_matricule.encode() not in mine and caregiver.ins_matricule.encode() not in mine


def test_attestation_is_reissued_on_revocation(clock, patient) -> None:
    """R-DEL-2: re-issued on change; one current copy per person."""
    helped, caregiver = patient(), patient()
    d = accept(invite(helped, caregiver))
    first_blob = d.attestation_blob_id
    clock.advance(days=3)
    svc.delegation_revoke(delegation=d, person=helped, actor=actor_of(helped))
    d.refresh_from_db()
    assert d.attestation_blob_id != first_blob
    assert Blob.objects.filter(media_type__startswith="application/pdf").count() == 2


def test_a_stranger_gets_no_attestation(clock, patient) -> None:
    d = accept(invite(patient(), patient()))
    stranger = patient()
    with pytest.raises(NotFoundOrForbidden):
        svc.delegation_attestation_get(delegation=d, person=stranger, actor=actor_of(stranger))


def test_a_minor_cannot_invite_a_caregiver(clock, patient) -> None:
    """R-DEL-2: the aidé is an adult holder (minors are represented by their legal representatives)."""
    child = patient(birth_date=date(2012, 1, 1))
    code, _msg = refused_code(lambda: invite(child, patient()))
    assert code == "not_allowed"


def test_caregiver_cannot_close_the_profile_through_the_lifecycle_service(clock, patient) -> None:
    """Appendix B scenario 10: the aidant tries to close the profile -> denied."""
    space_close = getattr(__import__("carnet.spaces.services", fromlist=["x"]), "space_close", None)
    if space_close is None:
        pytest.skip("space_close not available yet")
    helped, caregiver = patient(), patient()
    accept(invite(helped, caregiver))
    with pytest.raises(DomainError):
        space_close(
            space=helped.space,
            actor=actor_of(caregiver, ActorKind.CAREGIVER),
            password="Motdepasse-1234",
            user=caregiver.account,
            request_deletion=False,
        )
    helped.space.refresh_from_db()
    assert helped.space.status == SpaceStatus.ACTIVATED


def test_repeated_identity_mismatches_are_braked(clock, patient) -> None:
    """[I] Invitations match on INS + names + birth date: after 5 mismatches in an hour, further tries are
    refused with a distinct "too many attempts" answer (still revealing nothing about who exists)."""
    helped, caregiver = patient(), patient()
    for _ in range(svc.IDENTITY_ATTEMPTS):
        assert refused_code(lambda: invite(helped, caregiver, first_name="Personne"))[0] == svc.IDENTITY_MISMATCH
    assert refused_code(lambda: invite(helped, caregiver))[0] == "too_many_attempts"
    clock.advance(hours=1, seconds=1)
    assert invite(helped, caregiver).status == DelegationStatus.PENDING
