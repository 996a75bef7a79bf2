"""The database down, black-holed or read-only: 503 with ``Retry-After`` in the client's format, never
Django's HTML 500; a database *bug* (IntegrityError, a missing table) stays a 500 and is logged.

Down and black-holed are real faults: a Carnet server in a subprocess configured with a PostgreSQL URL
on a closed port / on a port that accepts and never answers (an SQLite file that cannot be opened is
classified from the driver's own error).
Read-only is the real driver error too: the test database switched to read-only (SQLite
``PRAGMA query_only``, PostgreSQL ``SET TRANSACTION READ ONLY`` — what ``default_transaction_read_only``
or a hot standby gives), then a write through the pages, the JSON API and FHIR.
See docs/subsystems/security.md ("Database unavailable").
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import include, path

from carnet.backoffice.models import SupportRequest
from carnet.common.unavailable import unavailability
from carnet.identity.models import Person
from tests.factories import HealthSpaceFactory, OrganisationFactory
from tests.security.servers import Server, black_hole, closed_port, start

SESSION_COOKIE = "sessionid=" + "k" * 32  # any session key: reading it needs the database


def _assert_no_internals(body: str) -> None:
    for leak in ("Traceback", "OperationalError", "psycopg", "sqlite", "Server Error (500)", "127.0.0.1"):
        assert leak not in body, leak


def _assert_api_503(response: Any, *, code: str = "unavailable") -> None:
    assert response.status == 503, response.body
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["retry-after"] == "17"
    assert "no-store" in response.headers["cache-control"]
    body = json.loads(response.body)
    assert body["code"] == code and body["field"] is None and "Réessayez" in body["message"]
    _assert_no_internals(response.body)


def _assert_fhir_503(response: Any) -> None:
    assert response.status == 503, response.body
    assert response.headers["content-type"].startswith("application/fhir+json")
    assert response.headers["retry-after"] == "17"
    outcome = json.loads(response.body)
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "transient" and outcome["issue"][0]["severity"] == "error"
    _assert_no_internals(response.body)


def _assert_page_503(response: Any) -> None:
    assert response.status == 503, response.body
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["retry-after"] == "17"
    assert "no-store" in response.headers["cache-control"]
    assert "Service momentanément indisponible" in response.body
    assert "Service temporarily unavailable" in response.body and 'lang="en"' in response.body
    assert "dsfr.min.css" in response.body  # DSFR-styled, from our own static files
    assert "Content-Security-Policy" in str(response.headers) or "content-security-policy" in response.headers
    _assert_no_internals(response.body)


def _walk(server: Server) -> None:
    """The four paths a request can take to the database, each answered in its client's format."""
    bearer = {"Authorization": "Bearer " + "t" * 40}
    patient = uuid.uuid4()
    # A view reads the database (the bearer token): DatabaseUnavailableMiddleware.process_exception.
    _assert_api_503(server.request(f"/api/patients/{patient}/documents", headers=bearer))
    _assert_fhir_503(server.request(f"/fhir/DocumentReference?patient={patient}", headers=bearer))
    # A middleware reads the database (the session): handler500 (carnet.common.unavailable.server_error).
    _assert_page_503(server.request("/", headers={"Cookie": SESSION_COOKIE}))
    _assert_api_503(server.request(f"/api/patients/{patient}/documents", headers={"Cookie": SESSION_COOKIE}))
    english = server.request(
        "/fhir/DocumentReference", headers={**bearer, "Accept-Language": "en"}
    )  # messages follow the client's language
    _assert_fhir_503(english)
    assert "try again" in json.loads(english.body)["issue"][0]["diagnostics"]


