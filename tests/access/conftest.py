"""The access policy is pure Python: its tests need neither the database nor per-test settings."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_settings() -> None:
    """Overrides the project-wide fixture (settings + tmp_path per test): nothing here touches Django."""
