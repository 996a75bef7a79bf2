"""`carnet demo`: its help, what it prints for a newcomer, and what it refuses to touch."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError

from carnet.accounts.models import User
from carnet.demo import population
from carnet.identity.codes import professions
from carnet.identity.models import Person
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", "--no-serve", *args, stdout=out)
    return out.getvalue()


def test_demo_help_names_the_address_argument_and_claims_no_fixed_port() -> None:
    text = load_command_class("carnet.demo", "demo").create_parser("carnet", "demo").format_help()
    assert "ADDR:PORT" in text and "default 127.0.0.1:8000" in text
    assert "serve on 127.0.0.1:8000." not in text
    assert "--reset" in text and "--yes" in text


def test_demo_prints_what_each_journey_needs(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_DEMO = True
    output = _demo()
    claire = next(p for p in population.cast() if p.key == "claire")
    # The professional search and break-the-glass journeys need Claire's INS: NIR and birth date.
    assert f"NIR {claire.nir}  born {claire.born:%d/%m/%Y}" in output
    assert f"{claire.nir}@{settings.CARNET_PATIENT_MAIL_DOMAIN}" in output  # SMTP gateway journey
    # Every profession code printed comes with its plain words, from the directory's code list.
    for staff in population.STAFF:
        if staff.profession:
            assert f"{staff.profession} = {professions()[staff.profession]}" in output
    assert f"--finess {population.HOSPITAL_FINESS}" in output  # API / FHIR journey
    assert "/demo/horloge/" in output and "demo-clock +6w" in output  # time travel
    assert "profile opens on" in output  # when the 6-week opening happens
    assert "Links in e-mails" not in output  # the default address is the one served


def test_demo_refuses_outside_demo_mode(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_DEMO = False
    with pytest.raises(CommandError, match="CARNET_DEMO"):
        _demo()
    assert not User.objects.exists()


def test_demo_refuses_to_load_into_a_database_holding_other_people(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_DEMO = True
    PersonFactory()
    with pytest.raises(CommandError, match="not the demo's"):
        _demo()
    assert Person.objects.count() == 1 and not User.objects.exists()


def test_reset_refuses_a_database_that_is_not_the_embedded_sqlite_file(settings) -> None:  # type: ignore[no-untyped-def]
    """The test database (in memory, or PostgreSQL) is not DATA_DIR/carnet.sqlite3: nothing is erased."""
    settings.CARNET_DEMO = True
    person = PersonFactory()
    with pytest.raises(CommandError, match="only wipes the demo's embedded SQLite database"):
        _demo("--reset", "--yes")
    assert Person.objects.filter(pk=person.pk).exists()


def test_reset_refuses_outside_demo_mode(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_DEMO = False
    person = PersonFactory()
    with pytest.raises(CommandError, match="CARNET_DEMO"):
        _demo("--reset", "--yes")
    assert Person.objects.filter(pk=person.pk).exists()
