from __future__ import annotations

from typing import Any

import pytest

from tests.records.helpers import World, make_world


@pytest.fixture
def world(db: Any, clock: Any) -> World:
    return make_world()
