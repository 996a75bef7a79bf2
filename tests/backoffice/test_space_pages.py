"""Operators' space pages: administrative data only, never medical content, never the NIR."""

from __future__ import annotations

import html as html_module
import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse

from carnet.accounts.models import Role
from carnet.audit.selectors import traces_for_patient
from carnet.audit.services import trace
from carnet.backoffice.models import SupportStatus
from carnet.backoffice.services import support_request_create
from carnet.common.actors import Actor, ActorKind
from carnet.spaces.models import HealthSpace, SpaceStatus
from tests.factories import PersonFactory, make_nir

from .helpers import make_space, make_user

pytestmark = pytest.mark.django_db

LIST = "/backoffice/espaces/"


def _detail(space: HealthSpace) -> str:
    return reverse("backoffice:space_detail", kwargs={"space_id": space.public_id})


def _all_pages(operator_client, space: HealthSpace) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The HTML of every back-office page that can show this space."""
    urls = [
        reverse("backoffice:home"),
        LIST,
        _detail(space),
        reverse("backoffice:space_suspend", kwargs={"space_id": space.public_id}),
        reverse("backoffice:space_record_death", kwargs={"space_id": space.public_id}),
        reverse("backoffice:support_list"),
    ]
    return {url: operator_client.get(url).content.decode() for url in urls}


def test_home_counts_spaces_per_status(operator_client) -> None:
    make_space(status=SpaceStatus.ACTIVATED)
    make_space(status=SpaceStatus.ACTIVATED)
    make_space(status=SpaceStatus.INFORMED)
    counts = {
        value: n
        for value, _label, n in operator_client.get(reverse("backoffice:home")).context["status_counts"]
    }
    assert counts["ACTIVATED"] == 2
    assert counts["INFORMED"] == 1
    assert counts["DELETED"] == 0


def test_list_shows_public_id_status_and_limited_identity(operator_client) -> None:
    person = PersonFactory(birth_name="LAMBERT", first_names="Jeanne Alice")
    space = make_space(person=person)
    html = operator_client.get(LIST).content.decode()
    assert str(space.public_id) in html
    assert "LAMBERT Jeanne (1980)" in html
    assert "Alice" not in html  # only the first first-name


def test_list_is_paginated_by_fifty(operator_client) -> None:
    for serial in range(1, 52):
        make_space(person=PersonFactory(ins_matricule=make_nir(serial=serial)))
    first = operator_client.get(LIST)
    assert len(first.context["rows"]) == 50
    assert len(operator_client.get(LIST, {"page": 2}).context["rows"]) == 1


def test_list_filters_on_status(operator_client) -> None:
    informed = make_space(status=SpaceStatus.INFORMED)
    activated = make_space(status=SpaceStatus.ACTIVATED)
    html = operator_client.get(LIST, {"status": "INFORMED"}).content.decode()
    assert str(informed.public_id) in html
    assert str(activated.public_id) not in html


def test_search_by_public_id_opens_the_space(operator_client) -> None:
    space = make_space()
    response = operator_client.post(LIST, {"query": str(space.public_id)})
    assert response.status_code == 302
    assert response["Location"] == _detail(space)


def test_search_by_nir_opens_the_space_without_the_nir_in_the_url(operator_client) -> None:
    space = make_space()
    nir = space.person.ins_matricule
    spaced = f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:10]} {nir[10:13]} {nir[13:]}"
    response = operator_client.post(LIST, {"query": spaced})
    assert response["Location"] == _detail(space)
    assert nir not in response["Location"]


def test_search_form_is_sent_by_post(operator_client) -> None:
    html = operator_client.get(LIST).content.decode()
    form = re.search(
        r'<form method="(\w+)" action="/backoffice/espaces/"[^>]*>\s*<input type="hidden" name="csrf', html
    )
    assert form is not None and form.group(1) == "post"


def test_search_without_match_says_so_next_to_the_field_and_does_not_echo_the_nir(operator_client) -> None:
    other = PersonFactory()  # a person without a space
    response = operator_client.post(LIST, {"query": other.ins_matricule})
    html = response.content.decode()
    assert response.status_code == 200
    assert "fr-input-group--error" in html
    assert "aucun profil ne correspond" in html
    assert other.ins_matricule not in html


def test_detail_shows_status_motif_and_key_dates(operator_client, clock) -> None:
    space = make_space(
        status=SpaceStatus.CLOSED,
        motif="CLOTURE",
        closed_at=clock.now(),
        deletion_due_at=clock.now() + timedelta(days=90),
    )
    html = operator_client.get(_detail(space)).content.decode()
    assert "Clôturé" in html
    assert "Clôture demandée par le titulaire" in html and "CLOTURE" not in html  # a label, never the code
    assert "5 avril 2026" in html


def test_detail_flags_a_deceased_holder(operator_client, clock) -> None:
    space = make_space(deceased_at=clock.now())
    assert operator_client.get(_detail(space)).context["identity"]["deceased"] is True


def test_detail_lists_general_traces_without_their_details(operator_client) -> None:
    space = make_space()
    with transaction.atomic():
        trace(
            actor=Actor.insurance(),
            action="SPACE_INFORMED",
            patient_id=space.patient_id,
            details={"secret": "DETAIL-NE-DOIT-PAS-SORTIR"},
        )
        trace(
            actor=Actor(ActorKind.PROFESSIONAL, "10000000001"),
            action="DOCUMENT_READ",
            patient_id=space.patient_id,
            group="documents",
        )
        trace(actor=Actor.insurance(), action="SOME_FUTURE_ACTION", patient_id=space.patient_id)
    html = html_module.unescape(operator_client.get(_detail(space)).content.decode())
    assert "Information sur la création du profil" in html  # the action's label, as an operator reads it
    assert "SPACE_INFORMED" not in html and "SOME_FUTURE_ACTION" not in html  # never a raw code
    assert "Action sur le profil" in html  # an action nobody labelled yet
    assert "Assurance Maladie" in html
    assert "DETAIL-NE-DOIT-PAS-SORTIR" not in html
    assert "DOCUMENT_READ" not in html  # only the "general" group


def test_opening_a_space_page_is_traced_with_the_operator(operator_client, operator) -> None:
    space = make_space()
    operator_client.get(_detail(space))
    viewed = traces_for_patient(space.patient_id).get(action="OPERATOR_SPACE_VIEWED")
    assert (viewed.actor_kind, viewed.actor_id) == ("OPERATOR", str(operator.public_id))


def test_no_backoffice_page_shows_the_nir_or_contact_details(operator_client) -> None:
    """ARCHITECTURE "operator staff ... never any medical content": nor NIR, nor e-mail/phone by default."""
    space = make_space()
    person = space.person
    for url, html in _all_pages(operator_client, space).items():
        assert person.ins_matricule not in html, url
        assert person.email not in html, url
        assert person.phone not in html, url


def test_no_backoffice_page_shows_profile_or_identity_data_beyond_the_allowed_traits(operator_client) -> None:
    person = PersonFactory(first_names="Camille Hortense", used_name="EPOUSE-SECRET", birth_place_cog="13055")
    space = make_space(person=person)
    for url, html in _all_pages(operator_client, space).items():
        assert "Hortense" not in html, url
        assert "EPOUSE-SECRET" not in html, url
        assert "13055" not in html, url
        assert person.birth_date.strftime("%d/%m/%Y") not in html, url


def test_contact_details_show_while_a_support_request_of_the_person_is_open(operator_client) -> None:
    patient = make_user(Role.PATIENT)
    space = make_space(person=patient.person)
    request = support_request_create(category="LOGIN", contact_email="contact@example.org", user=patient)
    html = operator_client.get(_detail(space)).content.decode()
    assert patient.person.email in html
    assert patient.person.phone in html
    request.status = SupportStatus.CLOSED
    request.save()
    html = operator_client.get(_detail(space)).content.decode()
    assert patient.person.email not in html
    assert patient.person.phone not in html
