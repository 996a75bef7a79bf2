"""Identity registry use cases: register persons (INS), professionals (RPPS) and organisations (FINESS).

Each ``*_register`` function validates everything first (raising ``ValidationError`` keyed by field,
with French messages), then writes inside one transaction and traces the act there (invariant 2).
They are idempotent: registering the same identifier with the same data changes nothing and traces
nothing; new data updates the row (``updated_at`` from ``carnet.common.clock``) and is traced with the
names of the changed fields only (never their values: no NIR, no contact data in traces).

The ``*_clean`` functions are the pure validation half, shared with the bulk importers
(``identity.importers``), which batch the database work but apply the very same rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from carnet.audit.services import trace
from carnet.common import clock
from carnet.common.actors import Actor
from carnet.common.text import strip_bidi_controls

from . import codes, validators
from .hashing import vitale_hash
from .models import Organisation, Person, PracticePlace, Professional, Sex

Errors = dict[str, list[str | Promise]]

# Professionals and organisations come from the national directory feed (RPPS / FINESS).
DIRECTORY_ACTOR = Actor.system("annuaire-sante")
EARLIEST_BIRTH_DATE = date(1880, 1, 1)
_NAME_RE = re.compile(r"^[^\W\d_]+(?:[ '\-][^\W\d_]+)*$")


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def _add(errors: Errors, name: str, message: str | Promise) -> None:
    errors.setdefault(name, []).append(message)


def _collapse(value: str | None) -> str:
    """One line, single spaces, no bidi controls (imported names are shown to others: no spoofing)."""
    return " ".join(strip_bidi_controls(value or "").split())


def _clean_name(
    errors: Errors, name: str, value: str | None, *, label: str, max_length: int, required: bool
) -> str:
    cleaned = _collapse(value)
    if not cleaned:
        if required:
            _add(errors, name, _("Le champ « %(label)s » est obligatoire.") % {"label": label})
        return ""
    if len(cleaned) > max_length:
        _add(
            errors,
            name,
            _("Le champ « %(label)s » ne doit pas dépasser %(max)s caractères.")
            % {"label": label, "max": max_length},
        )
    elif not all(_NAME_RE.match(part) for part in cleaned.split(" ")):
        _add(
            errors,
            name,
            _("Le champ « %(label)s » ne doit contenir que des lettres, espaces, tirets et apostrophes.")
            % {"label": label},
        )
    return cleaned


def _clean_email(errors: Errors, name: str, value: str | None) -> str:
    cleaned = (value or "").strip()
    if not cleaned:
        return ""
    try:
        validate_email(cleaned)
    except ValidationError:
        _add(errors, name, _("L'adresse e-mail n'est pas valide."))
        return ""
    local, _sep, domain = cleaned.rpartition("@")
    return f"{local}@{domain.lower()}"


def _clean_with(errors: Errors, name: str, check: Any, *args: Any) -> Any:
    try:
        return check(*args)
    except ValidationError as exc:
        errors.setdefault(name, []).extend(exc.messages)
        return None


def _parse_date(value: date | str | None) -> date | None:
    if isinstance(value, date):
        return value
    text = (value or "").strip()
    for pattern, order in ((r"(\d{4})-(\d{2})-(\d{2})", "ymd"), (r"(\d{2})/(\d{2})/(\d{4})", "dmy")):
        match = re.fullmatch(pattern, text)
        if match:
            a, b, c = (int(g) for g in match.groups())
            year, month, day = (a, b, c) if order == "ymd" else (c, b, a)
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None


# --- persons (R-ID-1..4, R-LC-10) ----------------------------------------------------------------


@dataclass(frozen=True)
class PersonData:
    """A validated, normalised INS identity with its contact data, ready to be written."""

    ins_matricule: str
    ins_oid: str
    birth_name: str
    first_names: str
    birth_date: date
    sex: str
    birth_place_cog: str
    used_name: str = ""
    email: str = ""
    phone: str = ""
    vitale_serial_hash: str = ""
    insured_under: str = ""  # the parent's matricule (R-ID-4), resolved to a Person when written


def person_clean(
    *,
    ins_matricule: str,
    ins_oid: str,
    birth_name: str,
    first_names: str,
    birth_date: date | str | None,
    sex: str,
    birth_place_cog: str,
    used_name: str = "",
    email: str = "",
    phone: str = "",
    vitale_serial: str = "",
    insured_under: str = "",
) -> PersonData:
    """Validate an INS identity (R-ID-2, R-ID-3), its traits, contact data and carte Vitale serial (R-LC-10).

    Raises ``ValidationError`` with every field at fault (dict form); no database access.
    """
    errors: Errors = {}
    matricule = _clean_with(errors, "ins_matricule", validators.validate_nir, ins_matricule)
    oid = _clean_with(errors, "ins_oid", validators.validate_ins_oid, ins_oid)
    cleaned_birth_name = _clean_name(
        errors, "birth_name", birth_name, label=str(_("nom de naissance")), max_length=100, required=True
    )
    cleaned_first_names = _clean_name(
        errors,
        "first_names",
        first_names,
        label=str(_("prénoms de naissance")),
        max_length=200,
        required=True,
    )
    cleaned_used_name = _clean_name(
        errors, "used_name", used_name, label=str(_("nom d'usage")), max_length=100, required=False
    )
    born = _parse_date(birth_date)
    if born is None:
        _add(errors, "birth_date", _("La date de naissance est obligatoire, au format AAAA-MM-JJ."))
    elif born > clock.today():
        _add(errors, "birth_date", _("La date de naissance ne peut pas être dans le futur."))
        born = None
    elif born < EARLIEST_BIRTH_DATE:
        _add(errors, "birth_date", _("La date de naissance est trop ancienne."))
        born = None
    cleaned_sex = (sex or "").strip().upper()
    if cleaned_sex not in Sex.values:
        _add(errors, "sex", _("Le sexe doit être « F » (féminin) ou « M » (masculin)."))
        cleaned_sex = ""
    cog = _clean_with(errors, "birth_place_cog", validators.validate_cog, birth_place_cog)

    # R-ID-2: the matricule must agree with its OID and with the traits it encodes.
    if matricule and oid:
        nir_sex = _clean_with(errors, "ins_matricule", validators.validate_matricule_for_oid, matricule, oid)
        if nir_sex and cleaned_sex and nir_sex != cleaned_sex:
            _add(
                errors,
                "sex",
                _("Le sexe ne correspond pas au premier chiffre du numéro de sécurité sociale."),
            )
    if matricule and born:
        if int(matricule[1:3]) != born.year % 100:
            _add(
                errors,
                "birth_date",
                _(
                    "L'année de naissance ne correspond pas au numéro de sécurité sociale "
                    "(3e et 4e chiffres)."
                ),
            )
        month = int(matricule[3:5])
        if not validators.nir_month_is_special(month) and month != born.month:
            if 1 <= month <= 12:
                message = _(
                    "Le mois de naissance ne correspond pas au numéro de sécurité sociale "
                    "(5e et 6e chiffres)."
                )
            else:
                message = _(
                    "Le mois de naissance indiqué dans le numéro de sécurité sociale n'est pas valide."
                )
            _add(errors, "birth_date", message)

    cleaned_email = _clean_email(errors, "email", email)
    cleaned_phone = ""
    if (phone or "").strip():
        cleaned_phone = _clean_with(errors, "phone", validators.validate_mobile_phone, phone) or ""
    serial_hash = ""
    if (vitale_serial or "").strip():
        serial = _clean_with(
            errors, "vitale_serial", validators.validate_vitale_serial, vitale_serial, matricule or ""
        )
        serial_hash = vitale_hash(serial) if serial else ""
    parent = ""
    if (insured_under or "").strip():
        parent = _clean_with(errors, "insured_under", validators.validate_nir, insured_under) or ""
        if parent and parent == matricule:
            _add(
                errors,
                "insured_under",
                _("L'ouvrant droit doit être une autre personne que l'assuré lui-même."),
            )
    if errors:
        raise ValidationError(errors)
    assert born is not None
    return PersonData(
        ins_matricule=matricule,
        ins_oid=oid,
        birth_name=cleaned_birth_name,
        first_names=cleaned_first_names,
        birth_date=born,
        sex=cleaned_sex,
        birth_place_cog=cog,
        used_name=cleaned_used_name,
        email=cleaned_email,
        phone=cleaned_phone,
        vitale_serial_hash=serial_hash,
        insured_under=parent,
    )


# Fields always taken from the register; contact data and the carte Vitale hash only when given
# (an empty cell in an extract means "not provided", never "erase").
_PERSON_TRAITS = ("ins_oid", "birth_name", "first_names", "birth_date", "sex", "birth_place_cog", "used_name")
_PERSON_OPTIONAL = ("email", "phone", "vitale_serial_hash")


def person_changes(person: Person, data: PersonData, parent: Person | None) -> dict[str, Any]:
    """The fields of ``person`` that ``data`` would change (name -> new value)."""
    changes: dict[str, Any] = {}
    for name in _PERSON_TRAITS:
        if getattr(person, name) != getattr(data, name):
            changes[name] = getattr(data, name)
    for name in _PERSON_OPTIONAL:
        value = getattr(data, name)
        if value and getattr(person, name) != value:
            changes[name] = value
    if parent is not None and person.insured_under_id != parent.pk:
        changes["insured_under"] = parent
    return changes


def person_build(data: PersonData, parent: Person | None) -> Person:
    """An unsaved Person for ``data`` (used by ``person_register`` and the bulk importer)."""
    now = clock.now()
    return Person(
        ins_matricule=data.ins_matricule,
        ins_oid=data.ins_oid,
        birth_name=data.birth_name,
        first_names=data.first_names,
        used_name=data.used_name,
        birth_date=data.birth_date,
        sex=data.sex,
        birth_place_cog=data.birth_place_cog,
        email=data.email,
        phone=data.phone,
        vitale_serial_hash=data.vitale_serial_hash,
        insured_under=parent,
        created_at=now,
        updated_at=now,
    )


def person_trace(*, person: Person, actor: Actor, outcome: Outcome, changed: Iterable[str] = ()) -> None:
    """R-ID-1: trace a registration or update in the person's history (caller is inside the transaction)."""
    details = {"changed": sorted(changed)} if outcome is Outcome.UPDATED else {}
    trace(
        actor=actor,
        action="PERSON_REGISTERED" if outcome is Outcome.CREATED else "PERSON_UPDATED",
        patient_id=person.pk,
        group="general",
        object_type="person",
        object_id=str(person.public_id),
        details=details,
    )


