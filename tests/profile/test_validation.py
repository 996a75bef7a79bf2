"""Validation of the profile's input (R-PML-3 lengths, dates, choices): a French message naming the
field, produced through gettext (English under ``translation.override("en")``), and nothing written
(invariant 9)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext

from carnet.audit.models import Trace
from carnet.common.errors import DomainError
from carnet.profile import services
from carnet.profile.models import Treatment
from tests.profile.conftest import Profile

pytestmark = pytest.mark.django_db

T = {"name": "Levothyrox", "start_year": 2020}

# (section, data, field, French message, msgid, params)
CASES: list[tuple[str, dict[str, Any], str, str, str, dict[str, Any]]] = [
    (
        "TREATMENTS",
        {**T, "name": ""},
        "name",
        "Le champ « Nom du traitement » est obligatoire.",
        "Le champ « %(field)s » est obligatoire.",
        {"field": "Nom du traitement"},
    ),
    (
        "TREATMENTS",
        {**T, "name": "x" * 101},
        "name",
        "Le champ « Nom du traitement » ne doit pas dépasser 100 caractères.",
        "Le champ « %(field)s » ne doit pas dépasser %(max)s caractères.",
        {"field": "Nom du traitement", "max": 100},
    ),
    (
        "TREATMENTS",
        {**T, "comment": "x" * 3001},
        "comment",
        "Le champ « Commentaire » ne doit pas dépasser 3000 caractères.",
        "Le champ « %(field)s » ne doit pas dépasser %(max)s caractères.",
        {"field": "Commentaire", "max": 3000},
    ),
    (
        "TREATMENTS",
        {**T, "posology": "x" * 1001},
        "posology",
        "Le champ « Posologie » ne doit pas dépasser 1000 caractères.",
        "Le champ « %(field)s » ne doit pas dépasser %(max)s caractères.",
        {"field": "Posologie", "max": 1000},
    ),
    (
        "TREATMENTS",
        {"name": "Levothyrox"},
        "start_year",
        "L'année de « Date de début » est obligatoire.",
        "L'année de « %(field)s » est obligatoire.",
        {"field": "Date de début"},
    ),
    (
        "TREATMENTS",
        {**T, "start_year": 2027},
        "start_year",
        "La date « Date de début » ne peut pas être dans le futur.",
        "La date « %(field)s » ne peut pas être dans le futur.",
        {"field": "Date de début"},
    ),
    (
        "TREATMENTS",
        {**T, "end_year": 2019},
        "end_year",
        "La date de fin doit être postérieure ou égale à la date de début.",
        "La date de fin doit être postérieure ou égale à la date de début.",
        {},
    ),
    (
        "TREATMENTS",
        {**T, "start_month": 2, "start_day": 30},
        "start_day",
        "La date « Date de début » n'existe pas.",
        "La date « %(field)s » n'existe pas.",
        {"field": "Date de début"},
    ),
    (
        "TREATMENTS",
        {**T, "start_month": 13},
        "start_month",
        "Le mois de « Date de début » doit être entre 1 et 12.",
        "Le mois de « %(field)s » doit être entre 1 et 12.",
        {"field": "Date de début"},
    ),
    (
        "FAMILY_HISTORIES",
        {"name": "Diabète", "relationship": "COUSIN"},
        "relationship",
        "Le champ « Lien de parenté » contient un choix inconnu.",
        "Le champ « %(field)s » contient un choix inconnu.",
        {"field": "Lien de parenté"},
    ),
    (
        "HOSPITALIZATIONS",
        {"name": "Fracture", "start_year": 2020, "duration": 3},
        "duration_unit",
        "Le champ « Unité de durée » est obligatoire.",
        "Le champ « %(field)s » est obligatoire.",
        {"field": "Unité de durée"},
    ),
    (
        "ENTOURAGE",
        {"name": "Paul", "relationship": "SPOUSE", "phone": "abc"},
        "phone",
        "Le numéro de téléphone n'est pas valide.",
        "Le numéro de téléphone n'est pas valide.",
        {},
    ),
    (
        "ENTOURAGE",
        {"name": "Paul", "relationship": "SPOUSE", "phone": "0612345678", "email": "paul@"},
        "email",
        "L'adresse e-mail n'est pas valide.",
        "L'adresse e-mail n'est pas valide.",
        {},
    ),
]


def _refuse(profile: Profile, section: str, data: dict[str, Any]) -> DomainError:
    with pytest.raises(DomainError) as error:
        services.profile_item_create(
            actor=profile.holder, patient_id=profile.patient.pk, section=section, data=data
        )
    return error.value


@pytest.mark.parametrize(("section", "data", "field", "french", "msgid", "params"), CASES)
def test_bad_input_is_refused_in_french_naming_the_field_r_pml_3(
    profile: Profile,
    section: str,
    data: dict[str, Any],
    field: str,
    french: str,
    msgid: str,
    params: dict[str, Any],
) -> None:
    error = _refuse(profile, section, data)
    assert (error.field, str(error.message)) == (field, french)


@pytest.mark.parametrize(("section", "data", "field", "french", "msgid", "params"), CASES)
def test_bad_input_is_refused_in_english_through_gettext(
    profile: Profile,
    section: str,
    data: dict[str, Any],
    field: str,
    french: str,
    msgid: str,
    params: dict[str, Any],
) -> None:
    """The English catalogue is filled later: assert the message is the gettext of the French msgid."""
    with translation.override("en"):
        error = _refuse(profile, section, data)
        translated = {k: gettext(v) if isinstance(v, str) else v for k, v in params.items()}
        expected = gettext(msgid) % translated if params else gettext(msgid)
        assert (error.field, str(error.message)) == (field, expected)


def test_a_refused_item_leaves_no_row_and_no_trace_of_success_invariant_9(profile: Profile) -> None:
    _refuse(profile, "TREATMENTS", {**T, "comment": "x" * 3001})
    assert not Treatment.objects.exists()
    assert not Trace.objects.filter(patient_id=profile.patient.pk, action="PROFILE_CREATE").exists()


def test_a_refused_edit_leaves_the_item_unchanged_invariant_9(profile: Profile) -> None:
    row = services.profile_item_create(
        actor=profile.holder, patient_id=profile.patient.pk, section="TREATMENTS", data=T
    )
    with pytest.raises(DomainError):
        services.profile_item_update(
            actor=profile.holder,
            patient_id=profile.patient.pk,
            section="TREATMENTS",
            item_public_id=row.public_id,
            data={"name": "Nouveau nom", "start_year": 2020, "end_year": 2010},
        )
    row.refresh_from_db()
    assert row.name == "Levothyrox"
    assert not Trace.objects.filter(patient_id=profile.patient.pk, action="PROFILE_UPDATE").exists()


def test_a_month_only_end_in_the_start_month_is_accepted(profile: Profile) -> None:
    """Partial dates compare by the range they designate: 03/2020 may end on 15/03/2020."""
    row = services.profile_item_create(
        actor=profile.holder,
        patient_id=profile.patient.pk,
        section="TREATMENTS",
        data={
            "name": "Antibiotique",
            "start_year": 2020,
            "start_month": 3,
            "start_day": 15,
            "end_year": 2020,
            "end_month": 3,
        },
    )
    assert str(row.end) == "03/2020"  # type: ignore[attr-defined]
