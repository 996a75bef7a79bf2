"""``carnet.api.bodies.nesting_exceeds`` counts JSON nesting on the raw bytes, without parsing, exactly."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from carnet.api.bodies import nesting_exceeds

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab,:', max_size=6),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(alphabet='[]{}"\\a', max_size=4), children, max_size=3)
    ),
    max_leaves=30,
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(document=_JSON, limit=st.integers(0, 12))
def test_the_count_is_the_parsed_depth(document: Any, limit: int) -> None:
    """Brackets inside strings (escaped quotes included) do not count; the bound is exact."""
    raw = json.dumps(document).encode()
    assert nesting_exceeds(raw, limit) == (_depth(document) > limit)


def test_a_deep_document_is_caught_in_time_whatever_comes_first() -> None:
    flat_then_deep = b"[" + b"[]," * 200_000 + b"[" * 100 + b"]" * 100 + b"]"
    assert nesting_exceeds(flat_then_deep, 64)
    assert not nesting_exceeds(b"[" + b"[]," * 200_000 + b"[]]", 64)
