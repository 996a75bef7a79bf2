"""Hot-path query count and a hypothesis property over random model states (invariant 1, R-MASK-1/2/5)."""

from __future__ import annotations

import contextlib
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carnet.access import services as access
from carnet.access.models import EmergencySettings, ProfessionalStanding
from carnet.common import clock as carnet_clock
from carnet.common.errors import NotFoundOrForbidden
from carnet.records import selectors
from carnet.records.models import Document
from tests.records.helpers import World, deposit_pdf, make_world, pro_actor


def _count_list_queries(world: World) -> int:
    with CaptureQueriesContext(connection) as ctx:
        selectors.document_list_for_actor(actor=pro_actor(world.dentist), patient_id=world.patient.pk)
    return len(ctx.captured_queries)


def test_document_list_query_count_does_not_grow_with_documents(
    world: World, django_assert_max_num_queries: Any
) -> None:
    """No N+1 on the professional's document list (facts built once, one documents query)."""
    access.care_relation_record(actor=pro_actor(world.dentist), patient_id=world.patient.pk, kind="EXPLICIT")
    for _ in range(2):
        deposit_pdf(world, world.gp)
    selectors.document_list_for_actor(
        actor=pro_actor(world.dentist), patient_id=world.patient.pk
    )  # first access
    few = _count_list_queries(world)
    for _ in range(10):
        deposit_pdf(world, world.hospital)
    assert _count_list_queries(world) == few
    with django_assert_max_num_queries(14):
        docs = selectors.document_list_for_actor(actor=pro_actor(world.dentist), patient_id=world.patient.pk)
    assert len(docs) == 12


CODES = ["MASQUE_PS", "INVISIBLE_PATIENT", "INVISIBLE_REPRESENTANTS_LEGAUX"]

state = st.fixed_dictionaries(
    {
        "docs": st.lists(
            st.tuples(
                st.sampled_from(["gp", "hospital"]), st.lists(st.sampled_from(CODES), unique=True, max_size=3)
            ),
            min_size=1,
            max_size=4,
        ),
        "viewer": st.sampled_from(["dentist", "nurse", "gp", "hospital"]),
        "consent": st.booleans(),
        "administrator": st.booleans(),
        "blocked": st.booleans(),
        "masked_emergency": st.sampled_from(["permit", "deny"]),
        "mode": st.sampled_from(["NORMAL", "BTG"]),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(s=state)
def test_no_path_returns_a_masked_document_to_an_unauthorised_professional(
    db: Any, s: dict[str, Any]
) -> None:
    """Property (R-MASK-1, R-MASK-2, R-MASK-5, R-BLK-2): through document_list_for_actor and
    document_get_for_actor, a professional who is neither the author nor an administrateur never receives a
    masked document, except in an emergency session when the holder set MASKED=permit; a blocked
    professional receives only his own documents."""
    carnet_clock.freeze(carnet_clock.now())
    world = make_world()
    pros = {"dentist": world.dentist, "nurse": world.nurse, "gp": world.gp, "hospital": world.hospital}
    viewer = pros[s["viewer"]]
    docs: list[Document] = [
        deposit_pdf(world, pros[author], confidentiality=codes) for author, codes in s["docs"]
    ]
    if s["consent"]:
        access.care_relation_record(actor=pro_actor(viewer), patient_id=world.patient.pk, kind="EXPLICIT")
    now = carnet_clock.now()
    if s["administrator"] or s["blocked"]:
        ProfessionalStanding.objects.create(
            patient_id=world.patient.pk,
            professional=viewer,
            is_administrator=s["administrator"],
            blocked_at=now if s["blocked"] else None,
            updated_at=now,
        )
    EmergencySettings.objects.create(
        patient_id=world.patient.pk, masked=s["masked_emergency"], updated_at=now
    )
    if s["mode"] == "BTG":
        with contextlib.suppress(NotFoundOrForbidden):
            access.break_the_glass_start(
                actor=pro_actor(viewer), patient_id=world.patient.pk, reason="Urgence", mode="BTG"
            )

    returned: list[Document] = []
    with contextlib.suppress(NotFoundOrForbidden):
        returned += selectors.document_list_for_actor(
            actor=pro_actor(viewer), patient_id=world.patient.pk, mode=s["mode"]
        )
    for doc in docs:
        with contextlib.suppress(NotFoundOrForbidden):
            returned.append(
                selectors.document_get_for_actor(
                    actor=pro_actor(viewer),
                    patient_id=world.patient.pk,
                    document_public_id=doc.public_id,
                    mode=s["mode"],
                )
            )

    for doc in returned:
        if doc.author_professional_id == viewer.pk:
            continue
        assert not s["blocked"]
        if "MASQUE_PS" in doc.confidentiality:
            assert s["administrator"] or (s["mode"] == "BTG" and s["masked_emergency"] == "permit")
