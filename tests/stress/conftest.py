from __future__ import annotations

from tests.api.conftest import lab_oauth, lab_token, world  # noqa: F401  (shared fixtures)
