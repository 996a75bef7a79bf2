from __future__ import annotations

import pytest

from carnet.accounts.models import Role, User

from .helpers import make_user


@pytest.fixture
def operator(db) -> User:  # type: ignore[no-untyped-def]
    return make_user(Role.OPERATOR)


@pytest.fixture
def patient(db) -> User:  # type: ignore[no-untyped-def]
    return make_user(Role.PATIENT)


@pytest.fixture
def professional(db) -> User:  # type: ignore[no-untyped-def]
    return make_user(Role.PROFESSIONAL)


@pytest.fixture
def operator_client(client, operator):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    return client
