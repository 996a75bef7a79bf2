"""The per-request reads of a logged-in browser in plain SQL (issue 3, ``carnet.common.rawsql``):

* ``accounts.backends.AccountBackend.get_user``: the user, his person, his professional and that
  professional's access qualification in ONE statement, cached as ``select_related`` would (no later
  query); an inactive user or a tampered id is no user;
* the session engines ``carnet.accounts.sessions.db`` / ``cached_db``: the read is ONE ``SELECT``; expiry
  is judged on the injectable clock (invariant 6); a missing or expired session loads empty and drops its
  key, as Django's engines do; ``cached_db`` reads the cache first and a delete (logout, a revoked device,
  R-LC-12) removes both copies;
* ``api.resolvers.professional_of_user`` reuses the professional row the backend cached (0 queries).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from importlib import import_module
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carnet.access import services as access
from carnet.access.models import ProfessionalQualification, RelationKind
from carnet.accounts import services
from carnet.accounts.backends import BACKEND_PATH, AccountBackend, user_with_relations
from carnet.accounts.models import Device, Role, User
from carnet.api.resolvers import professional_of_user
from carnet.common import clock as carnet_clock
from carnet.common.actors import Actor, ActorKind
from carnet.identity.models import Person, Professional
from tests.common.test_rawsql import assert_same_row
from tests.factories import PatientUserFactory, ProfessionalFactory
from tests.records.helpers import make_world

from .conftest import login_fully, make_patient

pytestmark = pytest.mark.django_db

DB_ENGINE = "carnet.accounts.sessions.db"
CACHED_ENGINE = "carnet.accounts.sessions.cached_db"
OLD_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _professional_user(*, qualified: bool = True, active: bool = True) -> User:
    professional = ProfessionalFactory()
    if qualified:
        ProfessionalQualification.objects.create(
            professional=professional, is_samu_regulator=True, updated_at=carnet_clock.now()
        )
    return User.objects.create_user(
        username=f"pro-{professional.rpps}",
        password="x-Motdepasse-1234",
        role=Role.PROFESSIONAL,
        professional=professional,
        is_active=active,
    )


# --- the authentication backend -----------------------------------------------------------------------


def test_the_site_authenticates_with_the_one_statement_backend() -> None:
    assert settings.AUTHENTICATION_BACKENDS == [BACKEND_PATH]
    assert f"{AccountBackend.__module__}.{AccountBackend.__qualname__}" == BACKEND_PATH


def test_get_user_loads_a_professional_and_his_qualification_in_one_statement(
    django_assert_num_queries: Any,
) -> None:
    stored = _professional_user()
    with django_assert_num_queries(1):
        user = AccountBackend().get_user(stored.pk)
    assert user is not None
    assert_same_row(user, User.objects.get(pk=stored.pk))
    with django_assert_num_queries(0):
        professional = user.professional
        assert professional is not None
        assert professional.access_qualification.is_samu_regulator is True
        assert professional.account is user  # the reverse side, used by the gateway's identity check
        assert user.person is None
    assert_same_row(professional, Professional.objects.get(pk=stored.professional_id))
    assert_same_row(
        professional.access_qualification, ProfessionalQualification.objects.get(professional=professional)
    )


def test_a_professional_without_qualification_is_known_to_have_none(django_assert_num_queries: Any) -> None:
    stored = _professional_user(qualified=False)
    user = AccountBackend().get_user(stored.pk)
    assert user is not None and user.professional is not None
    with django_assert_num_queries(0):
        with pytest.raises(Professional.access_qualification.RelatedObjectDoesNotExist):
            user.professional.access_qualification  # noqa: B018 - the access is the test
        assert getattr(user.professional, "access_qualification", None) is None  # as the gateway reads it


def test_get_user_loads_a_patient_with_his_person_and_no_professional(django_assert_num_queries: Any) -> None:
    stored = PatientUserFactory()
    with django_assert_num_queries(1):
        user = AccountBackend().get_user(stored.pk)
    assert user is not None
    with django_assert_num_queries(0):
        assert user.professional is None
        person = user.person
        assert person is not None and person.account is user
    assert_same_row(user, User.objects.get(pk=stored.pk))
    assert_same_row(person, Person.objects.get(pk=stored.person_id))


def test_an_inactive_user_is_no_user() -> None:
    stored = _professional_user(active=False)
    assert user_with_relations(stored.pk) is not None  # the row is there...
    assert AccountBackend().get_user(stored.pk) is None  # ...but a deactivated account is logged out


@pytest.mark.parametrize(
    "garbage",
    [
        "abc",
        None,
        "",
        "1; DROP TABLE accounts_user",
        "1 OR 1=1",
        "1.5",
        "0x10",
        -1,
        0,
        "999999999",
        ["1"],
        {"id": 1},
    ],
)
def test_a_tampered_or_unknown_user_id_is_no_user(garbage: Any) -> None:
    PatientUserFactory()
    assert AccountBackend().get_user(garbage) is None
    assert User.objects.count() == 1


@pytest.mark.parametrize("huge", [2**63, str(2**63), -(2**63) - 1, str(10**30)])
def test_an_id_out_of_the_integer_range_is_no_user(huge: Any) -> None:
    """``ModelBackend.get_user`` answers ``None`` here (Django drops out-of-range integer lookups); the
    plain-SQL read must not turn it into a server error (SQLite's driver raises ``OverflowError``)."""
    assert AccountBackend().get_user(huge) is None


def test_a_login_through_the_site_then_an_api_call_works(django_capture_on_commit_callbacks: Any) -> None:
    """The login view stores the new backend path; the next requests load the user through it."""
    user = make_patient()
    http = Client()
    login_fully(http, django_capture_on_commit_callbacks, user)
    assert http.session[BACKEND_SESSION_KEY] == BACKEND_PATH
    assert http.session[SESSION_KEY] == str(user.pk)
    assert user.person is not None
    response = http.get(f"/api/patients/{user.person.public_id}/documents")
    assert response.status_code == 200, response.content
    assert response.json()["patient_id"] == str(user.person.public_id)


def test_a_professionals_api_read_loads_his_user_row_once(clock: Any) -> None:
    """Session → user (+ person, professional, qualification): one statement on ``accounts_user``, and
    the professional's directory row is not read again (``professional_of_user`` reuses it)."""
    world = make_world()
    access.care_relation_record(
        actor=Actor(ActorKind.PROFESSIONAL, world.gp.rpps, label="gp"),
        patient_id=world.patient.pk,
        kind=RelationKind.EXPLICIT,
    )
    http = Client()
    http.force_login(User.objects.create_user(username="gp", role=Role.PROFESSIONAL, professional=world.gp))
    url = f"/api/patients/{world.patient.public_id}/documents"
    assert http.get(url).status_code == 200  # first access (R-AC-14)
    with CaptureQueriesContext(connection) as captured:
        assert http.get(url).status_code == 200
    sql = [q["sql"] for q in captured.captured_queries]
    users = [s for s in sql if 'FROM "accounts_user"' in s]
    assert len(users) == 1 and 'JOIN "access_professionalqualification"' in users[0]
    assert not any('FROM "identity_professional"' in s for s in sql)


def test_a_session_of_the_old_backend_path_is_anonymous() -> None:
    """Sessions written before this change name ``django.contrib.auth.backends.ModelBackend``, which is no
    longer in ``AUTHENTICATION_BACKENDS``: Django then treats them as anonymous (``auth.get_user``), so
    deploying the change logs every user out once (they log in again; sessions last 30 idle minutes)."""
    user = make_patient()
    http = Client()
    http.force_login(user, backend=OLD_BACKEND)
    assert http.session[BACKEND_SESSION_KEY] == OLD_BACKEND
    assert user.person is not None
    assert http.get(f"/api/patients/{user.person.public_id}/documents").status_code == 401
    response = http.get(reverse("spaces:home"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    fresh = Client()
    fresh.force_login(user)  # the default backend is the new one
    assert fresh.get(reverse("spaces:home")).status_code == 200


# --- professional_of_user reuses the backend's row --------------------------------------------------------


def test_professional_of_user_reuses_the_row_the_backend_loaded(django_assert_num_queries: Any) -> None:
    stored = _professional_user()
    user = AccountBackend().get_user(stored.pk)
    assert user is not None
    with django_assert_num_queries(0):
        professional = professional_of_user(user)
    assert professional is not None and professional is user.professional


@pytest.mark.parametrize("qualified", [True, False])
def test_professional_of_user_reads_once_when_the_row_is_not_cached(
    qualified: bool, django_assert_num_queries: Any
) -> None:
    """A user loaded elsewhere (or with his professional but not the qualification): one ORM read."""
    stored = _professional_user(qualified=qualified)
    for user in (
        User.objects.get(pk=stored.pk),
        User.objects.select_related("professional").get(pk=stored.pk),
    ):
        with django_assert_num_queries(1):
            professional = professional_of_user(user)
        assert professional is not None and professional.pk == stored.professional_id
        with django_assert_num_queries(0):
            assert user.professional is professional and professional.account is user
            assert (getattr(professional, "access_qualification", None) is not None) is qualified


def test_professional_of_user_is_none_for_a_patient_without_a_query(django_assert_num_queries: Any) -> None:
    user = AccountBackend().get_user(PatientUserFactory().pk)
    with django_assert_num_queries(0):
        assert professional_of_user(user) is None
        assert professional_of_user(None) is None


# --- settings ---------------------------------------------------------------------------------------------


def _settings_value(name: str, data_dir: Any, **environ: str) -> str:
    """A setting as a fresh process computes it from ``environ`` (settings are read once, at import)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARNET_CACHE", "CARNET_SESSION"))}
    env.update(environ, DJANGO_SETTINGS_MODULE="carnet.config.settings", CARNET_DATA_DIR=str(data_dir))
    result = subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings; print(settings.{name})"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("environ", "engine"),
    [
        ({}, DB_ENGINE),  # embedded default: a per-process cache cannot carry a logout to other processes
        ({"CARNET_CACHE_URL": "redis://127.0.0.1:6379/1"}, CACHED_ENGINE),  # a shared cache
        ({"CARNET_CACHE_URL": "redis://127.0.0.1:6379/1", "CARNET_SESSION_ENGINE": DB_ENGINE}, DB_ENGINE),
    ],
)
def test_the_session_engine_follows_the_cache_setting(
    environ: dict[str, str], engine: str, tmp_path: Any
) -> None:
    assert _settings_value("SESSION_ENGINE", tmp_path, **environ) == engine


# --- session engines --------------------------------------------------------------------------------------


def _store(engine: str, key: str | None = None) -> Any:
    return import_module(engine).SessionStore(session_key=key)


def _save(engine: str, *, minutes: int = 30, **data: Any) -> str:
    """A session expiring ``minutes`` after the injectable clock's now (the system time unless frozen)."""
    store = _store(engine)
    store.update(data)
    store.set_expiry(carnet_clock.now() + timedelta(minutes=minutes))
    store.save()
    assert store.session_key is not None
    return str(store.session_key)


@pytest.fixture(params=[DB_ENGINE, CACHED_ENGINE])
def engine(request: Any, settings: Any) -> str:
    settings.SESSION_ENGINE = request.param
    return str(request.param)


def _cache_drop(key: str) -> None:
    caches[settings.SESSION_CACHE_ALIAS].delete(KEY_PREFIX + key)


def test_a_saved_session_loads_with_one_select(engine: str) -> None:
    key = _save(engine, carnet_device=7, name="l'été %s")
    _cache_drop(key)  # cached_db: the database read is what is measured
    store = _store(engine, key)
    with CaptureQueriesContext(connection) as captured:
        data = store.load()
    assert data["carnet_device"] == 7 and data["name"] == "l'été %s"
    assert store.session_key == key
    sql = [q["sql"] for q in captured.captured_queries]
    assert len(sql) == 1 and sql[0].startswith("SELECT") and '"django_session"' in sql[0]


def test_expiry_is_judged_on_the_injectable_clock(engine: str, clock: Any) -> None:
    """Invariant 6: the clock is frozen on 2026-01-05, months before the system time, so a session whose
    expiry is already past on the system clock still loads until the injectable clock reaches it."""
    assert timezone.now() > clock.now() + timedelta(minutes=30)  # the expiry below is past for the system
    key = _save(engine, minutes=30, marker=1)
    clock.advance(minutes=29)
    _cache_drop(key)
    assert _store(engine, key).load()["marker"] == 1
    clock.advance(minutes=1)  # exactly the expiry instant: expired (expire_date > now)
    _cache_drop(key)
    store = _store(engine, key)
    assert store.load() == {}
    assert store.session_key is None  # the key is dropped: a new one is issued on save


def test_an_expired_session_loads_empty_and_drops_its_key(engine: str, clock: Any) -> None:
    """Django's contract: the expired session is not returned, and the store forgets its key."""
    key = _save(engine, minutes=30, carnet_device=1)
    clock.advance(minutes=31)
    _cache_drop(key)
    store = _store(engine, key)
    with CaptureQueriesContext(connection) as captured:
        assert store.load() == {}
    assert store.session_key is None
    assert len(captured.captured_queries) == 1
    assert Session.objects.filter(pk=key).exists()  # as Django: expired rows go with clearsessions


@pytest.mark.filterwarnings("ignore::django.core.cache.backends.base.CacheKeyWarning")  # memcached only
@pytest.mark.parametrize("key", ["z" * 32, "x' OR '1'='1", "%s%s%s%s", "k'; DELETE FROM django_session; --"])
def test_an_unknown_or_hostile_key_loads_empty(engine: str, key: str) -> None:
    other = _save(engine, carnet_device=1)
    store = _store(engine, key)
    assert store.load() == {}
    assert store.session_key is None
    assert Session.objects.filter(pk=other).exists()


def test_an_invalid_key_is_not_even_looked_up(settings: Any, django_assert_num_queries: Any) -> None:
    """Django refuses keys shorter than 8 characters before any read (``db``; ``cached_db`` first makes
    up a fresh key for its cache lookup, then misses it, as Django's own engine does)."""
    settings.SESSION_ENGINE = DB_ENGINE
    store = _store(DB_ENGINE, "short")
    with django_assert_num_queries(0):
        assert store.load() == {}
    assert store.session_key is None


def test_cached_db_reads_the_cache_first(settings: Any, django_assert_num_queries: Any) -> None:
    settings.SESSION_ENGINE = CACHED_ENGINE
    key = _save(CACHED_ENGINE, carnet_device=3)
    with django_assert_num_queries(0):  # written through to the cache on save
        assert _store(CACHED_ENGINE, key).load()["carnet_device"] == 3
    _cache_drop(key)
    with django_assert_num_queries(1):  # a miss reads the database once and fills the cache
        assert _store(CACHED_ENGINE, key).load()["carnet_device"] == 3
    with django_assert_num_queries(0):
        assert _store(CACHED_ENGINE, key).load()["carnet_device"] == 3


def test_cached_db_delete_removes_the_cache_and_the_row(settings: Any) -> None:
    settings.SESSION_ENGINE = CACHED_ENGINE
    key = _save(CACHED_ENGINE, carnet_device=3)
    cache = caches[settings.SESSION_CACHE_ALIAS]
    assert KEY_PREFIX + key in cache and Session.objects.filter(pk=key).exists()
    _store(CACHED_ENGINE, key).delete()
    assert KEY_PREFIX + key not in cache
    assert not Session.objects.filter(pk=key).exists()
    assert _store(CACHED_ENGINE, key).load() == {}


def test_a_revoked_devices_session_is_gone_from_cache_and_database_R_LC_12(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SESSION_ENGINE = CACHED_ENGINE
    user = make_patient()
    browser = Client()  # created after the setting: its session middleware uses cached_db
    login_fully(browser, django_capture_on_commit_callbacks, user)
    assert browser.get(reverse("spaces:home")).status_code == 200
    device = Device.objects.get(user=user)
    key = device.session_key
    cache = caches[settings.SESSION_CACHE_ALIAS]
    assert key and KEY_PREFIX + key in cache and Session.objects.filter(pk=key).exists()
    services.device_revoke(user=user, device=device)
    assert KEY_PREFIX + key not in cache
    assert not Session.objects.filter(pk=key).exists()
    response = browser.get(reverse("spaces:home"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_a_login_and_logout_work_with_cached_sessions(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SESSION_ENGINE = CACHED_ENGINE
    user = make_patient()
    browser = Client()
    login_fully(browser, django_capture_on_commit_callbacks, user)
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    assert browser.get(reverse("spaces:home")).status_code == 200
    browser.post(reverse("accounts:logout"))
    assert KEY_PREFIX + key not in caches[settings.SESSION_CACHE_ALIAS]
    assert not Session.objects.filter(pk=key).exists()
    assert browser.get(reverse("spaces:home")).status_code == 302


def test_the_idle_expiry_is_set_and_judged_on_the_same_clock(engine: str, clock: Any) -> None:
    """Invariant 6 / ``SESSION_COOKIE_AGE``: a session saved with the default idle expiry loads until 30
    minutes later on the injectable clock and not after. The read judges on ``clock.now()``, so the
    write must compute ``expire_date`` (and ``cached_db``'s cache lifetime) from it too; with Django's
    ``timezone.now()`` on the write side, a clock moved away from the system time makes sessions
    immortal (clock behind) or dead on arrival (clock ahead)."""
    store = _store(engine)
    store["marker"] = 1
    store.save()
    key = str(store.session_key)
    clock.advance(seconds=settings.SESSION_COOKIE_AGE - 60)
    _cache_drop(key)
    assert _store(engine, key).load().get("marker") == 1
    clock.advance(seconds=61)
    _cache_drop(key)
    assert _store(engine, key).load() == {}