def person_apply_changes(*, person: Person, changes: Mapping[str, Any], actor: Actor) -> None:
    """Write ``changes`` to ``person`` and trace them (caller is inside the transaction)."""
    for name, value in changes.items():
        setattr(person, name, value)
    person.updated_at = clock.now()
    person.save(update_fields=[*changes, "updated_at"])
    person_trace(person=person, actor=actor, outcome=Outcome.UPDATED, changed=changes)


def person_register_outcome(
    *,
    ins_matricule: str,
    ins_oid: str,
    birth_name: str,
    first_names: str,
    birth_date: date | str | None,
    sex: str,
    birth_place_cog: str,
    used_name: str = "",
    email: str = "",
    phone: str = "",
    vitale_serial: str = "",
    insured_under: str = "",
    actor: Actor | None = None,
) -> tuple[Person, Outcome]:
    """``person_register`` that also says whether the person was created, updated or left unchanged."""
    data = person_clean(
        ins_matricule=ins_matricule,
        ins_oid=ins_oid,
        birth_name=birth_name,
        first_names=first_names,
        birth_date=birth_date,
        sex=sex,
        birth_place_cog=birth_place_cog,
        used_name=used_name,
        email=email,
        phone=phone,
        vitale_serial=vitale_serial,
        insured_under=insured_under,
    )
    actor = actor or Actor.insurance()
    with transaction.atomic():
        parent = None
        if data.insured_under:
            parent = Person.objects.filter(ins_matricule=data.insured_under).first()
            if parent is None:
                raise ValidationError(
                    {"insured_under": [_("Aucun assuré n'est enregistré sous ce numéro d'ouvrant droit.")]}
                )
        person = Person.objects.select_for_update(of=("self",)).filter(ins_matricule=data.ins_matricule).first()
        if person is None:
            person = person_build(data, parent)
            person.save()
            person_trace(person=person, actor=actor, outcome=Outcome.CREATED)
            return person, Outcome.CREATED
        changes = person_changes(person, data, parent)
        if not changes:
            return person, Outcome.UNCHANGED
        person_apply_changes(person=person, changes=changes, actor=actor)
        return person, Outcome.UPDATED


