"""Appendix B scenario 1 and R-LC-2..5: information, automatic opening, provisional codes, opposition."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from carnet.common.errors import DomainError
from carnet.notifications.models import OutboxMessage
from carnet.spaces import services
from carnet.spaces.models import HealthSpace, ProvisionalCode, SpaceStatus
from carnet.spaces.pdf import opposition_proof_pdf
from tests.factories import PersonFactory

from .conftest import INSURANCE, VITALE, assert_traced, representative_actor

pytestmark = pytest.mark.django_db


def _public_actor(space: HealthSpace) -> Any:
    from carnet.common.actors import Actor, ActorKind

    return Actor(ActorKind.PATIENT, str(space.person.public_id), person_id=space.person.pk)


def test_space_opens_by_itself_at_the_end_of_the_six_week_window(informed, clock) -> None:
    """R-LC-3, scenario 1: informed on D0, no action → OPEN_NOT_ACTIVATED at D0+42."""
    space, _code = informed
    clock.advance(days=41, hours=23)
    services.spaces_apply_deadlines()
    space.refresh_from_db()
    assert space.status == SpaceStatus.INFORMED
    clock.advance(hours=1)
    counts = services.spaces_apply_deadlines()
    space.refresh_from_db()
    assert counts["opened"] == 1
    assert space.status == SpaceStatus.OPEN_NOT_ACTIVATED
    assert space.opened_at == clock.now()
    assert_traced(space, "SPACE_OPENED", to=SpaceStatus.OPEN_NOT_ACTIVATED)


def test_provisional_code_is_rejected_after_the_window(informed, clock) -> None:
    """R-LC-4, scenario 1: the code is valid during the window, rejected from D0+42."""
    _space, code = informed
    clock.advance(days=41)
    assert services.provisional_code_find(code) is not None
    clock.advance(days=1)
    services.spaces_apply_deadlines()
    assert services.provisional_code_find(code) is None
    assert services.provisional_code_is_expired(code) is True


def test_information_letter_is_queued_with_the_code_and_no_health_data(informed) -> None:
    """R-LC-2: the information message goes to the declared e-mail, carries the code and the dates."""
    space, code = informed
    message = OutboxMessage.objects.get(patient_id=space.patient_id, template="information_letter")
    assert message.address == space.person.email
    assert message.params["code"].replace("-", "") == code


def test_opposition_on_day_41_prevents_opening_and_yields_a_pdf_proof(informed, clock) -> None:
    """Scenario 1, R-LC-3/5: opposing at D0+41 → OPPOSED, never opened, PDF proof with the reference."""
    space, _code = informed
    clock.advance(days=41)
    services.space_oppose(space=space, actor=_public_actor(space))
    clock.advance(days=5)
    counts = services.spaces_apply_deadlines()
    space.refresh_from_db()
    assert counts["opened"] == 0
    assert space.status == SpaceStatus.OPPOSED
    assert space.opened_at is None
    assert space.opposition_reference.startswith("OPP-")
    assert_traced(space, "SPACE_OPPOSED", to=SpaceStatus.OPPOSED)
    pdf = opposition_proof_pdf(
        reference=space.opposition_reference,
        opposed_at=space.opposed_at,
        full_name=space.person.display_name,
        birth_date=space.person.birth_date,
        issued_at=clock.now(),
    )
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert space.opposition_reference in text
    assert space.person.ins_matricule not in text


def test_opposition_revokes_the_provisional_code(informed) -> None:
    """R-LC-4: after opposition the code of the information letter no longer activates anything."""
    space, code = informed
    services.space_oppose(space=space, actor=_public_actor(space))
    assert services.provisional_code_find(code) is None


def test_opposition_after_opening_archives_what_was_deposited(informed, clock) -> None:
    """R-LC-28 [I]: OPEN_NOT_ACTIVATED → OPPOSED; the archive ends after 10 years (R-LC-21)."""
    space, _code = informed
    clock.advance(days=43)
    services.spaces_apply_deadlines()
    space.refresh_from_db()
    services.space_oppose(space=space, actor=_public_actor(space))
    space.refresh_from_db()
    assert space.status == SpaceStatus.OPPOSED
    assert space.archived_until is not None
    assert space.archived_until.year == clock.now().year + 10


def test_opposition_is_refused_once_the_space_is_activated(holder) -> None:
    """R-LC-28: an ACTIVATED space is closed, not opposed."""
    from .conftest import space_of

    space = space_of(holder)
    with pytest.raises(DomainError) as error:
        services.space_oppose(space=space, actor=_public_actor(space))
    assert error.value.code == "invalid_transition"
    assert HealthSpace.objects.get(pk=space.pk).status == SpaceStatus.ACTIVATED


def test_minor_cannot_oppose_alone_but_his_legal_representative_can(db, clock) -> None:
    """R-LC-2, R-MIN-1: a minor's opposition is made by his legal representative."""
    from datetime import date

    from tests.factories import PatientUserFactory

    from .conftest import make_child

    parent_user = PatientUserFactory()
    child = make_child(parent_user.person, birth_date=date(2015, 3, 1))
    space, _code = services.space_inform(person=child, actor=INSURANCE)
    with pytest.raises(DomainError):
        services.space_oppose(space=space, actor=_public_actor(space))
    services.space_oppose(space=space, actor=representative_actor(parent_user))
    space.refresh_from_db()
    assert space.status == SpaceStatus.OPPOSED
    assert_traced(space, "SPACE_OPPOSED")


