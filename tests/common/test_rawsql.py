"""``carnet.common.rawsql``: the plain-SQL helpers of the hot read paths (issue 3) give back what the ORM
would, on the database the suite runs on (SQLite by default, PostgreSQL with ``CARNET_DATABASE_URL``).

* ``Columns(M, alias).load(row)`` of ``SELECT {cols} FROM {table} alias WHERE pk = %s`` equals the ORM's
  instance field by field and type by type (UUID, JSON list, aware datetimes, dates, booleans, binary,
  nullable foreign keys), with the instance state of a fetched row; a NULL primary key (a LEFT JOIN that
  found nothing) is ``None``; ``only=`` loads a subset, the rest deferred, the primary key always there.
* ``link()`` caches a relation on both sides as ``select_related`` does, including a reverse one-to-one and
  a relation known to be empty: reading it afterwards costs no query.
* Values are always bound parameters: quotes, ``%s`` and statement separators round-trip as data.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.models import Model, Q
from django.test.utils import CaptureQueriesContext

from carnet.access import gateway
from carnet.access.facts import Consent, EmergencySetting
from carnet.access.facts import EmergencySettings as EmergencyFacts
from carnet.access.gateway import _RELATION_TO_CONSENT
from carnet.access.models import CareRelation, EmergencySettings, ProfessionalStanding, RelationKind
from carnet.accounts.models import Role, User
from carnet.api.resolvers import patient_by_public_id
from carnet.common.actors import Actor, ActorKind
from carnet.common.errors import NotFoundOrForbidden
from carnet.common.rawsql import Columns, column, fetchall, fetchone, link, table
from carnet.identity.models import Organisation, Person, Professional
from carnet.records import selectors as record_selectors
from carnet.records.models import Document
from carnet.spaces.models import HealthSpace
from carnet.vault.models import Blob, PatientKey
from carnet.vault.sealing import SealedTextField
from tests.factories import HealthSpaceFactory, OrganisationFactory, PersonFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db

AT = datetime(2026, 1, 5, 9, 0, 12, 345678, tzinfo=UTC)  # microseconds must survive the round trip


@dataclass
class Zoo:
    """One row of each shape the hot paths read, every nullable column filled where it can be."""

    parent: Person
    person: Person
    space: HealthSpace
    professional: Professional
    organisation: Organisation
    blob: Blob
    older: Document
    document: Document
    relation: CareRelation
    standing: ProfessionalStanding
    user: User
    key: PatientKey
    session: Session


@pytest.fixture
def zoo(db: Any) -> Zoo:
    parent = PersonFactory()
    person = PersonFactory(insured_under=parent, deceased_on=date(2026, 1, 2), used_name="DUPONT")
    space = HealthSpaceFactory(person=person, informed_at=AT, opened_at=None, mask_all_by_default=True)
    professional = ProfessionalFactory(active=False)
    organisation = OrganisationFactory(city="Lyon")
    blob = Blob.objects.create(
        patient_id=person.pk, size=2**40, sha256="ab" * 32, media_type="application/pdf", created_at=AT
    )
    common = {
        "patient_id": person.pk,
        "class_code": "10",
        "type_code": "11488-4",
        "author_kind": "PROFESSIONAL",
        "media_type": "application/pdf",
        "deposited_by": "10000000000",
        "deposited_by_kind": "PROFESSIONAL",
        "patient_category": "CR",
    }
    older = Document.objects.create(title="Ancien", deposited_at=AT - timedelta(days=3), **common)
    document = Document.objects.create(
        title="Compte rendu l'été",
        confidentiality=["N", "MASQUE_PS", "INVISIBLE_PATIENT"],
        author_professional=professional,
        author_organisation=organisation,
        service_start=date(2025, 12, 31),
        status="Deprecated",
        replaces=older,
        blob=blob,
        size=123456,
        deposited_at=AT,
        invisible_until=AT + timedelta(days=31),
        **common,
    )
    relation = CareRelation.objects.create(
        patient_id=person.pk,
        organisation=organisation,
        kind=RelationKind.TEMPORARY,
        started_at=AT,
        expires_at=AT + timedelta(hours=24),
        recorded_by="x",
    )
    standing = ProfessionalStanding.objects.create(
        patient_id=person.pk,
        professional=professional,
        is_medecin_traitant=True,
        blocked_at=AT,
        blocked_by="y",
        updated_at=AT,
    )
    user = User.objects.create_user(
        username="rawsql.user",
        password="x-Motdepasse-1234",
        role=Role.PATIENT,
        person=person,
        totp_confirmed=True,
        totp_last_step=2**40 + 7,
        locked_until=AT,
    )
    # Binary with quote and placeholder bytes. Not the holder's own key row: his sealed document titles
    # (ADR 0008) already made him a real one.
    key = PatientKey.objects.create(
        patient_id=person.pk + 10_000, wrapped_key=b"\x00\x01\xff' %s", created_at=AT
    )
    session = Session.objects.create(
        session_key="k" * 32, session_data="e30:1a2b:c3d4", expire_date=AT + timedelta(minutes=30)
    )
    return Zoo(
        parent,
        person,
        space,
        professional,
        organisation,
        blob,
        older,
        document,
        relation,
        standing,
        user,
        key,
        session,
    )


def _by_pk(model: type[Model], alias: str, only: list[str] | None = None) -> tuple[Columns[Any], str]:
    cols: Columns[Any] = Columns(model, alias, only=only)
    pk = connection.ops.quote_name(model._meta.pk.column)
    return cols, f"SELECT {cols.sql()} FROM {table(model)} {alias} WHERE {alias}.{pk} = %s"


def _pk_param(instance: Model) -> Any:
    return type(instance)._meta.pk.get_db_prep_value(instance.pk, connection)


def assert_same_row(raw: Model | None, orm: Model) -> None:
    """``raw`` is ``orm`` as the ORM would have fetched it: same class, state, values and value types."""
    assert raw is not None
    assert type(raw) is type(orm)
    assert raw._state.adding is False and raw._state.db == orm._state.db == "default"
    assert raw.get_deferred_fields() == set()
    for field in type(orm)._meta.concrete_fields:
        if isinstance(field, SealedTextField):  # the stored bytes; opening is tested on its own
            got, want = raw.__dict__[field.attname], orm.__dict__[field.attname]
        else:
            got, want = getattr(raw, field.attname), getattr(orm, field.attname)
        assert type(got) is type(want), (field.name, got, want)
        assert got == want, field.name
        if isinstance(got, datetime):
            assert got.utcoffset() == timedelta(0), field.name  # aware, in UTC like the ORM's


CASES: dict[str, Callable[[Zoo], Model]] = {
    "document": lambda z: z.document,  # UUID, JSON list, aware datetimes, date, nullable FKs, self FK
    "document_without_relations": lambda z: z.older,  # every nullable column NULL
    "person": lambda z: z.person,  # UUID, dates, nullable self FK
    "space": lambda z: z.space,  # one-to-one, booleans, many nullable datetimes
    "care_relation": lambda z: z.relation,  # NULL professional, set organisation
    "standing": lambda z: z.standing,  # booleans, nullable datetime
    "user": lambda z: z.user,  # booleans, big integers, nullable one-to-ones
    "professional": lambda z: z.professional,  # boolean False
    "patient_key": lambda z: z.key,  # binary
    "session": lambda z: z.session,  # a character primary key
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_load_equals_the_orm_instance_field_by_field(zoo: Zoo, case: str) -> None:
    instance = CASES[case](zoo)
    model = type(instance)
    cols, sql = _by_pk(model, "x")
    row = fetchone(sql, [_pk_param(instance)])
    assert row is not None and len(row) == cols.width
    assert_same_row(cols.load(row), model._default_manager.get(pk=instance.pk))


def test_load_gives_python_types_not_database_encodings(zoo: Zoo) -> None:
    """SQLite stores UUIDs as hex text, JSON as text and datetimes naive: the converters undo all three."""
    cols, sql = _by_pk(Document, "d")
    row = fetchone(sql, [zoo.document.pk])
    assert row is not None
    document = cols.load(row)
    assert document is not None
    assert isinstance(document.public_id, uuid.UUID) and document.public_id == zoo.document.public_id
    assert document.confidentiality == ["N", "MASQUE_PS", "INVISIBLE_PATIENT"]
    assert document.deposited_at == AT and document.deposited_at.tzinfo is not None
    assert document.service_start == date(2025, 12, 31) and type(document.service_start) is date
    assert document.author_professional_id == zoo.professional.pk and document.blob_id == zoo.blob.pk


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_null_primary_key_from_a_left_join_loads_as_none(zoo: Zoo, case: str) -> None:
    model = type(CASES[case](zoo))
    cols: Columns[Any] = Columns(model, "x")
    pk = connection.ops.quote_name(model._meta.pk.column)
    missing = "absent" if model is Session else -1
    row = fetchone(
        f"SELECT {cols.sql()} FROM (SELECT 1 AS one) base LEFT JOIN {table(model)} x ON x.{pk} = %s",
        [missing],
    )
    assert row is not None and set(row) == {None}
    assert cols.load(row) is None


def test_load_reads_its_slice_of_a_joined_row(zoo: Zoo) -> None:
    """``start`` picks one model's columns out of a row holding several (as the JOINs of the hot paths do)."""
    documents, blobs = Columns(Document, "d"), Columns(Blob, "b")
    sql = (
        f"SELECT {documents.sql()}, {blobs.sql()} FROM {table(Document)} d "
        f"LEFT JOIN {table(Blob)} b ON b.id = d.{column(Document, 'blob')} WHERE d.id = %s"
    )
    with_blob = fetchone(sql, [zoo.document.pk])
    without = fetchone(sql, [zoo.older.pk])
    assert with_blob is not None and without is not None
    assert_same_row(documents.load(with_blob), Document.objects.get(pk=zoo.document.pk))
    assert_same_row(blobs.load(with_blob, documents.width), Blob.objects.get(pk=zoo.blob.pk))
    assert_same_row(documents.load(without), Document.objects.get(pk=zoo.older.pk))
    assert blobs.load(without, documents.width) is None