def person_register(
    *,
    ins_matricule: str,
    ins_oid: str,
    birth_name: str,
    first_names: str,
    birth_date: date | str | None,
    sex: str,
    birth_place_cog: str,
    used_name: str = "",
    email: str = "",
    phone: str = "",
    vitale_serial: str = "",
    insured_under: str = "",
    actor: Actor | None = None,
) -> Person:
    """R-ID-1..4: create or update a Person from INS data (the insurance register is the source of truth).

    ``vitale_serial`` (R-LC-10) is stored only as ``hashing.vitale_hash``; ``insured_under`` is the
    NIR of the parent under whom a child is insured (R-ID-4) and must already be registered.
    Empty contact fields keep the known values. Traced as ``PERSON_REGISTERED`` / ``PERSON_UPDATED``
    by ``actor`` (default: the Assurance Maladie feed).
    """
    person, _outcome = person_register_outcome(
        ins_matricule=ins_matricule,
        ins_oid=ins_oid,
        birth_name=birth_name,
        first_names=first_names,
        birth_date=birth_date,
        sex=sex,
        birth_place_cog=birth_place_cog,
        used_name=used_name,
        email=email,
        phone=phone,
        vitale_serial=vitale_serial,
        insured_under=insured_under,
        actor=actor,
    )
    return person


