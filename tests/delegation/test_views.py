"""Delegation pages and the acting-for switch (R-DEL-2, R-MIN-1, R-LC-10)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from django.test import Client
from django.urls import reverse

from carnet.common.actors import Actor, ActorKind
from carnet.identity.models import Person
from carnet.spaces import delegation as svc
from carnet.spaces.acting import SESSION_KEY, acting_context
from carnet.spaces.models import Delegation, DelegationStatus
from carnet.spaces.services import space_inform

from .conftest import actor_of, new_person

pytestmark = pytest.mark.django_db


def logged_in(person: Person) -> Client:
    client = Client()
    client.force_login(person.account)
    return client


def caregiving(helped: Person, caregiver: Person) -> Delegation:
    d = svc.caregiver_invite(
        helped=helped,
        actor=actor_of(helped),
        nir=caregiver.ins_matricule,
        family_name=caregiver.birth_name,
        first_name=caregiver.first_name,
        birth_date=caregiver.birth_date,
    )
    return svc.delegation_accept(delegation=d, person=caregiver, actor=actor_of(caregiver))


def current_context(client: Client):  # type: ignore[no-untyped-def]
    """acting_context() as the next request would compute it."""
    response = client.get(reverse("delegation:home"))
    return acting_context(response.wsgi_request)


def test_pages_need_a_login(clock) -> None:
    response = Client().get(reverse("delegation:home"))
    assert response.status_code == 302


def test_acting_for_a_person_without_delegation_is_404(clock, patient) -> None:
    """R-DEL-2: the switch only works through an ACCEPTED delegation; anything else answers 404."""
    me, stranger = patient(), patient()
    client = logged_in(me)
    response = client.post(reverse("delegation:acting_for"), {"person": str(stranger.public_id)})
    assert response.status_code == 404
    assert SESSION_KEY not in client.session


def test_acting_for_a_pending_invitation_is_404(clock, patient) -> None:
    helped, caregiver = patient(), patient()
    svc.caregiver_invite(
        helped=helped, actor=actor_of(helped), nir=caregiver.ins_matricule, family_name=caregiver.birth_name,
        first_name=caregiver.first_name, birth_date=caregiver.birth_date,
    )  # fmt: skip
    response = logged_in(caregiver).post(reverse("delegation:acting_for"), {"person": str(helped.public_id)})
    assert response.status_code == 404


def test_caregiver_switches_to_the_helped_persons_space_and_back(clock, patient) -> None:
    """R-DEL-2: the "acting for" switch sets the session; "moi" returns to one's own space."""
    helped, caregiver = patient(), patient()
    caregiving(helped, caregiver)
    client = logged_in(caregiver)
    response = client.post(reverse("delegation:acting_for"), {"person": str(helped.public_id)})
    assert response.status_code == 302
    ctx = current_context(client)
    assert (ctx.subject.pk, ctx.kind) == (helped.pk, ActorKind.CAREGIVER)
    client.post(reverse("delegation:acting_for"), {"person": "moi"})
    assert current_context(client).is_self


def test_revocation_ends_access_at_once(clock, patient) -> None:
    """R-DEL-2: after revocation by the helped person, the caregiver's session falls back to his own space."""
    helped, caregiver = patient(), patient()
    d = caregiving(helped, caregiver)
    client = logged_in(caregiver)
    client.post(reverse("delegation:acting_for"), {"person": str(helped.public_id)})
    svc.delegation_revoke(delegation=d, person=helped, actor=actor_of(helped))
    ctx = current_context(client)
    assert ctx.is_self and ctx.kind == ActorKind.PATIENT


def test_legal_representative_falls_back_to_self_when_the_child_turns_18(clock, patient) -> None:
    """R-MIN-7: the parent's session on the child's space ends at majority (clock moved)."""
    parent = patient()
    child = new_person(birth_date=date(2008, 1, 10), insured_under=parent)
    svc.minor_attach(child=child, representative=parent, actor=Actor.insurance())
    clock.freeze(
        datetime(2026, 1, 9, 22, 50, tzinfo=UTC)
    )  # 23:50 in Paris, 10 minutes before the 18th birthday
    client = logged_in(parent)
    client.post(reverse("delegation:acting_for"), {"person": str(child.public_id)})
    assert current_context(client).kind == ActorKind.LEGAL_REPRESENTATIVE
    clock.advance(minutes=20)  # the same (still valid, 30-minute idle) session, the day after
    assert current_context(client).is_self
    response = client.post(reverse("delegation:acting_for"), {"person": str(child.public_id)})
    assert response.status_code == 404


def test_settings_block_lists_invitations_and_switch(clock, patient) -> None:
    """The delegations block shows the pending invitation to answer, with accept/refuse forms."""
    helped, caregiver = patient(), patient()
    d = svc.caregiver_invite(
        helped=helped, actor=actor_of(helped), nir=caregiver.ins_matricule, family_name=caregiver.birth_name,
        first_name=caregiver.first_name, birth_date=caregiver.birth_date,
    )  # fmt: skip
    html = logged_in(caregiver).get(reverse("delegation:home")).content.decode()
    assert reverse("delegation:accept", args=[d.public_id]) in html
    assert reverse("delegation:refuse", args=[d.public_id]) in html


