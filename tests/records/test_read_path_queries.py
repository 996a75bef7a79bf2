"""The professional's read path (JSON API list + open) in a fixed, small number of SQL statements
(issue 3: bench/read_documents.py), without weakening invariants 1-2: every read is decided by the
policy and traced in the SAME transaction, denied reads are traced too, and missing and forbidden
documents answer the same 404 (R-AC-4, R-TR-1).

Counts are for the steady state: the (professional, patient) pair has been read once (first access
recorded, R-AC-14) and the session was refreshed less than a minute ago. Under pytest the read's
transaction is a savepoint (``SAVEPOINT`` + ``RELEASE``, counted below); in production it is ``BEGIN`` +
``COMMIT``: ONE commit per read, the session is not rewritten.

Statements of a list: session, user (+ person, professional, qualification: one JOIN), patient (+ space);
in the read's transaction: emergency settings + standings (blocks) + consents (one statement), documents
(+ authors, replaced version, blob), and the trace ``INSERT`` with its row in the transparency log's queue
(one ``WITH ... INSERT ... INSERT`` statement on PostgreSQL, two on SQLite; no chain head to lock any more
since ADR 0007). The hot statements are plain
SQL (``carnet.common.rawsql``), which is what made the read cheap (bench/README.md). A browser enrolled by
a real login (a ``Device``, R-LC-12) reads in one statement less: its session's statement also brings the
device and the user (``carnet.accounts.sessions``).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from carnet.access import gateway
from carnet.access import services as access
from carnet.access.models import RelationKind
from carnet.accounts import services as account_services
from carnet.accounts.middleware import DEVICE_SESSION_KEY, SESSION_REFRESH_KEY
from carnet.accounts.models import User
from carnet.audit.models import LogQueue, Trace
from carnet.audit.services import trace
from carnet.common.actors import Actor, ActorKind
from carnet.spaces.models import HealthSpace, SpaceStatus
from tests.api.conftest import professional_client
from tests.records.helpers import World, deposit_pdf, pro_actor, traces


# Steady state, under pytest (savepoint counted as 2 statements). The transparency log (ADR 0007) took
# one statement off each read: the chain head's ``SELECT ... FOR UPDATE`` (was 9 / 10).
def _read_queries() -> int:
    return 8 if connection.vendor == "postgresql" else 9


# The same for a browser enrolled by a completed login (every real session, R-LC-12): the session read
# also brings the device and the user (carnet.accounts.sessions), one statement instead of three.
def _enrolled_read_queries() -> int:
    return _read_queries() - 1


def _enrolled_client(professional: Any) -> Client:
    """A professional's browser as after the real two-factor login: its session names its Device."""
    http = professional_client(professional)
    key = http.cookies[settings.SESSION_COOKIE_NAME].value
    user = User.objects.get(professional=professional)
    device = account_services.login_complete(user=user, session_key=key, user_agent="Firefox/140")
    session = http.session
    session[DEVICE_SESSION_KEY] = device.pk
    session.save()
    return http


def _consent(world: World, *pros: Any) -> None:
    for pro in pros:
        access.care_relation_record(
            actor=pro_actor(pro), patient_id=world.patient.pk, kind=RelationKind.EXPLICIT
        )


def _list_url(world: World) -> str:
    return f"/api/patients/{world.patient.public_id}/documents"


def _warm(world: World, http: Client) -> None:
    """First access (R-AC-14 e-mail queued, standing row written) and first session refresh."""
    assert http.get(_list_url(world)).status_code == 200


def _sql(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries]


def test_professional_lists_a_record_in_a_fixed_number_of_queries(
    world: World, django_assert_num_queries: Any
) -> None:
    """Issue 3 / R-AC-14 (steady state): 11 statements + the read's transaction."""
    _consent(world, world.gp)
    deposit_pdf(world, world.gp)
    http = professional_client(world.gp)
    _warm(world, http)
    with django_assert_num_queries(_read_queries()):
        response = http.get(_list_url(world))
    assert response.status_code == 200 and response.json()["count"] == 1


@pytest.mark.parametrize("what", ["list", "open"])
def test_an_enrolled_browser_reads_in_one_statement_less(
    world: World, what: str, django_assert_num_queries: Any
) -> None:
    """Session + device (R-LC-12) + user in the session's ONE statement: the device check costs nothing
    more and the user no statement of his own."""
    _consent(world, world.gp)
    doc = deposit_pdf(world, world.gp)
    http = _enrolled_client(world.gp)
    _warm(world, http)
    url = _list_url(world) + (f"/{doc.public_id}" if what == "open" else "")
    with django_assert_num_queries(_enrolled_read_queries()) as captured:
        response = http.get(url)
    assert response.status_code == 200
    sql = _sql(captured)
    assert 'JOIN "accounts_device"' in sql[0] and 'JOIN "accounts_user"' in sql[0]
    assert not any('FROM "accounts_user"' in q or 'FROM "accounts_device"' in q for q in sql)