# --- organisations (FINESS, J02) ------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationData:
    finess: str
    name: str
    facility_type_code: str
    address: str = ""
    city: str = ""


def _clean_text(
    errors: Errors, name: str, value: str | None, *, label: str, max_length: int, required: bool
) -> str:
    cleaned = _collapse(value)
    if required and not cleaned:
        _add(errors, name, _("Le champ « %(label)s » est obligatoire.") % {"label": label})
    elif len(cleaned) > max_length:
        _add(
            errors,
            name,
            _("Le champ « %(label)s » ne doit pas dépasser %(max)s caractères.")
            % {"label": label, "max": max_length},
        )
    return cleaned


def organisation_clean(
    *, finess: str, name: str, facility_type_code: str, address: str = "", city: str = ""
) -> OrganisationData:
    """Validate an establishment: FINESS with its Luhn key, a name, a J02 facility type."""
    errors: Errors = {}
    cleaned_finess = _clean_with(errors, "finess", validators.validate_finess, finess)
    cleaned_name = _clean_text(
        errors, "name", name, label=str(_("nom de l'établissement")), max_length=200, required=True
    )
    type_code = (facility_type_code or "").strip()
    if not type_code:
        _add(errors, "facility_type_code", _("Le type d'établissement (nomenclature J02) est obligatoire."))
    elif type_code not in codes.facility_types():
        _add(
            errors,
            "facility_type_code",
            _("Le type d'établissement n'est pas un code de la nomenclature J02."),
        )
    cleaned_address = _clean_text(
        errors, "address", address, label=str(_("adresse")), max_length=300, required=False
    )
    cleaned_city = _clean_text(errors, "city", city, label=str(_("commune")), max_length=100, required=False)
    if errors:
        raise ValidationError(errors)
    return OrganisationData(
        finess=cleaned_finess,
        name=cleaned_name,
        facility_type_code=type_code,
        address=cleaned_address,
        city=cleaned_city,
    )


def organisation_save(*, data: OrganisationData, actor: Actor) -> tuple[Organisation, Outcome]:
    """Create or update the organisation (caller is inside the transaction); traced on the system chain."""
    org = Organisation.objects.select_for_update(of=("self",)).filter(finess=data.finess).first()
    values = {"name": data.name, "facility_type_code": data.facility_type_code}
    values |= {k: v for k, v in (("address", data.address), ("city", data.city)) if v}
    if org is None:
        org = Organisation.objects.create(finess=data.finess, **values)
        outcome, changed = Outcome.CREATED, list(values)
    else:
        changed = [k for k, v in values.items() if getattr(org, k) != v]
        if not changed:
            return org, Outcome.UNCHANGED
        for k in changed:
            setattr(org, k, values[k])
        org.save(update_fields=changed)
        outcome = Outcome.UPDATED
    trace(
        actor=actor,
        action="ORGANISATION_REGISTERED" if outcome is Outcome.CREATED else "ORGANISATION_UPDATED",
        patient_id=None,
        object_type="organisation",
        object_id=str(org.public_id),
        details={"changed": sorted(changed)} if outcome is Outcome.UPDATED else {},
    )
    return org, outcome


