from tests.summary.conftest import filled  # noqa: F401  (a patient whose profile is filled)