def test_on_postgresql_the_read_paths_statements_are_prepared_once_per_connection(world: World) -> None:
    """Most of PostgreSQL's CPU per read was parsing and planning (bench/README.md, fourth pass): with
    server-side binding and psycopg's prepare_threshold (the default on PostgreSQL, settings), every hot
    statement of a read becomes a prepared statement of the connection after a few reads. A read
    repeated past that threshold adds no new prepared statement: its text is stable."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are a PostgreSQL connection setting")
    assert connection.settings_dict["OPTIONS"]["server_side_binding"] is True
    _consent(world, world.gp)
    doc = deposit_pdf(world, world.gp)
    http = _enrolled_client(world.gp)
    threshold = connection.settings_dict["OPTIONS"].get("prepare_threshold")
    assert threshold is not None, "Django disables psycopg's preparation unless prepare_threshold is set"
    urls = [_list_url(world), _list_url(world) + f"/{doc.public_id}"]
    for _ in range(threshold + 1):
        for url in urls:
            assert http.get(url).status_code == 200

    def prepared_runs() -> tuple[int, int]:
        """(prepared statements of this connection, how many times they ran); read twice only, below
        the threshold, so that this statement itself is never prepared."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), coalesce(sum(generic_plans + custom_plans), 0) FROM pg_prepared_statements"
            )
            count, runs = cursor.fetchone()
        return int(count), int(runs)

    before = prepared_runs()
    with CaptureQueriesContext(connection) as captured:
        for url in urls:
            assert http.get(url).status_code == 200
    after = prepared_runs()
    hot = [q for q in _sql(captured) if "SAVEPOINT" not in q]
    assert len(hot) == 2 * (_enrolled_read_queries() - 2)
    assert after[0] == before[0], "a repeated read must not prepare new statements (unstable SQL text)"
    assert after[1] - before[1] == len(hot), "every hot statement of the reads ran prepared"


def test_the_list_costs_the_same_queries_with_more_documents(world: World) -> None:
    """The policy is applied in Python to ONE documents query: the count does not grow with the record."""
    _consent(world, world.gp)
    deposit_pdf(world, world.gp)
    http = professional_client(world.gp)
    _warm(world, http)
    with CaptureQueriesContext(connection) as one:
        http.get(_list_url(world))
    for _ in range(5):
        deposit_pdf(world, world.gp)
    with CaptureQueriesContext(connection) as six:
        response = http.get(_list_url(world))
    assert response.json()["count"] == 6
    assert len(six.captured_queries) == len(one.captured_queries) == _read_queries()


def test_professional_opens_a_document_in_a_fixed_number_of_queries(
    world: World, django_assert_num_queries: Any
) -> None:
    """Issue 3 (steady state): 11 statements + the read's transaction."""
    _consent(world, world.gp)
    doc = deposit_pdf(world, world.gp)
    http = professional_client(world.gp)
    _warm(world, http)
    with django_assert_num_queries(_read_queries()):
        response = http.get(f"{_list_url(world)}/{doc.public_id}")
    assert response.status_code == 200 and response.json()["id"] == str(doc.public_id)


def test_a_read_resolves_the_patient_and_the_professional_once(world: World) -> None:
    """The API's resolver rows are handed to the gateway instead of being read again."""
    _consent(world, world.gp)
    doc = deposit_pdf(world, world.gp)
    http = professional_client(world.gp)
    _warm(world, http)
    with CaptureQueriesContext(connection) as captured:
        http.get(f"{_list_url(world)}/{doc.public_id}")
    sql = _sql(captured)
    assert sum('FROM "identity_person"' in s for s in sql) == 1  # the patient
    users = [s for s in sql if 'FROM "accounts_user"' in s]
    assert len(users) == 1 and 'JOIN "identity_professional"' in users[0]  # caller + his professional row
    assert not any('FROM "identity_professional"' in s for s in sql)


def test_the_read_is_decided_and_traced_inside_one_transaction(world: World) -> None:
    """Invariants 1-2: the facts the policy decides on and the trace are read/written between the same
    SAVEPOINT and RELEASE (BEGIN/COMMIT in production); the trace is the last write."""
    _consent(world, world.gp)
    doc = deposit_pdf(world, world.gp)
    http = professional_client(world.gp)
    _warm(world, http)
    with CaptureQueriesContext(connection) as captured:
        http.get(f"{_list_url(world)}/{doc.public_id}")
    sql = _sql(captured)
    begin = next(i for i, s in enumerate(sql) if s.startswith("SAVEPOINT"))
    end = next(i for i, s in enumerate(sql) if s.startswith("RELEASE SAVEPOINT"))
    inside = sql[begin:end]
    assert sum(s.startswith("SAVEPOINT") for s in sql) == 1
    assert any('"access_carerelation"' in s for s in inside)
    assert any('FROM "records_document"' in s for s in inside)
    assert any('INSERT INTO "audit_trace"' in s for s in inside)