@pytest.mark.parametrize(
    "only",
    [
        ["public_id", "author_professional"],  # field names
        ["public_id", "author_professional_id"],  # attnames
        ["author_professional", "public_id", "id"],  # any order, the pk named or not
    ],
)
def test_only_loads_a_subset_and_defers_the_rest(
    zoo: Zoo, only: list[str], django_assert_num_queries: Any
) -> None:
    cols, sql = _by_pk(Document, "d", only=only)
    assert cols.attnames == ("id", "public_id", "author_professional_id")  # model order, pk always in
    assert cols.width == 3
    row = fetchone(sql, [zoo.document.pk])
    assert row is not None and len(row) == 3
    with django_assert_num_queries(0):
        document = cols.load(row)
        assert document is not None
        assert document.pk == zoo.document.pk
        assert document.public_id == zoo.document.public_id
        assert document.author_professional_id == zoo.professional.pk
    every = {f.attname for f in Document._meta.concrete_fields}
    assert document.get_deferred_fields() == every - {"id", "public_id", "author_professional_id"}
    with django_assert_num_queries(1):  # a deferred field is fetched on access, like ``.only()``
        assert document.type_code == "11488-4"


def test_only_without_the_primary_key_still_selects_it(zoo: Zoo) -> None:
    cols, sql = _by_pk(CareRelation, "cr", only=["kind"])
    assert cols.attnames == ("id", "kind")
    row = fetchone(sql, [zoo.relation.pk])
    assert row is not None
    relation = cols.load(row)
    assert relation is not None and relation.pk == zoo.relation.pk and relation.kind == "TEMPORARY"