def _read_only_url() -> str | None:
    """On a PostgreSQL run: this run's test database, every session ``default_transaction_read_only``."""
    if connection.vendor != "postgresql":
        return None
    db = connection.settings_dict
    options = quote("-c default_transaction_read_only=on")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return (
        f"postgres://{quote(db['USER'])}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
        f"{db['NAME']}?options={options}"
    )


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, django_db_setup: None) -> Iterator[dict[str, Server]]:
    """Servers started side by side (their start-up dominates): PostgreSQL on a closed port and on a port
    that accepts and never answers; on a PostgreSQL run, also this run's test database made read-only by
    ``default_transaction_read_only`` (what an operator sets for a maintenance, or a hot standby gives)."""
    tmp = tmp_path_factory.mktemp("db-down")
    read_only = _read_only_url()
    with black_hole() as silent, closed_port() as closed:
        started = {
            "closed": start(
                tmp / "closed",
                CARNET_DATABASE_URL=f"postgres://carnet@127.0.0.1:{closed}/carnet",
                CARNET_RETRY_AFTER_SECONDS="17",
            ),
            "black-hole": start(
                tmp / "black-hole",
                CARNET_DATABASE_URL=f"postgres://carnet@127.0.0.1:{silent}/carnet",
                CARNET_DB_CONNECT_TIMEOUT="2",
                CARNET_RETRY_AFTER_SECONDS="17",
            ),
        }
        if read_only is not None:
            started["read-only"] = start(
                tmp / "read-only", CARNET_DATABASE_URL=read_only, CARNET_RETRY_AFTER_SECONDS="17"
            )
        try:
            for server in started.values():
                server.wait_ready()
            yield started
        finally:
            for server in started.values():
                server.stop()


@pytest.mark.django_db(databases=[])
def test_postgresql_on_a_closed_port_answers_503_in_each_clients_format(servers: dict[str, Server]) -> None:
    server = servers["closed"]
    _walk(server)
    log = server.log()
    assert "database unavailable: OperationalError" in log  # our line: class and path only
    assert "Service Unavailable: /" in log  # Django's line for the middleware path


@pytest.mark.django_db(databases=[])
def test_postgresql_that_accepts_and_never_answers_fails_within_the_connect_timeout(
    servers: dict[str, Server],
) -> None:
    """Without ``connect_timeout`` libpq waits forever: every request would hang."""
    page = servers["black-hole"].request("/", headers={"Cookie": SESSION_COOKIE})
    _assert_page_503(page)
    assert page.seconds < 8


@pytest.mark.django_db(databases=[])
def test_an_sqlite_file_that_cannot_be_opened_is_unavailable(tmp_path: Path) -> None:
    """The real driver error (``SQLITE_CANTOPEN``: the volume is gone), wrapped as Django wraps it."""
    with pytest.raises(sqlite3.OperationalError) as refused:
        sqlite3.connect(tmp_path / "unmounted" / "volume" / "carnet.sqlite3")
    wrapped = OperationalError(*refused.value.args)
    wrapped.__cause__ = refused.value
    assert unavailability(wrapped) == "unavailable"


# --- read-only ---------------------------------------------------------------------------------------