def organisation_register(
    *,
    finess: str,
    name: str,
    facility_type_code: str,
    address: str = "",
    city: str = "",
    actor: Actor | None = None,
) -> Organisation:
    """Create or update an establishment identified by its FINESS number (SPEC §11, directory)."""
    data = organisation_clean(
        finess=finess, name=name, facility_type_code=facility_type_code, address=address, city=city
    )
    with transaction.atomic():
        org, _outcome = organisation_save(data=data, actor=actor or DIRECTORY_ACTOR)
    return org


# --- professionals (RPPS, G15 profession, specialty) ---------------------------------------------


@dataclass(frozen=True)
class PracticePlaceData:
    name: str
    address: str = ""
    city: str = ""
    organisation: OrganisationData | None = None


@dataclass(frozen=True)
class ProfessionalData:
    rpps: str
    last_name: str
    first_name: str
    profession_code: str
    specialty_code: str = ""
    email: str = ""
    phone: str = ""
    places: tuple[PracticePlaceData, ...] = field(default_factory=tuple)


def practice_place_clean(
    *,
    name: str = "",
    address: str = "",
    city: str = "",
    finess: str = "",
    organisation_name: str = "",
    facility_type_code: str = "",
) -> PracticePlaceData | None:
    """A practice place, optionally in an establishment (FINESS); None when the row names no place."""
    errors: Errors = {}
    organisation = None
    if (finess or "").strip():
        try:
            organisation = organisation_clean(
                finess=finess, name=organisation_name, facility_type_code=facility_type_code
            )
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault("organisation_name" if key == "name" else key, []).extend(messages)
    cleaned_name = _clean_text(
        errors, "place_name", name, label=str(_("lieu d'exercice")), max_length=200, required=False
    )
    cleaned_address = _clean_text(
        errors, "address", address, label=str(_("adresse")), max_length=300, required=False
    )
    cleaned_city = _clean_text(errors, "city", city, label=str(_("commune")), max_length=100, required=False)
    if not cleaned_name and organisation is not None:
        cleaned_name = organisation.name
    if (
        not cleaned_name
        and (cleaned_address or cleaned_city)
        and not (finess or "").strip()
        and "place_name" not in errors
    ):
        _add(
            errors, "place_name", _("Le nom du lieu d'exercice est obligatoire quand une adresse est donnée.")
        )
    if errors:
        raise ValidationError(errors)
    if not cleaned_name:
        return None
    return PracticePlaceData(
        name=cleaned_name, address=cleaned_address, city=cleaned_city, organisation=organisation
    )


def professional_clean(
    *,
    rpps: str,
    last_name: str,
    first_name: str,
    profession_code: str,
    specialty_code: str = "",
    email: str = "",
    phone: str = "",
    practice_places: Sequence[PracticePlaceData] = (),
) -> ProfessionalData:
    """Validate a directory entry: RPPS (Luhn), names, a G15 profession and one of its specialties."""
    errors: Errors = {}
    cleaned_rpps = _clean_with(errors, "rpps", validators.validate_rpps, rpps)
    cleaned_last = _clean_name(
        errors, "last_name", last_name, label=str(_("nom")), max_length=100, required=True
    )
    cleaned_first = _clean_name(
        errors, "first_name", first_name, label=str(_("prénom")), max_length=100, required=True
    )
    profession = (profession_code or "").strip()
    specialty = (specialty_code or "").strip()
    if not profession:
        _add(errors, "profession_code", _("Le code profession (nomenclature G15) est obligatoire."))
    elif profession not in codes.professions():
        _add(errors, "profession_code", _("Le code profession n'est pas un code de la nomenclature G15."))
    elif specialty:
        if "/" not in specialty:
            specialty = f"{profession}/{specialty}"
        if specialty not in codes.specialties(profession):
            _add(
                errors,
                "specialty_code",
                _("Cette spécialité n'existe pas pour la profession indiquée (%(profession)s).")
                % {"profession": codes.profession_label(profession)},
            )
    cleaned_email = _clean_email(errors, "email", email)
    cleaned_phone = ""
    if (phone or "").strip():
        cleaned_phone = _clean_with(errors, "phone", validators.validate_phone, phone) or ""
    if errors:
        raise ValidationError(errors)
    return ProfessionalData(
        rpps=cleaned_rpps,
        last_name=cleaned_last,
        first_name=cleaned_first,
        profession_code=profession,
        specialty_code=specialty,
        email=cleaned_email,
        phone=cleaned_phone,
        places=tuple(practice_places),
    )


_PRO_FIELDS = ("last_name", "first_name", "profession_code", "specialty_code")
_PRO_OPTIONAL = ("email", "phone")