def test_columns_sql_lists_the_models_columns_under_the_alias() -> None:
    q = connection.ops.quote_name
    cols = Columns(CareRelation, "cr")
    expected = ", ".join(f"{q('cr')}.{q(f.column)}" for f in CareRelation._meta.concrete_fields)
    assert cols.sql() == expected
    assert f"{q('cr')}.{q('professional_id')}" in cols.sql()  # the column, not the field name
    assert cols.width == len(CareRelation._meta.concrete_fields)


def test_table_and_column_are_the_quoted_database_names() -> None:
    q = connection.ops.quote_name
    assert table(Document) == q("records_document")
    assert table(Session) == q("django_session")
    assert column(Document, "author_professional") == q("author_professional_id")
    assert column(Document, "patient_id") == q("patient_id")
    assert column(Session, "expire_date") == q("expire_date")


# --- link(): relations cached as select_related does ---------------------------------------------------


def test_link_caches_a_forward_foreign_key(zoo: Zoo, django_assert_num_queries: Any) -> None:
    document = Document.objects.get(pk=zoo.document.pk)
    professional = Professional.objects.get(pk=zoo.professional.pk)
    with django_assert_num_queries(0):
        link(document, "author_professional", professional)
        assert document.author_professional is professional


def test_link_caches_a_forward_one_to_one_on_both_sides(zoo: Zoo, django_assert_num_queries: Any) -> None:
    user = User.objects.get(pk=zoo.user.pk)
    person = Person.objects.get(pk=zoo.person.pk)
    with django_assert_num_queries(0):
        link(user, "person", person)
        assert user.person is person
        assert person.account is user  # the reverse side too, as select_related("person") does


