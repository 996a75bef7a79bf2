"""Fixtures of the prevention tests: persons with activated spaces and accounts (tests.records.helpers)."""

from __future__ import annotations

from datetime import date
from typing import Any

from carnet.identity.models import Person
from tests.records.helpers import give_account, give_space, new_person


def patient(
    *, birth_date: date = date(1975, 3, 1), sex: str = "F", account: bool = True, **kw: Any
) -> Person:
    person = new_person(birth_date=birth_date, sex=sex, **kw)
    give_space(person)
    if account:
        give_account(person)
    return person
