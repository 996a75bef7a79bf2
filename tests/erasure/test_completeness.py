"""ADR 0008: an erasure that would leave rows behind is not certified — it is rolled back whole.

An app that keeps patient rows and registers no eraser (here: the agenda's eraser taken away) makes the
completeness check find the leftovers in the catalogue of models with a ``patient_id``; the space stays
closed with its data and key, the job counts the failure and says which tables, never which space."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from carnet.agenda.models import Appointment
from carnet.spaces import erasure
from carnet.spaces import services as space_services
from carnet.spaces.models import HealthSpace, SpaceErasure, SpaceStatus
from carnet.vault.models import PatientKey
from tests.erasure.world import PASSWORD, build


@pytest.mark.django_db(transaction=True)
def test_rows_no_eraser_handles_roll_the_whole_erasure_back(
    clock: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, settings: Any
) -> None:
    w = build()
    monkeypatch.setattr(erasure, "_ERASERS", {k: v for k, v in erasure._ERASERS.items() if k != "agenda"})
    space_services.space_close(
        space=HealthSpace.objects.get(pk=w.space.pk),
        actor=w.holder_actor,
        password=PASSWORD,
        user=w.holder.account,
        request_deletion=True,
    )
    clock.advance(days=settings.CARNET_DELETION_DELAY_DAYS + 1)
    with caplog.at_level(logging.ERROR, logger="carnet.spaces.services"):
        counts = space_services.spaces_apply_deadlines()

    assert (counts["deleted_on_request"], counts["erasures_failed"]) == (0, 1)
    space = HealthSpace.objects.get(pk=w.space.pk)
    assert space.status == SpaceStatus.CLOSED and space.person.ins_matricule == w.holder.ins_matricule
    assert PatientKey.objects.get(patient_id=w.holder.pk).wrapped_key is not None
    assert Appointment.objects.filter(patient_id=w.holder.pk).exists()
    assert not SpaceErasure.objects.filter(patient_id=w.holder.pk).exists()
    [logged] = [r.getMessage() for r in caplog.records]
    assert logged.startswith("an erasure was rolled back: rows left after erasure in ")  # tables, no space
    assert "agenda.appointment" in logged