def test_a_steady_state_read_does_not_rewrite_the_session(world: World) -> None:
    """One commit per read: the session row is saved at most once a minute, not on every request."""
    _consent(world, world.gp)
    deposit_pdf(world, world.gp)
    http = professional_client(world.gp)
    _warm(world, http)
    with CaptureQueriesContext(connection) as captured:
        http.get(_list_url(world))
    assert not any("django_session" in s and not s.startswith("SELECT") for s in _sql(captured))


def test_the_session_is_refreshed_once_a_minute_so_it_expires_after_30_idle_minutes(
    world: World, clock: Any
) -> None:
    """Idle expiry: a request more than a minute after the last refresh re-saves the session (its expiry
    moves SESSION_COOKIE_AGE ahead); the refresh time is kept in the session."""
    _consent(world, world.gp)
    deposit_pdf(world, world.gp)
    http = professional_client(world.gp)
    _warm(world, http)
    first = http.session[SESSION_REFRESH_KEY]
    clock.advance(seconds=61)
    with CaptureQueriesContext(connection) as captured:
        http.get(_list_url(world))
    assert any(s.startswith('UPDATE "django_session"') for s in _sql(captured))
    assert http.session[SESSION_REFRESH_KEY] == first + 61


def test_a_denied_list_is_still_traced_and_answers_404(world: World) -> None:
    """R-LC-28 / invariant 2: a closed record answers 404 to a consented professional, and the DENY trace
    stays (the error is raised after the read's transaction commits)."""
    _consent(world, world.dentist)
    deposit_pdf(world, world.gp)
    HealthSpace.objects.filter(pk=world.space.pk).update(status=SpaceStatus.CLOSED)
    http = professional_client(world.dentist)
    response = http.get(_list_url(world))
    assert response.status_code == 404
    denied = traces(world.patient, action="DOCUMENT_LIST", outcome="DENY")
    assert len(denied) == 1 and denied[0].actor_id == str(
        User.objects.get(professional=world.dentist).public_id
    )


def test_a_denied_open_is_traced_and_answers_like_a_missing_document(world: World) -> None:
    """R-AC-4 / invariant 2: forbidden and missing documents answer the same 404, both traced DENY."""
    doc = deposit_pdf(world, world.gp)
    http = professional_client(world.dentist)
    forbidden = http.get(f"{_list_url(world)}/{doc.public_id}")
    missing = http.get(f"{_list_url(world)}/00000000-0000-4000-8000-000000000000")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()
    assert len(traces(world.patient, action="CONSULT", outcome="DENY")) == 2


def test_the_gateway_ignores_a_professional_row_that_is_not_the_actors(world: World) -> None:
    """Invariant 1: a row handed in by a caller is used only if it provably is the actor's (here the
    actor is the GP by RPPS, the row the dentist's): the gateway resolves the GP itself."""
    scope = gateway.access_scope(
        actor=pro_actor(world.gp), patient_id=world.patient.pk, professional=world.dentist
    )
    assert scope.professional is not None and scope.professional.pk == world.gp.pk


def test_the_gateway_ignores_a_professional_row_not_bound_to_the_users_account(world: World) -> None:
    """A session actor (user id) needs the row to carry that very user as its cached account."""
    professional_client(world.gp)  # creates the GP's account
    user = User.objects.get(professional=world.gp)
    actor = Actor(ActorKind.PROFESSIONAL, str(user.public_id), label="x", user_id=user.pk)
    stranger = type(world.dentist).objects.get(pk=world.dentist.pk)
    scope = gateway.access_scope(actor=actor, patient_id=world.patient.pk, professional=stranger)
    assert scope.professional is not None and scope.professional.pk == world.gp.pk


def test_an_appended_trace_costs_one_or_two_statements(world: World, django_assert_num_queries: Any) -> None:
    """R-TR-1 / invariant 3 (ADR 0007): the trace and its queue row, one statement on PostgreSQL; no
    per-patient head to lock or move."""
    actor = pro_actor(world.gp)
    with transaction.atomic():
        trace(actor=actor, action="CONSULT", patient_id=world.patient.pk)
    expected = 3 if connection.vendor == "postgresql" else 4
    with django_assert_num_queries(expected), transaction.atomic():  # + SAVEPOINT / RELEASE
        trace(actor=actor, action="CONSULT", patient_id=world.patient.pk)


def test_the_first_trace_of_a_patient_costs_the_same_and_is_queued_for_the_log(
    world: World, django_assert_num_queries: Any
) -> None:
    """Invariant 3: every trace waits in the queue for the sequencer, the first of a patient like any other."""
    patient_id = world.patient.pk + 10_000
    expected = 3 if connection.vendor == "postgresql" else 4
    with django_assert_num_queries(expected), transaction.atomic():
        first = trace(actor=pro_actor(world.gp), action="CONSULT", patient_id=patient_id)
    assert LogQueue.objects.filter(trace_id=first.pk).exists()
    assert Trace.objects.filter(patient_id=patient_id).count() == 1
