"""Reads over traces, and verification of a chain as stored."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from .models import Trace
from .services import GENESIS, chain_for, link_hash, trace_fields


def traces_for_patient(patient_id: int) -> QuerySet[Trace]:
    return Trace.objects.filter(chain=chain_for(patient_id)).order_by("seq")


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    problem: str  # "altered", "missing", "reordered"


def chain_verify(patient_id: int | None) -> list[ChainProblem]:
    """Recompute the chain stored in the database; an empty list means it is intact."""
    problems: list[ChainProblem] = []
    prev = GENESIS
    expected_seq = 1
    for t in Trace.objects.filter(chain=chain_for(patient_id)).order_by("seq").iterator():
        if t.seq != expected_seq:
            problems.append(ChainProblem(expected_seq, "missing"))
        if t.prev_hash != prev or link_hash(t.prev_hash, trace_fields(t)) != t.hash:
            problems.append(ChainProblem(t.seq, "altered"))
        prev = t.hash
        expected_seq = t.seq + 1
    return problems