def professional_save(
    *, data: ProfessionalData, actor: Actor, existing: Professional | None = None, lookup: bool = True
) -> tuple[Professional, Outcome]:
    """Create or update a professional and add his practice places (caller is inside the transaction).

    Places are added or completed, never removed: a directory extract lists one place per row.
    """
    pro = existing
    if pro is None and lookup:
        pro = Professional.objects.select_for_update(of=("self",)).filter(rpps=data.rpps).first()
    now = clock.now()
    changed: list[str] = []
    if pro is None:
        pro = Professional.objects.create(
            rpps=data.rpps,
            last_name=data.last_name,
            first_name=data.first_name,
            profession_code=data.profession_code,
            specialty_code=data.specialty_code,
            email=data.email,
            phone=data.phone,
            created_at=now,
            updated_at=now,
        )
        outcome = Outcome.CREATED
    else:
        changed = [name for name in _PRO_FIELDS if getattr(pro, name) != getattr(data, name)]
        changed += [
            name
            for name in _PRO_OPTIONAL
            if getattr(data, name) and getattr(pro, name) != getattr(data, name)
        ]
        for name in changed:
            setattr(pro, name, getattr(data, name))
        outcome = Outcome.UPDATED if changed else Outcome.UNCHANGED
    for place in data.places:
        if _practice_place_save(pro=pro, place=place, actor=actor):
            changed.append("practice_places")
            outcome = Outcome.UPDATED if outcome is Outcome.UNCHANGED else outcome
    if outcome is Outcome.UNCHANGED:
        return pro, outcome
    if outcome is Outcome.UPDATED:
        pro.updated_at = now
        pro.save(update_fields=[n for n in dict.fromkeys(changed) if n != "practice_places"] + ["updated_at"])
    trace(
        actor=actor,
        action="PROFESSIONAL_REGISTERED" if outcome is Outcome.CREATED else "PROFESSIONAL_UPDATED",
        patient_id=None,
        object_type="professional",
        object_id=str(pro.public_id),
        details={"changed": sorted(set(changed))} if outcome is Outcome.UPDATED else {},
    )
    return pro, outcome


def _practice_place_save(*, pro: Professional, place: PracticePlaceData, actor: Actor) -> bool:
    """Add or complete one practice place; True when something changed."""
    changed = False
    org = None
    if place.organisation is not None:
        org, org_outcome = organisation_save(data=place.organisation, actor=actor)
        changed = org_outcome is not Outcome.UNCHANGED
    existing = PracticePlace.objects.filter(professional=pro, name=place.name, address=place.address).first()
    if existing is None:
        PracticePlace.objects.create(
            professional=pro, organisation=org, name=place.name, address=place.address, city=place.city
        )
        return True
    updates: dict[str, Any] = {}
    if org is not None and existing.organisation_id != org.pk:
        updates["organisation"] = org
    if place.city and existing.city != place.city:
        updates["city"] = place.city
    if updates:
        for name, value in updates.items():
            setattr(existing, name, value)
        existing.save(update_fields=list(updates))
        changed = True
    return changed


def professional_register(
    *,
    rpps: str,
    last_name: str,
    first_name: str,
    profession_code: str,
    specialty_code: str = "",
    email: str = "",
    phone: str = "",
    practice_places: Sequence[Mapping[str, str]] = (),
    actor: Actor | None = None,
) -> Professional:
    """Create or update a professional from the directory (RPPS), with his practice places.

    ``practice_places`` items take the keys of ``practice_place_clean`` (name, address, city,
    finess, organisation_name, facility_type_code). ``specialty_code`` may be given in full
    (``G15_10/SM26``) or short (``SM26``); it must belong to ``profession_code`` (G15).
    """
    errors: Errors = {}
    places: list[PracticePlaceData] = []
    for index, raw in enumerate(practice_places):
        try:
            place = practice_place_clean(**raw)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(f"practice_places.{index}.{key}", []).extend(messages)
            continue
        if place is not None:
            places.append(place)
    try:
        data = professional_clean(
            rpps=rpps,
            last_name=last_name,
            first_name=first_name,
            profession_code=profession_code,
            specialty_code=specialty_code,
            email=email,
            phone=phone,
            practice_places=places,
        )
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        pro, _outcome = professional_save(data=data, actor=actor or DIRECTORY_ACTOR)
    return pro
