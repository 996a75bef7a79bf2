"""The demo population loads through the real services, once, and prints working credentials."""

from __future__ import annotations

import io
import re

import pyotp
import pytest
from django.core.management import call_command

from carnet.accounts.crypto import secret_decrypt
from carnet.accounts.models import Role, User
from carnet.common import clock
from carnet.identity.models import Person, Professional
from carnet.spaces.models import Delegation, DelegationStatus, SpaceStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _demo_mode(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_DEMO = True  # `carnet demo` runs in demo mode only


def _run_demo() -> str:
    out = io.StringIO()
    call_command("demo", "--no-serve", stdout=out)
    return out.getvalue()


def test_demo_population_covers_the_issue_cast() -> None:
    output = _run_demo()
    assert "claire.martin" in output and "operateur.demo" in output
    assert User.objects.filter(role=Role.OPERATOR).count() == 1
    assert Professional.objects.values("profession_code").distinct().count() >= 4
    lucas = Person.objects.get(first_names="Lucas")
    representatives = Delegation.objects.filter(subject=lucas, status=DelegationStatus.ACCEPTED)
    assert representatives.count() == 2 and representatives.filter(is_primary=True).count() == 1
    assert Delegation.objects.filter(kind="CAREGIVING", status=DelegationStatus.ACCEPTED).count() == 1
    assert Person.objects.get(first_names="Claire Marie").space.status == SpaceStatus.ACTIVATED


def test_demo_is_idempotent_and_prints_fresh_codes_each_time() -> None:
    first = _run_demo()
    persons = Person.objects.count()
    second = _run_demo()
    assert Person.objects.count() == persons
    codes = re.findall(r"code ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})", first + second)
    assert len(codes) == 4 and len(set(codes)) == 4


def test_demo_outbox_shows_the_current_totp_of_demo_staff(client) -> None:  # type: ignore[no-untyped-def]
    _run_demo()
    user = User.objects.get(username="dr.durand")
    expected = pyotp.TOTP(secret_decrypt(user.totp_secret_encrypted, context=str(user.public_id))).at(
        clock.now()
    )
    response = client.get("/demo/outbox/")
    assert response.status_code == 200
    assert expected in response.content.decode()


def test_demo_record_shows_masking_and_invisible_documents() -> None:
    from carnet.records.models import Document

    _run_demo()
    claire = Person.objects.get(first_names="Claire Marie")
    documents = Document.objects.filter(patient_id=claire.pk)
    assert documents.count() == 3
    assert any("MASQUE_PS" in d.confidentiality for d in documents)
    assert any(d.invisible_until is not None for d in documents)


def test_demo_profile_has_a_weight_chart_a_pharmacist_vaccination_and_a_message() -> None:
    from carnet.messaging.models import Conversation
    from carnet.profile.vitals.models import Measurement, Vaccination

    _run_demo()
    claire = Person.objects.get(first_names="Claire Marie")
    assert Measurement.objects.filter(patient_id=claire.pk, code="WEIGHT").count() == 5
    assert Vaccination.objects.filter(patient_id=claire.pk, authored_by_patient=False).count() == 1
    assert Conversation.objects.filter(patient_id=claire.pk).count() == 1