def test_information_letter_of_a_minor_goes_to_the_parent(db, clock) -> None:
    """R-LC-6, R-ID-4: the parent under whose NIR the child is insured receives the letter."""
    from datetime import date

    from .conftest import make_child

    parent = PersonFactory()
    child = make_child(parent, birth_date=date(2020, 1, 1))
    space, _code = services.space_inform(person=child, actor=INSURANCE)
    message = OutboxMessage.objects.get(patient_id=space.patient_id, template="information_letter")
    assert message.address == parent.email


def test_new_code_is_sent_when_carte_vitale_data_match(informed) -> None:
    """R-LC-4: a new code by SMS when NIR, carte Vitale serial and birth date match."""
    space, old_code = informed
    person = space.person
    services.provisional_code_renew(
        nir=person.ins_matricule, vitale_serial=VITALE, birth_date=person.birth_date, channel="SMS"
    )
    assert services.provisional_code_find(old_code) is None
    sms = OutboxMessage.objects.filter(patient_id=space.patient_id, template="provisional_code").get()
    assert sms.channel == "SMS"
    assert sms.address == person.phone
    assert_traced(space, "PROVISIONAL_CODE_ISSUED")


def test_new_code_request_answers_the_same_for_unknown_or_mismatching_people(informed) -> None:
    """R-LC-4 + security: nothing is sent, nothing is raised, for wrong data or an unknown NIR."""
    space, _code = informed
    person = space.person
    before = ProvisionalCode.objects.count()
    assert (
        services.provisional_code_renew(
            nir=person.ins_matricule,
            vitale_serial="99999999999",
            birth_date=person.birth_date,
            channel="EMAIL",
        )
        is None
    )
    other = PersonFactory.build()
    assert (
        services.provisional_code_renew(
            nir=other.ins_matricule, vitale_serial=VITALE, birth_date=other.birth_date, channel="EMAIL"
        )
        is None
    )
    assert ProvisionalCode.objects.count() == before


def test_new_code_requests_are_throttled(informed) -> None:
    """R-LC-4 [I]: at most three codes per 24 hours through the public form."""
    space, _code = informed
    person = space.person
    for _ in range(5):
        services.provisional_code_renew(
            nir=person.ins_matricule, vitale_serial=VITALE, birth_date=person.birth_date, channel="EMAIL"
        )
    assert ProvisionalCode.objects.filter(space=space).count() == services.RENEWALS_PER_DAY
