from __future__ import annotations

import pytest
from django.db import transaction

from carnet.audit.models import Trace
from carnet.audit.selectors import chain_verify
from carnet.audit.services import checkpoint_create, trace
from carnet.common.actors import Actor

pytestmark = pytest.mark.django_db


def _append(n: int, patient_id: int = 7) -> None:
    for i in range(n):
        with transaction.atomic():
            trace(actor=Actor.system("test"), action=f"act{i}", patient_id=patient_id)


@pytest.mark.django_db(transaction=True)
def test_trace_refuses_to_run_outside_a_transaction() -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        trace(actor=Actor.system("test"), action="x", patient_id=1)


def test_an_intact_chain_verifies() -> None:
    _append(5)
    assert chain_verify(7) == []
    assert list(Trace.objects.filter(patient_id=7).values_list("seq", flat=True)) == [1, 2, 3, 4, 5]


def test_an_altered_trace_is_pinpointed() -> None:
    _append(5)
    Trace.objects.filter(patient_id=7, seq=3).update(action="forged")
    assert [(p.seq, p.problem) for p in chain_verify(7)] == [(3, "altered")]


def test_a_removed_trace_is_pinpointed() -> None:
    _append(5)
    Trace.objects.filter(patient_id=7, seq=2)._raw_delete(Trace.objects.db)  # bypass the model's guard
    assert (2, "missing") in [(p.seq, p.problem) for p in chain_verify(7)]


def test_traces_cannot_be_updated_or_deleted_through_the_model() -> None:
    _append(1)
    entry = Trace.objects.get(patient_id=7)
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


def test_a_checkpoint_signs_the_current_head_once() -> None:
    _append(3)
    first = checkpoint_create(patient_id=7)
    again = checkpoint_create(patient_id=7)
    assert first is not None and again is not None
    assert first.pk == again.pk and first.seq == 3
