"""Operator actions on a space: suspension (R-LC-24) and death (R-LC-27), delegated to ``spaces.services``."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse

from carnet.audit.selectors import traces_for_patient
from carnet.common.errors import DomainError
from carnet.spaces import services as space_services
from carnet.spaces.models import HealthSpace, SpaceStatus

from .helpers import make_space

pytestmark = pytest.mark.django_db


def _suspend_url(space: HealthSpace) -> str:
    return reverse("backoffice:space_suspend", kwargs={"space_id": space.public_id})


def _death_url(space: HealthSpace) -> str:
    return reverse("backoffice:space_record_death", kwargs={"space_id": space.public_id})


@pytest.fixture
def calls(monkeypatch) -> list[tuple[str, dict[str, Any]]]:  # type: ignore[no-untyped-def]
    """Stand-ins for the spaces transitions, recording how the back-office calls them."""
    recorded: list[tuple[str, dict[str, Any]]] = []

    def fake(name: str):  # type: ignore[no-untyped-def]
        def call(**kwargs: Any) -> HealthSpace:
            recorded.append((name, kwargs))
            return kwargs["space"]

        return call

    monkeypatch.setattr(space_services, "space_suspend", fake("space_suspend"), raising=False)
    monkeypatch.setattr(space_services, "space_record_death", fake("space_record_death"), raising=False)
    return recorded


def test_suspension_page_asks_for_a_motif_and_a_confirmation(operator_client) -> None:
    html = operator_client.get(_suspend_url(make_space())).content.decode()
    assert 'name="motif"' in html
    assert 'name="confirm"' in html
    assert "6 semaines" in html


def test_suspension_without_confirmation_is_refused_next_to_the_checkbox(operator_client, calls) -> None:
    response = operator_client.post(_suspend_url(make_space()), {"motif": "FRAUD"})
    assert "fr-checkbox-group--error" in response.content.decode()
    assert calls == []


def test_r_lc_24_operator_suspends_a_space_with_an_operator_actor(operator_client, operator, calls) -> None:
    space = make_space()
    response = operator_client.post(_suspend_url(space), {"motif": "FRAUD", "confirm": "on"})
    assert response.status_code == 302
    ((name, kwargs),) = calls
    assert name == "space_suspend"
    assert kwargs["space"] == space  # same row (a fully loaded copy)
    assert kwargs["motif"] == "FRAUD"
    assert kwargs["actor"].kind == "OPERATOR"
    assert kwargs["actor"].id == str(operator.public_id)


def test_r_lc_27_operator_records_a_death_with_its_date(operator_client, calls, clock) -> None:
    space = make_space()
    died_on = clock.now().date() - timedelta(days=3)
    response = operator_client.post(_death_url(space), {"died_on": died_on.isoformat(), "confirm": "on"})
    assert response.status_code == 302
    ((name, kwargs),) = calls
    assert (name, kwargs["space"], kwargs["died_on"]) == ("space_record_death", space, died_on)
    assert kwargs["actor"].kind == "OPERATOR"


def test_r_lc_27_a_death_date_in_the_future_is_refused_next_to_the_field(
    operator_client, calls, clock
) -> None:
    future = clock.now().date() + timedelta(days=1)
    response = operator_client.post(
        _death_url(make_space()), {"died_on": future.isoformat(), "confirm": "on"}
    )
    html = response.content.decode()
    assert "fr-input-group--error" in html
    assert "Date du décès : la date ne peut pas être dans le futur." in html
    assert calls == []


def test_a_refusal_from_the_spaces_service_is_shown_to_the_operator(operator_client, monkeypatch) -> None:
    def refuse(**kwargs: Any) -> HealthSpace:
        raise DomainError(
            "Cette opération n'est pas possible dans l'état actuel du profil.", code="invalid_transition"
        )

    monkeypatch.setattr(space_services, "space_suspend", refuse, raising=False)
    response = operator_client.post(_suspend_url(make_space()), {"motif": "FRAUD", "confirm": "on"})
    assert response.status_code == 200
    assert "pas possible dans l&#x27;état actuel" in response.content.decode()


def test_a_missing_spaces_transition_is_reported_not_crashed(operator_client, monkeypatch) -> None:
    monkeypatch.delattr(space_services, "space_suspend", raising=False)
    response = operator_client.post(_suspend_url(make_space()), {"motif": "FRAUD", "confirm": "on"})
    assert response.status_code == 200
    assert "pas encore disponible" in response.content.decode()


@pytest.mark.skipif(
    not hasattr(space_services, "space_suspend"), reason="spaces.space_suspend not written yet"
)
def test_r_lc_24_suspension_through_the_real_service_suspends_the_space(operator_client) -> None:
    space = make_space()
    operator_client.post(_suspend_url(space), {"motif": "FRAUD", "confirm": "on"})
    space.refresh_from_db()
    assert space.status == SpaceStatus.SUSPENDED
    suspended = traces_for_patient(space.patient_id).get(action="SPACE_SUSPENDED")
    assert suspended.actor_kind == "OPERATOR"


@pytest.mark.skipif(
    not hasattr(space_services, "space_record_death"), reason="spaces.space_record_death not written yet"
)
def test_r_lc_27_death_through_the_real_service_flags_the_space(operator_client) -> None:
    space = make_space()
    operator_client.post(_death_url(space), {"died_on": date(2025, 12, 1).isoformat(), "confirm": "on"})
    space.refresh_from_db()
    assert space.deceased_at is not None
