"""ADR 0008: the holder learns what will remain *before* he asks for the deletion — on the pages where he
asks for it (closure, closed space) and in the message that confirms his request — in French and English."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from carnet.notifications.models import OutboxMessage
from carnet.notifications.templates_catalogue import render
from carnet.spaces import services as space_services
from carnet.spaces.models import HealthSpace
from tests.erasure.world import PASSWORD, CanaryWorld, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(clock: Any) -> CanaryWorld:
    return build()


def _client(w: CanaryWorld, language: str = "fr") -> Client:
    http = Client(HTTP_ACCEPT_LANGUAGE=language)
    http.force_login(w.holder.account)
    return http


@pytest.mark.parametrize(
    ("language", "title", "remains"),
    [
        (
            "fr",
            "Ce qui reste après une suppression",
            "historique des accès à votre profil, sans contenu médical",
        ),
        ("en", "What remains after a deletion", "history of accesses to your space, without medical content"),
    ],
)
def test_the_closure_form_says_what_a_deletion_leaves(
    world: CanaryWorld, language: str, title: str, remains: str
) -> None:
    page = _client(world, language).get(reverse("spaces:settings")).content.decode()
    assert title in page and remains in page


def test_the_closed_space_page_says_it_next_to_the_deletion_request(world: CanaryWorld) -> None:
    space_services.space_close(
        space=HealthSpace.objects.get(pk=world.space.pk),
        actor=world.holder_actor,
        password=PASSWORD,
        user=world.holder.account,
        request_deletion=False,
    )
    page = _client(world).get(reverse("spaces:reopen")).content.decode()
    assert "Demander la suppression de mes données" in page
    assert "Ce qui reste après une suppression" in page


def test_the_message_confirming_the_request_says_what_will_remain(world: CanaryWorld) -> None:
    space_services.space_close(
        space=HealthSpace.objects.get(pk=world.space.pk),
        actor=world.holder_actor,
        password=PASSWORD,
        user=world.holder.account,
        request_deletion=True,
    )
    queued = OutboxMessage.objects.get(patient_id=world.holder.pk, template="deletion_requested")
    _subject, body = render(queued.template, queued.params, "fr")
    assert "Ne resteront qu'une trace de l'effacement" in body
    assert "certificat d'effacement signé" in body
    _subject, english = render(queued.template, queued.params, "en")
    assert "Only a record of the erasure" in english


def test_operators_see_an_erased_space_as_erased_never_as_a_blank_person(world: CanaryWorld) -> None:
    """The back-office lists the space (its status and erasure stay), with no identity left to show."""
    from carnet.accounts.models import Role, User
    from tests.erasure.world import REQUESTED, erase

    erase(world, REQUESTED)
    operator = User.objects.create_user(
        username="operateur.effacement", password=PASSWORD, role=Role.OPERATOR
    )
    http = Client()
    http.force_login(operator)
    page = http.get(reverse("backoffice:space_list"), {"status": "DELETED"}).content.decode()
    assert "Identité effacée" in page
    assert world.canaries["birth_name"] not in page
