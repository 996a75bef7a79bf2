"""The documents export section (R-LC-25, R-MASK-6, R-MIN-5) and the scheduled task wiring."""

from __future__ import annotations

from datetime import date
from typing import Any

from carnet.accounts.models import User
from carnet.common import clock as carnet_clock
from carnet.config.worker import CYCLE_TASKS
from carnet.records.export import section_documents
from carnet.spaces.export import ExportContext
from carnet.spaces.models import ExportRequest
from carnet.tasks import load_tasks
from tests.records.helpers import PDF, World, add_parent, deposit_pdf, make_world


def _export(world: World, requester: User) -> ExportContext:
    export = ExportRequest.objects.create(
        space=world.space, patient_id=world.patient.pk, requested_by=requester, created_at=carnet_clock.now()
    )
    ctx = ExportContext(
        space=world.space, person=world.patient, export=export, generated_at=carnet_clock.now()
    )
    section_documents(ctx)
    return ctx


def test_holder_export_has_his_documents_but_not_invisible_ones(world: World) -> None:
    """R-LC-25 with R-MASK-6: an INVISIBLE_PATIENT document is left out before its date."""
    visible = deposit_pdf(world, world.gp)
    deposit_pdf(world, world.lab, confidentiality=["INVISIBLE_PATIENT"])
    ctx = _export(world, User.objects.get(person=world.patient))
    assert [row["identifiant"] for row in ctx.data["documents"]] == [str(visible.public_id)]
    assert list(ctx.files.values()) == [PDF]


def test_legal_representative_export_leaves_out_documents_hidden_from_him(db: Any, clock: Any) -> None:
    """R-MIN-5: INVISIBLE_REPRESENTANTS_LEGAUX documents are not exported to a parent."""
    world = make_world(birth_date=date(2010, 1, 1))
    parent = add_parent(world)
    deposit_pdf(world, world.lab, confidentiality=["INVISIBLE_REPRESENTANTS_LEGAUX"])
    normal = deposit_pdf(world, world.gp)
    ctx = _export(world, User.objects.get(person=parent))
    assert [row["identifiant"] for row in ctx.data["documents"]] == [str(normal.public_id)]


def test_invisible_notice_task_is_registered_and_in_the_worker_cycle() -> None:
    """R-MASK-6: ``records.invisible_notices`` runs with every worker cycle."""
    assert "records.invisible_notices" in load_tasks()
    assert "records.invisible_notices" in CYCLE_TASKS