def test_link_caches_a_reverse_one_to_one_on_both_sides(zoo: Zoo, django_assert_num_queries: Any) -> None:
    person = Person.objects.get(pk=zoo.person.pk)
    space = HealthSpace.objects.get(pk=zoo.space.pk)
    with django_assert_num_queries(0):
        link(person, "space", space)
        assert person.space is space
        assert space.person is person


def test_link_to_none_makes_a_forward_relation_known_empty(zoo: Zoo, django_assert_num_queries: Any) -> None:
    """Even with the foreign key set, the cached ``None`` is what is read: no query behind it."""
    user = User.objects.get(pk=zoo.user.pk)
    assert user.person_id is not None
    with django_assert_num_queries(0):
        link(user, "person", None)
        assert user.person is None


def test_link_to_none_makes_a_reverse_one_to_one_raise_without_a_query(
    zoo: Zoo, django_assert_num_queries: Any
) -> None:
    person = Person.objects.get(pk=zoo.person.pk)  # he has a space: without the cache, the ORM would find it
    with django_assert_num_queries(0):
        link(person, "space", None)
        with pytest.raises(Person.space.RelatedObjectDoesNotExist):
            person.space  # noqa: B018 - the access is the test
        assert getattr(person, "space", None) is None  # how access.gateway reads it


def test_link_on_raw_loaded_rows_gives_a_graph_read_without_queries(
    zoo: Zoo, django_assert_num_queries: Any
) -> None:
    """The hot paths' pattern end to end: one statement, then every relation read from the cache."""
    documents, pros, blobs = Columns(Document, "d"), Columns(Professional, "p"), Columns(Blob, "b")
    sql = (
        f"SELECT {documents.sql()}, {pros.sql()}, {blobs.sql()} FROM {table(Document)} d "
        f"LEFT JOIN {table(Professional)} p ON p.id = d.{column(Document, 'author_professional')} "
        f"LEFT JOIN {table(Blob)} b ON b.id = d.{column(Document, 'blob')} WHERE d.id = %s"
    )
    with django_assert_num_queries(1):
        row = fetchone(sql, [zoo.document.pk])
        assert row is not None
        document = documents.load(row)
        assert document is not None
        link(document, "author_professional", pros.load(row, documents.width))
        link(document, "blob", blobs.load(row, documents.width + pros.width))
        assert document.author_professional is not None
        assert document.author_professional.rpps == zoo.professional.rpps
        assert document.blob is not None and document.blob.sha256 == "ab" * 32


# --- parameters are data ---------------------------------------------------------------------------------

