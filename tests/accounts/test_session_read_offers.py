"""The session read of an enrolled browser brings its device and its user (issue 3, ``carnet.accounts.sessions``).

A completed login enrols the browser as a ``Device`` holding the session key (R-LC-12). The session's one
``SELECT`` joins that device and that device's user (+ person, professional, qualification), so an
authenticated request costs one statement before the view instead of three. What it brings is only an
*offer*: ``AccountBackend.get_user`` takes the user only when it is the user the session names, and
``DeviceMiddleware`` takes the device only when it is the device the session names and it belongs to that
user. Django's own checks (backend path, session hash against the password, ``is_active``) still run.
These tests pin both halves: the saving on the normal path, and that no offer can ever authenticate the
request as anyone but the session's user.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from carnet.accounts import backends
from carnet.accounts.backends import BACKEND_PATH, AccountBackend, get_user
from carnet.accounts.middleware import DEVICE_SESSION_KEY
from carnet.accounts.models import Device, User
from carnet.common import clock as carnet_clock

from .conftest import login_fully, make_patient

pytestmark = pytest.mark.django_db


def _sql(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries]


def _home(user: User) -> str:
    assert user.person is not None
    return f"/api/patients/{user.person.public_id}/documents"


def _logged_in(capture: Any, username: str = "claire.dupont", **person: Any) -> tuple[Client, User]:
    user = make_patient(username, **person)
    http = Client()
    login_fully(http, capture, user)
    assert http.session[DEVICE_SESSION_KEY] == Device.objects.get(user=user).pk
    return http, user


def test_the_engine_is_the_one_with_the_joined_read() -> None:
    assert settings.SESSION_ENGINE.startswith("carnet.accounts.sessions.")
    assert "carnet.accounts.middleware.AuthenticationMiddleware" in settings.MIDDLEWARE
    assert "django.contrib.auth.middleware.AuthenticationMiddleware" not in settings.MIDDLEWARE


def test_an_enrolled_browser_is_authenticated_by_the_session_read_alone(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Session, device (R-LC-12) and user in ONE statement: no separate read of the user or the device."""
    http, user = _logged_in(django_capture_on_commit_callbacks)
    assert http.get(_home(user)).status_code == 200  # settles last_seen / the session refresh
    with CaptureQueriesContext(connection) as captured:
        response = http.get(_home(user))
    assert response.status_code == 200 and response.json()["patient_id"] == str(user.person.public_id)
    sql = _sql(captured)
    sessions = [s for s in sql if 'FROM "django_session"' in s]
    assert len(sessions) == 1
    assert 'JOIN "accounts_device"' in sessions[0] and 'JOIN "accounts_user"' in sessions[0]
    assert not any('FROM "accounts_user"' in s for s in sql)
    assert not any('FROM "accounts_device"' in s for s in sql)


def test_without_a_device_the_user_is_read_by_id(django_assert_num_queries: Any) -> None:
    """``force_login`` (no device): the session read offers nothing; the user costs its own statement."""
    user = make_patient()
    http = Client()
    http.force_login(user)
    http.get(reverse("spaces:home"))
    with CaptureQueriesContext(connection) as captured:
        assert http.get(_home(user)).status_code == 200
    assert sum('FROM "accounts_user"' in s for s in _sql(captured)) == 1


def test_a_revoked_device_found_by_the_session_read_logs_out_R_LC_12(
    django_capture_on_commit_callbacks: Any,
) -> None:
    http, user = _logged_in(django_capture_on_commit_callbacks)
    Device.objects.filter(user=user).update(revoked_at=carnet_clock.now())
    assert http.get(_home(user)).status_code == 401
    assert SESSION_KEY not in http.session


def test_a_password_changed_elsewhere_ends_the_session(django_capture_on_commit_callbacks: Any) -> None:
    """Django's session hash is still checked against the (offered) user's current password."""
    http, user = _logged_in(django_capture_on_commit_callbacks)
    user.set_password("Un-autre-motdepasse-5678")
    user.save(update_fields=["password"])
    assert http.get(_home(user)).status_code == 401


def test_a_deactivated_user_is_no_user_even_when_offered(django_capture_on_commit_callbacks: Any) -> None:
    http, user = _logged_in(django_capture_on_commit_callbacks)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert http.get(_home(user)).status_code == 401


