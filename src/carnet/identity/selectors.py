"""Reads of the identity registry. Lookups never raise on malformed input: they answer None."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from django.core.exceptions import ValidationError

from . import validators
from .models import Person, Professional


def person_find_by_ins(nir: str) -> Person | None:
    """The person whose matricule INS (NIR or NIA, R-ID-2) is ``nir``, else None (also when malformed)."""
    try:
        matricule = validators.validate_nir(nir)
    except ValidationError:
        return None
    return Person.objects.filter(ins_matricule=matricule).first()


def professional_by_rpps(rpps: str) -> Professional | None:
    """The professional registered under ``rpps``, else None (also when malformed)."""
    try:
        number = validators.validate_rpps(rpps)
    except ValidationError:
        return None
    return Professional.objects.filter(rpps=number).first()


def name_key(value: str) -> str:
    """A name folded for comparison: no accents, case-insensitive, hyphens/apostrophes as spaces."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\-'’‘`.]", " ", stripped).casefold().split())


def person_match(*, nir: str, birth_name: str, first_name: str, birth_date: date) -> Person | None:
    """R-ID-2: the person whose INS matches exactly and whose traits agree, else None.

    The birth name must equal the birth name; the first name must equal the first birth first name
    or the whole list of birth first names. Names compare case- and accent-insensitively. Callers
    must answer the same way whatever part did not match (never reveal that a person exists).
    """
    person = person_find_by_ins(nir)
    if person is None or person.birth_date != birth_date:
        return None
    if not birth_name or name_key(person.birth_name) != name_key(birth_name):
        return None
    given = name_key(first_name)
    if not given or given not in {name_key(person.first_name), name_key(person.first_names)}:
        return None
    return person