def test_accepting_through_the_page(clock, patient) -> None:
    helped, caregiver = patient(), patient()
    d = svc.caregiver_invite(
        helped=helped, actor=actor_of(helped), nir=caregiver.ins_matricule, family_name=caregiver.birth_name,
        first_name=caregiver.first_name, birth_date=caregiver.birth_date,
    )  # fmt: skip
    response = logged_in(caregiver).post(reverse("delegation:accept", args=[d.public_id]))
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.status == DelegationStatus.ACCEPTED


def test_answering_someone_elses_invitation_is_404(clock, patient) -> None:
    helped, caregiver, stranger = patient(), patient(), patient()
    d = svc.caregiver_invite(
        helped=helped, actor=actor_of(helped), nir=caregiver.ins_matricule, family_name=caregiver.birth_name,
        first_name=caregiver.first_name, birth_date=caregiver.birth_date,
    )  # fmt: skip
    assert logged_in(stranger).post(reverse("delegation:accept", args=[d.public_id])).status_code == 404
    assert logged_in(stranger).post(reverse("delegation:accept", args=[uuid.uuid4()])).status_code == 404


def test_caregiver_invite_page_shows_the_generic_error_on_mismatch(clock, patient) -> None:
    """R-DEL-2: the page answers 200 with the generic message, no field singled out."""
    helped, caregiver = patient(), patient()
    response = logged_in(helped).post(
        reverse("delegation:caregiver_invite"),
        {
            "nir": caregiver.ins_matricule,
            "family_name": "AUTRE",
            "first_name": caregiver.first_name,
            "birth_date": caregiver.birth_date.isoformat(),
        },
    )
    assert response.status_code == 200
    assert str(svc.GENERIC_IDENTITY_MESSAGE).replace("'", "&#x27;") in response.content.decode()
    assert not Delegation.objects.exists()


def test_caregiver_invite_page_sends_the_invitation(clock, patient) -> None:
    helped, caregiver = patient(), patient()
    response = logged_in(helped).post(
        reverse("delegation:caregiver_invite"),
        {
            "nir": caregiver.ins_matricule,
            "family_name": caregiver.birth_name.lower(),
            "first_name": caregiver.first_name,
            "birth_date": caregiver.birth_date.isoformat(),
        },
    )
    assert response.status_code == 302
    assert Delegation.objects.get().delegate_id == caregiver.pk


def test_a_malformed_nir_is_shown_next_to_its_field(clock, patient) -> None:
    """Errors next to the field (DSFR fr-input-group--error + fr-error-text)."""
    response = logged_in(patient()).post(
        reverse("delegation:caregiver_invite"),
        {"nir": "12", "family_name": "X", "first_name": "Y", "birth_date": "1980-01-01"},
    )
    html = response.content.decode()
    assert "fr-input-group--error" in html and 'id="id_nir-error"' in html


def test_child_profile_page_activates_the_child(clock, patient) -> None:
    """R-LC-10 (minors): "Ajouter le profil de mon enfant"."""
    parent = patient()
    child = new_person(birth_date=date(2016, 2, 2), insured_under=parent, email="", phone="")
    _space, code = space_inform(person=child, actor=Actor.insurance())
    response = logged_in(parent).post(
        reverse("delegation:child_add"),
        {
            "code": code,
            "parent_nir": parent.ins_matricule,
            "child_birth_date": "2016-02-02",
            "certified": "on",
        },
    )
    assert response.status_code == 302
    assert Delegation.objects.get(subject=child).is_primary


def test_child_profile_page_refuses_without_certification(clock, patient) -> None:
    parent = patient()
    response = logged_in(parent).post(
        reverse("delegation:child_add"),
        {"code": "ABCDEFGHJKMN", "parent_nir": parent.ins_matricule, "child_birth_date": "2016-02-02"},
    )
    assert response.status_code == 200
    assert "fr-checkbox-group--error" in response.content.decode()


@pytest.mark.parametrize("side", ["helped", "caregiver"])
def test_attestation_downloads_from_both_sides(clock, patient, side: str) -> None:
    """R-DEL-2: each person downloads his own copy of the attestation."""
    helped, caregiver = patient(), patient()
    d = caregiving(helped, caregiver)
    response = logged_in(helped if side == "helped" else caregiver).get(
        reverse("delegation:attestation", args=[d.public_id])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_revoke_page_confirms_then_revokes(clock, patient) -> None:
    helped, caregiver = patient(), patient()
    d = caregiving(helped, caregiver)
    client = logged_in(caregiver)
    assert client.get(reverse("delegation:revoke", args=[d.public_id])).status_code == 200
    assert client.post(reverse("delegation:revoke", args=[d.public_id])).status_code == 302
    d.refresh_from_db()
    assert d.status == DelegationStatus.REVOKED


def test_second_representative_page_is_404_for_a_non_primary(clock, patient) -> None:
    parent, stranger = patient(), patient()
    child = new_person(birth_date=date(2016, 2, 2), insured_under=parent)
    svc.minor_attach(child=child, representative=parent, actor=Actor.insurance())
    url = reverse("delegation:representative_invite", args=[child.public_id])
    assert logged_in(parent).get(url).status_code == 200
    assert logged_in(stranger).get(url).status_code == 404