def test_a_device_of_another_user_holding_the_key_never_authenticates_as_him(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The row holding the session key says user B; the session says user A. The request is never B's:
    the backend reads A by id, the device is not A's, so the session ends (as an unknown device would)."""
    http, alice = _logged_in(django_capture_on_commit_callbacks)
    bob = make_patient("bob.martin", birth_name="MARTIN")
    Device.objects.filter(user=alice).update(user=bob)
    key = http.cookies[settings.SESSION_COOKIE_NAME].value
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    store.load()
    assert store.prefetched_user is not None and store.prefetched_user.pk == bob.pk  # offered...
    response = http.get(_home(bob))
    assert response.status_code == 401  # ...never taken
    assert http.get(_home(alice)).status_code == 401  # and A's session is over


def test_two_devices_on_one_key_offer_nothing(django_capture_on_commit_callbacks: Any) -> None:
    http, user = _logged_in(django_capture_on_commit_callbacks)
    device = Device.objects.get(user=user)
    now = carnet_clock.now()
    Device.objects.create(
        user=user, label="copie", session_key=device.session_key, created_at=now, last_seen_at=now
    )
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=device.session_key)
    assert store.load()[SESSION_KEY] == str(user.pk)
    assert store.prefetched_device is None and store.prefetched_user is None
    with CaptureQueriesContext(connection) as captured:
        assert http.get(_home(user)).status_code == 200  # still the right user, read by id
    sql = _sql(captured)
    assert sum('FROM "accounts_user"' in s for s in sql) == 1
    assert sum('FROM "accounts_device"' in s for s in sql) == 1


# --- the backend side, without HTTP ---------------------------------------------------------------------


def _request_for(user: User, offered: User | None) -> Any:
    """A request whose (unsaved, already loaded) session names ``user`` and offers ``offered``."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = BACKEND_PATH
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.prefetched_user = offered
    request = RequestFactory().get("/")
    request.session = store
    return request


def test_the_offered_user_costs_no_statement(django_assert_num_queries: Any) -> None:
    user = make_patient()
    offered = backends.user_with_relations(user.pk)
    with django_assert_num_queries(0):
        found = get_user(_request_for(user, offered))
    assert found is offered


def test_an_offer_for_another_user_is_ignored() -> None:
    alice = make_patient()
    bob = make_patient("bob.martin", birth_name="MARTIN")
    found = get_user(_request_for(alice, backends.user_with_relations(bob.pk)))
    assert found.pk == alice.pk


def test_the_offer_does_not_outlive_the_call(django_assert_num_queries: Any) -> None:
    user = make_patient()
    get_user(_request_for(user, backends.user_with_relations(user.pk)))
    assert backends._OFFERED.get() is None
    with django_assert_num_queries(1):  # a bare backend call outside get_user(request) reads by id
        assert AccountBackend().get_user(user.pk) is not None


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    session_names=st.sampled_from(["alice", "bob", "nobody"]),
    offered=st.sampled_from(["alice", "bob", "none", "stranger-object"]),
    hash_ok=st.booleans(),
)
def test_property_the_user_is_the_sessions_or_nobody(
    users: dict[str, User], session_names: str, offered: str, hash_ok: bool
) -> None:
    """Whatever the session read offers, ``get_user`` returns the user the session names (with a valid
    hash) or an anonymous user: never the offered user in place of another."""
    request = RequestFactory().get("/")
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    named = users.get(session_names)
    store[SESSION_KEY] = str(named.pk) if named else "999999"
    store[BACKEND_SESSION_KEY] = BACKEND_PATH
    if named is not None:
        store[HASH_SESSION_KEY] = named.get_session_auth_hash() if hash_ok else "0" * 64
    store.prefetched_user = (
        backends.user_with_relations(users[offered].pk)
        if offered in users
        else (object() if offered != "none" else None)
    )
    request.session = store
    found = get_user(request)
    if named is not None and hash_ok:
        assert found.pk == named.pk
    else:
        assert not found.is_authenticated


@pytest.fixture
def users() -> dict[str, User]:
    return {"alice": make_patient(), "bob": make_patient("bob.martin", birth_name="MARTIN")}