HOSTILE = [
    "O'Brien",
    "x'); DROP TABLE identity_person; --",
    "%s",
    "%%s %(name)s",
    '"; SELECT 1; --',
    "\\' OR '1'='1",
    "é'🙂\"",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_value_round_trips_as_a_parameter(zoo: Zoo, value: str) -> None:
    assert fetchone("SELECT %s", [value]) == (value,)
    Person.objects.filter(pk=zoo.person.pk).update(birth_name=value)
    cols: Columns[Person] = Columns(Person, "p")
    rows = fetchall(
        f"SELECT {cols.sql()} FROM {table(Person)} p WHERE p.{column(Person, 'birth_name')} = %s",
        [value],
    )
    assert len(rows) == 1
    loaded = cols.load(rows[0])
    assert loaded is not None and loaded.pk == zoo.person.pk and loaded.birth_name == value
    assert Person.objects.count() == 2  # nothing else matched, nothing was dropped


def test_fetchone_is_none_without_a_row_and_fetchall_is_empty(zoo: Zoo) -> None:
    sql = f"SELECT {column(Person, 'birth_name')} FROM {table(Person)} WHERE id = %s"
    assert fetchone(sql, [-1]) is None
    assert fetchall(sql, [-1]) == []
    assert fetchall(sql, [zoo.person.pk]) == [(zoo.person.birth_name,)]
    assert isinstance(fetchall(sql, [zoo.person.pk])[0], tuple)


# --- the hot paths written with these helpers: equal to their ORM versions --------------------------------
# api.resolvers.patient_by_public_id, access.gateway._patient_rows (through access_scope) and
# records.selectors._documents, each compared with what the ORM gives, with its statement count.


def test_patient_by_public_id_loads_the_person_and_his_space_in_one_statement(
    zoo: Zoo, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        person = patient_by_public_id(str(zoo.person.public_id))
    assert_same_row(person, Person.objects.get(pk=zoo.person.pk))
    with django_assert_num_queries(0):
        space = person.space
        assert space.person is person
    assert_same_row(space, HealthSpace.objects.get(pk=zoo.space.pk))


@pytest.mark.parametrize(
    "spelling",
    [
        lambda u: u,
        str,
        lambda u: str(u).upper(),
        lambda u: u.hex,
        lambda u: u.urn,
        lambda u: "{" + str(u) + "}",
    ],
    ids=["uuid", "str", "upper", "hex", "urn", "braces"],
)
def test_patient_by_public_id_accepts_every_spelling_of_a_uuid(
    zoo: Zoo, spelling: Callable[[uuid.UUID], Any]
) -> None:
    assert patient_by_public_id(spelling(zoo.person.public_id)).pk == zoo.person.pk


def test_a_person_without_a_space_is_known_to_have_none(zoo: Zoo, django_assert_num_queries: Any) -> None:
    person = patient_by_public_id(zoo.parent.public_id)
    with django_assert_num_queries(0):
        with pytest.raises(Person.space.RelatedObjectDoesNotExist):
            person.space  # noqa: B018 - the access is the test
        assert getattr(person, "space", None) is None  # access_scope then sees an INFORMED-less record


@pytest.mark.parametrize(
    "value",
    [
        uuid.UUID("00000000-0000-4000-8000-000000000000"),
        "abc",
        None,
        "",
        12,
        "%s",
        "' OR '1'='1",
        "00000000-0000-4000-8000-000000000000' OR '1'='1",
    ],
)
def test_an_unknown_or_garbage_patient_id_is_the_same_not_found(zoo: Zoo, value: Any) -> None:
    """R-AC-4: nobody can tell a malformed id, an unknown one and a forbidden one apart."""
    with pytest.raises(NotFoundOrForbidden) as reference:
        patient_by_public_id(uuid.uuid4())
    with pytest.raises(NotFoundOrForbidden) as raised:
        patient_by_public_id(value)
    got, want = raised.value, reference.value
    assert (
        (str(got), got.code, got.field)
        == (str(want), want.code, want.field)
        == (str(want), "not_found", "patient")
    )


# _patient_rows through access_scope: a table over the patient's access rows.

SETTINGS = ["no_settings", "settings"]
STANDINGS = ["no_standing", "own_standing", "org_standing", "both_standings"]
RELATIONS = ["no_relation", "own_relation", "org_relation", "ended_relation", "own_and_org_relations"]
ACTORS = ["professional_for_org", "organisation"]


@dataclass
class AccessWorld:
    patient: Person
    professional: Professional
    organisation: Organisation


def _access_world(settings_case: str, standing_case: str, relation_case: str) -> AccessWorld:
    """The patient's rows for one case of the table, plus rows that must never count: another
    professional's and establishment's rows on this record, and this professional's rows on another one."""
    patient, elsewhere = HealthSpaceFactory().person, HealthSpaceFactory().person
    pro, org = ProfessionalFactory(), OrganisationFactory()
    other_pro, other_org = ProfessionalFactory(), OrganisationFactory()
    if settings_case == "settings":
        EmergencySettings.objects.create(
            patient_id=patient.pk, etreat="deny", btg="deny", masked="permit", updated_at=AT
        )
    EmergencySettings.objects.create(
        patient_id=elsewhere.pk, etreat="deny", btg="deny", masked="permit", updated_at=AT
    )

    def standing(patient_id: int, **subject: Any) -> None:
        ProfessionalStanding.objects.create(
            patient_id=patient_id, blocked_at=AT, blocked_by="x", updated_at=AT, **subject
        )

    if standing_case in {"own_standing", "both_standings"}:
        standing(patient.pk, professional=pro, is_medecin_traitant=True, is_administrator=True)
    if standing_case in {"org_standing", "both_standings"}:
        standing(patient.pk, organisation=org)
    standing(patient.pk, professional=other_pro)
    standing(patient.pk, organisation=other_org)
    standing(elsewhere.pk, professional=pro, is_medecin_traitant=True)
    standing(elsewhere.pk, organisation=org)

    def relation(patient_id: int, kind: str, *, ended: bool = False, **subject: Any) -> None:
        CareRelation.objects.create(
            patient_id=patient_id,
            kind=kind,
            started_at=AT - timedelta(days=1),
            expires_at=AT + timedelta(hours=24) if kind == RelationKind.TEMPORARY else None,
            ended_at=AT if ended else None,
            recorded_by="x",
            **subject,
        )

    if relation_case in {"own_relation", "own_and_org_relations"}:
        relation(patient.pk, RelationKind.EXPLICIT, professional=pro)
    if relation_case in {"org_relation", "own_and_org_relations"}:
        relation(patient.pk, RelationKind.TEMPORARY, organisation=org)
    if relation_case == "ended_relation":
        relation(patient.pk, RelationKind.CARE_TEAM, professional=pro, ended=True)
        relation(patient.pk, RelationKind.CARE_TEAM, organisation=org, ended=True)
    relation(patient.pk, RelationKind.EXPLICIT, professional=other_pro)
    relation(patient.pk, RelationKind.CARE_TEAM, organisation=other_org)
    relation(elsewhere.pk, RelationKind.EXPLICIT, professional=pro)
    relation(elsewhere.pk, RelationKind.DECLARED_BY_PATIENT, organisation=org)
    return AccessWorld(patient, pro, org)


def _expected(world: AccessWorld, professional: Professional | None) -> dict[str, Any]:
    """The facts, computed with the ORM from the rows (what _patient_rows must amount to)."""
    patient_id, org = world.patient.pk, world.organisation
    subjects = Q(organisation=org) | (
        Q(professional=professional) if professional is not None else Q(pk__in=[])
    )
    row = EmergencySettings.objects.filter(patient_id=patient_id).first()
    emergency = (
        EmergencyFacts(EmergencySetting(row.etreat), EmergencySetting(row.btg), EmergencySetting(row.masked))
        if row is not None
        else EmergencyFacts()
    )

    def subject_id(r: CareRelation | ProfessionalStanding) -> str:
        return str(
            professional.public_id if r.professional_id is not None and professional else org.public_id
        )

    relations = CareRelation.objects.filter(subjects, patient_id=patient_id, ended_at__isnull=True)
    consents = sorted(
        (
            Consent(subject_id(r), _RELATION_TO_CONSENT[RelationKind(r.kind)], r.started_at, r.expires_at)
            for r in relations
        ),
        key=repr,
    )
    standings = ProfessionalStanding.objects.filter(subjects, patient_id=patient_id)
    own = standings.filter(professional=professional).first() if professional is not None else None
    return {
        "emergency": emergency,
        "consents": consents,
        "blocked": {subject_id(s) for s in standings if s.blocked_at is not None},
        "is_medecin_traitant": bool(own and own.is_medecin_traitant),
        "is_administrator": bool(own and own.is_administrator),
        "standing": own.pk if own is not None else None,
        "standing_pks": sorted(s.pk for s in standings),
        "relation_pks": sorted(r.pk for r in relations),
    }


@pytest.mark.parametrize("actor_case", ACTORS)
@pytest.mark.parametrize("relation_case", RELATIONS)
@pytest.mark.parametrize("standing_case", STANDINGS)
@pytest.mark.parametrize("settings_case", SETTINGS)
def test_patient_rows_give_the_facts_the_orm_rows_give(
    db: Any, settings_case: str, standing_case: str, relation_case: str, actor_case: str
) -> None:
    """Emergency settings (R-EM-4/5), blocks (R-BLK-1), médecin traitant / administrator (R-AC-15,
    R-MASK-2) and consents: a professional acting for his establishment counts its rows too; ended
    relations and other actors' or other patients' rows never count; rows the JOINs repeat count once."""
    world = _access_world(settings_case, standing_case, relation_case)
    if actor_case == "organisation":
        professional = None
        scope = gateway.access_scope(
            actor=Actor(ActorKind.ORGANISATION, world.organisation.finess, label="org"),
            patient_id=world.patient.pk,
        )
    else:
        professional = world.professional
        scope = gateway.access_scope(
            actor=Actor(ActorKind.PROFESSIONAL, professional.rpps, label="pro"),
            patient_id=world.patient.pk,
            organisation=world.organisation,
        )
    expected = _expected(world, professional)
    rows = gateway._patient_rows(world.patient.pk, professional, world.organisation)
    assert sorted(r.pk for r in rows.standings) == expected["standing_pks"]  # each row once
    assert sorted(r.pk for r in rows.relations) == expected["relation_pks"]
    assert scope.patient.emergency == rows.emergency == expected["emergency"]
    assert sorted(scope.patient.consents, key=repr) == expected["consents"]
    assert set(scope.patient.blocked_actor_ids) == expected["blocked"]
    assert scope.facts.is_medecin_traitant is expected["is_medecin_traitant"]
    assert scope.facts.is_administrator is expected["is_administrator"]
    assert (scope.standing.pk if scope.standing is not None else None) == expected["standing"]


@pytest.mark.parametrize("settings_case", SETTINGS)
def test_a_patient_side_actor_gets_the_emergency_settings_and_nothing_of_the_professionals(
    db: Any, settings_case: str
) -> None:
    world = _access_world(settings_case, "both_standings", "own_and_org_relations")
    holder = Actor(ActorKind.PATIENT, str(world.patient.public_id), label="p", person_id=world.patient.pk)
    scope = gateway.access_scope(actor=holder, patient_id=world.patient.pk)
    assert scope.patient.emergency == _expected(world, None)["emergency"]
    assert scope.patient.consents == () and scope.patient.blocked_actor_ids == frozenset()


def test_the_access_rows_are_one_statement_when_the_caller_gives_patient_and_professional(
    db: Any, django_assert_num_queries: Any
) -> None:
    """The API's steady state: the patient comes from the resolver, the professional (with qualification)
    from the session; access_scope then reads ONE statement (settings + standings + relations)."""
    world = _access_world("settings", "both_standings", "own_and_org_relations")
    patient = patient_by_public_id(world.patient.public_id)
    professional = Professional.objects.select_related("access_qualification").get(pk=world.professional.pk)
    actor = Actor(ActorKind.PROFESSIONAL, professional.rpps, label="pro")
    with CaptureQueriesContext(connection) as captured:
        scope = gateway.access_scope(
            actor=actor,
            patient_id=patient.pk,
            patient=patient,
            professional=professional,
            organisation=world.organisation,
        )
    sql = [q["sql"] for q in captured.captured_queries]
    assert len(sql) == 1
    for name in ("access_emergencysettings", "access_professionalstanding", "access_carerelation"):
        assert name in sql[0]
    assert len(scope.patient.consents) == 2 and scope.facts.is_medecin_traitant


# records.selectors._documents: the ORM query it replaced, filter by filter.


@dataclass
class Record:
    patient: Person
    documents: dict[str, Document]


@pytest.fixture
def record(zoo: Zoo) -> Record:
    """zoo's two documents plus: a newer one replacing ``document``, one deposited at the same instant
    (ordered by id), another category, a deleted one, and another patient's."""
    base = {
        "patient_id": zoo.person.pk,
        "class_code": "10",
        "type_code": "11488-4",
        "media_type": "application/pdf",
        "deposited_by": "x",
        "deposited_by_kind": "PROFESSIONAL",
        "patient_category": "CR",
    }
    at = AT + timedelta(days=1)
    newer = Document.objects.create(
        title="v2",
        author_kind="ORGANISATION",
        author_organisation=zoo.organisation,
        replaces=zoo.document,
        deposited_at=at,
        **base,
    )
    tie = Document.objects.create(title="même instant", author_kind="SYSTEM", deposited_at=at, **base)
    biology = Document.objects.create(
        title="bio",
        author_kind="PROFESSIONAL",
        author_professional=zoo.professional,
        blob=zoo.blob,
        deposited_at=AT - timedelta(days=9),
        **{**base, "patient_category": "BIO"},
    )
    deleted = Document.objects.create(
        title="supprimé", author_kind="PATIENT", deposited_at=at + timedelta(days=1), deleted_at=at, **base
    )
    foreign = Document.objects.create(
        title="autre", author_kind="SYSTEM", deposited_at=at, **{**base, "patient_id": zoo.parent.pk}
    )
    documents = {
        "older": zoo.older,
        "document": zoo.document,
        "newer": newer,
        "tie": tie,
        "biology": biology,
        "deleted": deleted,
        "foreign": foreign,
    }
    return Record(zoo.person, documents)


FILTERS: list[tuple[str, dict[str, Any]]] = [
    ("all", {}),
    ("approved", {"status": "Approved"}),
    ("deprecated", {"status": "Deprecated"}),
    ("category", {"category": "CR"}),
    ("other_category", {"category": "BIO"}),
    ("unknown_category", {"category": "' OR '1'='1"}),
    ("approved_category", {"status": "Approved", "category": "CR"}),
    ("one", {"public_id": "newer"}),
    ("one_deprecated", {"public_id": "document"}),
    ("one_deleted", {"public_id": "deleted"}),
    ("one_of_another_patient", {"public_id": "foreign"}),
    ("unknown_id", {"public_id": None}),
]


@pytest.mark.parametrize(("name", "filters"), FILTERS, ids=[name for name, _ in FILTERS])
def test_documents_equal_the_orm_query_they_replaced(
    record: Record, name: str, filters: dict[str, Any], django_assert_num_queries: Any
) -> None:
    kwargs = dict(filters)
    if "public_id" in kwargs:
        wanted = record.documents.get(kwargs["public_id"]) if kwargs["public_id"] else None
        kwargs["public_id"] = wanted.public_id if wanted is not None else uuid.uuid4()
    orm = Document.objects.filter(patient_id=record.patient.pk, deleted_at__isnull=True).select_related(
        "author_professional", "author_organisation", "replaces", "blob"
    )
    orm_filters = {{"category": "patient_category"}.get(k, k): v for k, v in kwargs.items()}
    expected = list(orm.filter(**orm_filters).order_by("-deposited_at", "-id"))
    with django_assert_num_queries(1):
        got = record_selectors._documents(record.patient.pk, **kwargs)
    assert [d.pk for d in got] == [d.pk for d in expected]
    with django_assert_num_queries(0):
        for raw, want in zip(got, expected, strict=True):
            assert_same_row(raw, want)
            for relation in ("author_professional", "author_organisation", "blob"):
                child, wanted_child = getattr(raw, relation), getattr(want, relation)
                if wanted_child is None:
                    assert child is None
                else:
                    assert_same_row(child, wanted_child)
            if want.replaces is None:
                assert raw.replaces is None
            else:  # only its public id is shown: the rest is deferred
                assert (
                    raw.replaces.pk == want.replaces.pk and raw.replaces.public_id == want.replaces.public_id
                )
                assert raw.replaces.get_deferred_fields() == {
                    f.attname for f in Document._meta.concrete_fields
                } - {"id", "public_id"}
    titles = [d.title for d in expected]  # the ORM's rows look their key up
    with django_assert_num_queries(0):  # ADR 0008: the raw rows' key came with them
        assert [d.title for d in got] == titles


def test_documents_are_newest_first_then_by_id(record: Record) -> None:
    names = {d.pk: n for n, d in record.documents.items()}
    got = [names[d.pk] for d in record_selectors._documents(record.patient.pk)]
    tie_first = (
        ["tie", "newer"] if record.documents["tie"].pk > record.documents["newer"].pk else ["newer", "tie"]
    )
    assert got == [*tie_first, "document", "older", "biology"]