@pytest.mark.django_db(databases=[])
def test_postgresql_with_default_transaction_read_only_answers_503_to_a_form_post(
    servers: dict[str, Server],
) -> None:
    if "read-only" not in servers:
        pytest.skip("PostgreSQL runs only; SQLite's read-only error is exercised below (PRAGMA query_only)")
    server = servers["read-only"]
    form = server.request("/aide/")
    assert form.status == 200  # reads work
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.body)
    cookie = re.search(r"csrftoken=([^;]+)", form.headers.get("set-cookie", ""))
    assert token is not None and cookie is not None
    body = urlencode(
        {"category": "LOGIN", "contact_email": "aide@example.org", "csrfmiddlewaretoken": token.group(1)}
    )
    post = server.request(
        "/aide/",
        method="POST",
        headers={
            "Cookie": f"csrftoken={cookie.group(1)}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        body=body.encode(),
    )
    assert post.status == 503, post.body[:300]
    assert post.headers["retry-after"] == "17"
    assert "lecture seule" in post.body and "read-only" in post.body
    _assert_no_internals(post.body)
    assert "database read-only: ReadOnlySqlTransaction 25006 on POST /aide/" in server.log()


@pytest.fixture
def read_only_database(db: None) -> Iterator[None]:
    """This test's database refuses writes with the driver's own read-only error."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA query_only = ON")
        else:
            # Run the foreign-key checks deferred so far (the rows the fixtures made) now: the test case's
            # own check at teardown could not run them in a read-only transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute("SET TRANSACTION READ ONLY")
    try:
        yield
    finally:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA query_only = OFF")


@pytest.fixture
def retry_after(settings: Any) -> None:
    settings.CARNET_RETRY_AFTER_SECONDS = 17


def test_a_write_to_a_read_only_database_answers_503_on_a_page(
    read_only_database: None, retry_after: None
) -> None:
    browser = Client(raise_request_exception=False)
    assert browser.get("/aide/").status_code == 200  # reads still work
    response = browser.post("/aide/", {"category": "LOGIN", "contact_email": "aide@example.org"})
    assert response.status_code == 503
    assert response["Retry-After"] == "17"
    html = response.content.decode()
    assert "lecture seule" in html and "read-only" in html
    _assert_no_internals(html)


@pytest.fixture
def bearer(db: None) -> dict[str, str]:
    """A valid token of an establishment's software, issued while the database could still write."""
    from carnet.api.services import api_client_create, token_issue

    client, secret = api_client_create(organisation=OrganisationFactory(), name="SIH")
    token, _row = token_issue(
        grant_type="client_credentials", client_id=client.client_id, client_secret=secret
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_a_write_to_a_read_only_database_answers_503_on_the_api(
    bearer: dict[str, str], read_only_database: None, retry_after: None
) -> None:
    """Issuing a token writes it (and its trace): JSON 503 whose ``code`` says read-only."""
    response = Client(raise_request_exception=False).post(
        "/api/oauth/token", {"grant_type": "client_credentials", "client_id": "sih", "client_secret": "x"}
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "17" and response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "read_only"


@pytest.fixture
def person(db: None) -> Person:
    return HealthSpaceFactory().person


def test_a_traced_read_on_a_read_only_database_answers_503_on_fhir(
    bearer: dict[str, str], person: Person, read_only_database: None, retry_after: None
) -> None:
    """Every FHIR read is traced in its transaction (invariant 2): no trace, no read — a 503, not a 500."""
    response = Client(raise_request_exception=False).get(
        f"/fhir/DocumentReference?patient={person.public_id}", **bearer
    )
    assert response.status_code == 503, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    assert response.json()["issue"][0]["code"] == "transient"
    assert not SupportRequest.objects.exists()


# --- bugs stay bugs ------------------------------------------------------------------------------------


def _duplicate_key(request: HttpRequest) -> HttpResponse:
    with transaction.atomic():
        SupportRequest.objects.create(category="LOGIN", contact_email="a@example.org", pk=1)
    SupportRequest.objects.create(category="LOGIN", contact_email="a@example.org", pk=1)
    return HttpResponse("unreachable")


def _missing_table(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM carnet_no_such_table")
    return HttpResponse("unreachable")


urlpatterns = [
    path("bug/duplicate/", _duplicate_key),
    path("bug/missing-table/", _missing_table),
    path("", include("carnet.config.urls")),
]


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize("url", ["/bug/duplicate/", "/bug/missing-table/"])
def test_a_database_bug_stays_a_logged_500(db: None, url: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = Client(raise_request_exception=False).get(url)
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert any(r.levelno == logging.ERROR and r.exc_info for r in caplog.records)


def test_the_classifier_tells_bugs_from_an_unavailable_database(db: None) -> None:
    """Real driver errors: a duplicate key and a missing table (an ``OperationalError`` on SQLite!) are
    bugs; the same database switched to read-only is "read_only"."""
    with pytest.raises(IntegrityError) as duplicate, transaction.atomic(), connection.cursor() as cursor:
        for _ in range(2):
            cursor.execute(
                "INSERT INTO django_session (session_key, session_data, expire_date) VALUES (%s, %s, %s)",
                ["same-key-twice", "", "2030-01-01 00:00:00+00:00"],
            )
    assert unavailability(duplicate.value) is None
    with pytest.raises(DatabaseError) as missing, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT * FROM carnet_no_such_table")
    assert unavailability(missing.value) is None
    with pytest.raises(DatabaseError) as read_only, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "PRAGMA query_only = ON" if connection.vendor == "sqlite" else "SET TRANSACTION READ ONLY"
        )
        try:
            cursor.execute("DELETE FROM django_session")
        finally:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA query_only = OFF")
    assert unavailability(read_only.value) == "read_only"
