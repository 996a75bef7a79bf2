"""Writes of the medical profile (SPEC §4): one transaction each, asked to the policy, traced.

Every service

1. builds the access scope (``access.gateway.access_scope``) and asks THE policy for the *section*
   (``profile.policy.decide_section`` → ``access.policy``: holder, legal representative of a minor and
   caregiver write, R-DEL-2; professionals never write here, R-PML-1; minors have no advance directives,
   R-MIN-3, nor trusted person, CSP L1111-6; a caregiver does not make the holder's personal acts [I]);
   a refusal writes only a ``DENY`` trace and raises ``NotFoundOrForbidden`` (the same as a missing patient
   or item);
2. validates everything and raises a ``DomainError`` naming the field (invariant 9): names ≤ 100 and
   comments ≤ 3000 characters (R-PML-3), partial dates valid and not in the future, end ≥ start, choices
   from the SPEC lists, linked documents the actor may see (through the records selector) and linked
   treatments of the same patient;
3. writes the rows and ONE trace in one transaction (invariant 2), in the patient's chain with group
   ``"general"`` (the profile is neither a document nor a third-party service, R-TR-3). Traces carry the
   section, the item's public id and the *names* of the changed fields, never their values.

"Not concerned" flags (R-PML-2): setting one is refused while the section has items; adding an item to a
section removes its flag in the same transaction.

Advance directives (R-PML-4, R-MIN-3): a guided form generates a PDF, or the holder uploads a document;
either becomes a record document of type EXPPAT_3 (category DIR_ANT) deposited by the holder's side, and
replaces (deletes) the previous one in the same transaction.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from carnet.access import gateway
from carnet.access.facts import Action, ProfileSection
from carnet.access.gateway import AccessScope
from carnet.access.policy import Decision
from carnet.access.services import deny
from carnet.audit.services import trace
from carnet.common import clock
from carnet.common.actors import Actor
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.common.text import strip_bidi_controls

from .models import (
    COMMENT_MAX,
    HELP_MAX,
    NAME_MAX,
    POSOLOGY_MAX,
    AdvanceDirectives,
    Allergy,
    BloodGroup,
    BloodGroupValue,
    ContactRelationship,
    DirectivesSource,
    Disability,
    DisabilityKind,
    DisabilityRate,
    Disease,
    DurationUnit,
    EmergencyContact,
    FamilyHistory,
    FamilyRelationship,
    Hospitalisation,
    Lifestyle,
    LifestyleSection,
    NotConcerned,
    NotConcernedSection,
    OrganDonationStatement,
    PartialDate,
    ProfileRow,
    Treatment,
    TrustedPerson,
)
from .policy import decide_section

NOT_FOUND = _("Élément introuvable ou action non autorisée.")
TRACE_GROUP = "general"
MIN_YEAR = 1900
MAX_EMERGENCY_CONTACTS = 10  # [I]
DURATION_MAX = 999  # [I]

# [I] Lifestyle sections and their structured choices (SPEC §4 "Habitudes de vie").
LIFESTYLE_CHOICES: dict[str, list[tuple[str, Any]]] = {
    LifestyleSection.FOOD: [
        ("VARIED", _("Variée et équilibrée")),
        ("SOMETIMES_UNBALANCED", _("Parfois déséquilibrée")),
        ("UNBALANCED", _("Souvent déséquilibrée")),
        ("SPECIFIC_DIET", _("Régime particulier")),
    ],
    LifestyleSection.PHYSICAL_ACTIVITY: [
        ("NONE", _("Aucune")),
        ("OCCASIONAL", _("Occasionnelle")),
        ("REGULAR", _("Régulière (au moins 30 minutes par jour)")),
        ("INTENSE", _("Intense")),
    ],
    LifestyleSection.SLEEP: [
        ("GOOD", _("Je dors bien")),
        ("SOMETIMES_DIFFICULT", _("J'ai parfois des difficultés à dormir")),
        ("OFTEN_DIFFICULT", _("J'ai souvent des difficultés à dormir")),
    ],
    LifestyleSection.SCREEN: [
        ("LESS_1H", _("Moins d'une heure par jour")),
        ("FROM_1_TO_3H", _("De 1 à 3 heures par jour")),
        ("FROM_3_TO_5H", _("De 3 à 5 heures par jour")),
        ("MORE_5H", _("Plus de 5 heures par jour")),
    ],
    LifestyleSection.ALCOHOL: [
        ("NEVER", _("Jamais")),
        ("OCCASIONAL", _("Occasionnellement")),
        ("WEEKLY", _("Chaque semaine")),
        ("DAILY", _("Tous les jours")),
        ("FORMER", _("J'ai arrêté")),
    ],
    LifestyleSection.TOBACCO: [
        ("NEVER", _("Je n'ai jamais fumé")),
        ("FORMER", _("J'ai arrêté")),
        ("OCCASIONAL", _("Occasionnellement")),
        ("DAILY", _("Tous les jours")),
    ],
}
# [I] SPEC §4: "some editable only ≥15 y / ≥3 y". Alcohol and tobacco from 15 years old; food, physical
# activity and screens from 3 years old; sleep at any age.
LIFESTYLE_MIN_AGE: dict[str, int] = {
    LifestyleSection.FOOD: 3,
    LifestyleSection.PHYSICAL_ACTIVITY: 3,
    LifestyleSection.SLEEP: 0,
    LifestyleSection.SCREEN: 3,
    LifestyleSection.ALCOHOL: 15,
    LifestyleSection.TOBACCO: 15,
}


def _error(message: Any, field: str, code: str = "invalid") -> DomainError:
    return DomainError(message, code=code, field=field)


# --------------------------------------------------------------------------------------------------
# Scope, decision, trace


def _scope(actor: Actor, patient_id: int) -> AccessScope:
    scope = gateway.access_scope(actor=actor, patient_id=patient_id)
    if scope.holder is None:
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    return scope


def _require(scope: AccessScope, section: ProfileSection, trace_action: str, object_id: str = "") -> Decision:
    """THE policy's answer for writing ``section``; a refusal is traced (DENY) and raised."""
    decision = decide_section(scope, section, Action.PROFILE_WRITE)
    if not decision:
        error: DomainError = NotFoundOrForbidden(NOT_FOUND, code="not_found")
        if decision.rule in {"R-MIN-3", "L1111-6"}:
            error = DomainError(
                _("Cette rubrique n'est pas accessible aux mineurs."), code="minor", field=None
            )
        raise deny(
            scope,
            action=trace_action,
            decision=decision,
            group=TRACE_GROUP,
            object_type="profile",
            object_id=object_id or str(section),
            error=error,
        )
    return decision


def _trace(
    scope: AccessScope,
    *,
    action: str,
    decision: Decision,
    section: ProfileSection | str,
    object_id: str = "",
    fields: Iterable[str] = (),
    **details: Any,
) -> None:
    trace(
        actor=scope.actor,
        action=action,
        patient_id=scope.patient_id,
        group=TRACE_GROUP,
        object_type="profile",
        object_id=object_id or str(section),
        mode=str(scope.mode),
        details={"rule": decision.rule, "section": str(section), "fields": sorted(fields), **details},
    )


def _stamp(row: ProfileRow, scope: AccessScope, *, created: bool) -> None:
    now = clock.now()
    actor = scope.actor
    ident, kind, label = str(actor.id)[:64], str(actor.kind), (actor.label or "")[:150]
    if created:
        row.patient_id = scope.patient_id
        row.created_at, row.created_by_id, row.created_by_kind, row.created_by_label = now, ident, kind, label
    row.updated_at, row.updated_by_id, row.updated_by_kind, row.updated_by_label = now, ident, kind, label


# --------------------------------------------------------------------------------------------------
# Field validation (invariant 9: every error names its field)


def _text(data: Mapping[str, Any], name: str, label: Any, max_length: int, *, required: bool = False) -> str:
    value = data.get(name)
    text = "" if value is None else strip_bidi_controls(str(value)).strip()  # no spoofed names
    if required and not text:
        raise _error(_("Le champ « %(field)s » est obligatoire.") % {"field": label}, name, "required")
    if len(text) > max_length:
        raise _error(
            _("Le champ « %(field)s » ne doit pas dépasser %(max)s caractères.")
            % {"field": label, "max": max_length},
            name,
            "too_long",
        )
    return text


def _choice(
    data: Mapping[str, Any], name: str, label: Any, choices: Iterable[str], *, required: bool = True
) -> str:
    value = str(data.get(name) or "").strip()
    if not value:
        if required:
            raise _error(_("Le champ « %(field)s » est obligatoire.") % {"field": label}, name, "required")
        return ""
    if value not in set(choices):
        raise _error(
            _("Le champ « %(field)s » contient un choix inconnu.") % {"field": label}, name, "invalid"
        )
    return value


def _int_or_none(data: Mapping[str, Any], name: str, label: Any) -> int | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _error(
            _("Le champ « %(field)s » doit être un nombre.") % {"field": label}, name, "invalid"
        ) from None


def _partial_date(data: Mapping[str, Any], prefix: str, label: Any, *, required: bool) -> PartialDate:
    """Year (4 digits), optional month, optional day (needs the month); a real date; not in the future."""
    year = _int_or_none(data, f"{prefix}_year", label)
    month = _int_or_none(data, f"{prefix}_month", label)
    day = _int_or_none(data, f"{prefix}_day", label)
    year_field = f"{prefix}_year"
    if year is None:
        if required:
            raise _error(
                _("L'année de « %(field)s » est obligatoire.") % {"field": label}, year_field, "required"
            )
        if month is not None or day is not None:
            raise _error(_("Indiquez l'année de « %(field)s ».") % {"field": label}, year_field, "required")
        return PartialDate(None)
    if year < MIN_YEAR:
        raise _error(
            _("L'année de « %(field)s » doit être postérieure à %(min)s.")
            % {"field": label, "min": MIN_YEAR},
            year_field,
        )
    if month is not None and not 1 <= month <= 12:
        raise _error(
            _("Le mois de « %(field)s » doit être entre 1 et 12.") % {"field": label}, f"{prefix}_month"
        )
    if day is not None:
        if month is None:
            raise _error(
                _("Indiquez le mois de « %(field)s » avec le jour.") % {"field": label}, f"{prefix}_month"
            )
        try:
            date(year, month, day)
        except ValueError:
            raise _error(
                _("La date « %(field)s » n'existe pas.") % {"field": label}, f"{prefix}_day"
            ) from None
    partial = PartialDate(year, month, day)
    earliest = partial.earliest()
    if earliest is not None and earliest > clock.today():
        raise _error(
            _("La date « %(field)s » ne peut pas être dans le futur.") % {"field": label},
            year_field,
            "future",
        )
    return partial


def _check_end(start: PartialDate, end: PartialDate, prefix: str = "end") -> None:
    start_day, end_day = start.earliest(), end.latest()
    if start_day is not None and end_day is not None and end_day < start_day:
        raise _error(
            _("La date de fin doit être postérieure ou égale à la date de début."),
            f"{prefix}_year",
            "before_start",
        )


def _dates(prefix: str, value: PartialDate) -> dict[str, int | None]:
    return {f"{prefix}_year": value.year, f"{prefix}_month": value.month, f"{prefix}_day": value.day}


def _phone(data: Mapping[str, Any], name: str = "phone") -> str:
    raw = _text(data, name, _("Téléphone"), 20, required=True)
    digits = raw.replace(" ", "").replace(".", "").replace("-", "")
    if not (digits.lstrip("+").isdigit() and 8 <= len(digits.lstrip("+")) <= 15):
        raise _error(_("Le numéro de téléphone n'est pas valide."), name, "invalid")
    return raw


def _email(data: Mapping[str, Any], name: str = "email") -> str:
    value = _text(data, name, _("Adresse e-mail"), 254)
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise _error(_("L'adresse e-mail n'est pas valide."), name, "invalid") from None
    return value


def _linked_documents(scope: AccessScope, data: Mapping[str, Any]) -> list[str] | None:
    """Document public ids the actor may see, read through the records selector (policy + trace)."""
    if "linked_documents" not in data:
        return None
    wanted = [str(v).strip() for v in (data.get("linked_documents") or []) if str(v).strip()]
    if not wanted:
        return []
    try:
        normalised = list(dict.fromkeys(str(uuid.UUID(v)) for v in wanted))
    except ValueError:
        raise _error(_("Document lié introuvable."), "linked_documents", "not_found") from None
    from carnet.records.selectors import document_list_for_actor

    visible = {
        str(d.public_id) for d in document_list_for_actor(actor=scope.actor, patient_id=scope.patient_id)
    }
    if any(v not in visible for v in normalised):
        raise _error(_("Document lié introuvable."), "linked_documents", "not_found")
    return normalised


def _linked_treatments(scope: AccessScope, data: Mapping[str, Any]) -> list[Treatment] | None:
    if "linked_treatments" not in data:
        return None
    wanted = [str(v).strip() for v in (data.get("linked_treatments") or []) if str(v).strip()]
    try:
        ids = list(dict.fromkeys(uuid.UUID(v) for v in wanted))
    except ValueError:
        raise _error(_("Traitement lié introuvable."), "linked_treatments", "not_found") from None
    found = list(Treatment.objects.filter(patient_id=scope.patient_id, public_id__in=ids))
    if len(found) != len(ids):
        raise _error(_("Traitement lié introuvable."), "linked_treatments", "not_found")
    return found


# --------------------------------------------------------------------------------------------------
# List sections: specifications


@dataclass
class Cleaned:
    values: dict[str, Any]
    treatments: list[Treatment] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _clean_treatment(scope: AccessScope, data: Mapping[str, Any]) -> Cleaned:
    start = _partial_date(data, "start", _("Date de début"), required=True)
    end = _partial_date(data, "end", _("Date de fin"), required=False)
    _check_end(start, end)
    values: dict[str, Any] = {
        "name": _text(data, "name", _("Nom du traitement"), NAME_MAX, required=True),
        "comment": _text(data, "comment", _("Commentaire"), COMMENT_MAX),
        "posology": _text(data, "posology", _("Posologie"), POSOLOGY_MAX),
        **_dates("start", start),
        **_dates("end", end),
    }
    docs = _linked_documents(scope, data)
    if docs is not None:
        values["linked_documents"] = docs
    return Cleaned(values)


def _clean_allergy(scope: AccessScope, data: Mapping[str, Any]) -> Cleaned:
    values = {
        "name": _text(data, "name", _("Nom de l'allergie"), NAME_MAX, required=True),
        "comment": _text(data, "comment", _("Commentaire"), COMMENT_MAX),
    }
    return Cleaned(values, treatments=_linked_treatments(scope, data))


def _clean_disease(scope: AccessScope, data: Mapping[str, Any]) -> Cleaned:
    start = _partial_date(data, "start", _("Date de début"), required=False)
    end = _partial_date(data, "end", _("Date de fin"), required=False)
    if start.is_empty and not end.is_empty:
        raise _error(_("Indiquez la date de début avant la date de fin."), "start_year", "required")
    _check_end(start, end)
    values: dict[str, Any] = {
        "name": _text(data, "name", _("Nom de la maladie ou du sujet de santé"), NAME_MAX, required=True),
        "comment": _text(data, "comment", _("Commentaire"), COMMENT_MAX),
        **_dates("start", start),
        **_dates("end", end),
    }
    docs = _linked_documents(scope, data)
    if docs is not None:
        values["linked_documents"] = docs
    return Cleaned(values, treatments=_linked_treatments(scope, data))


def _clean_hospitalisation(scope: AccessScope, data: Mapping[str, Any]) -> Cleaned:
    start = _partial_date(data, "start", _("Date"), required=True)
    duration = _int_or_none(data, "duration", _("Durée"))
    unit = _choice(data, "duration_unit", _("Unité de durée"), DurationUnit.values, required=False)
    if duration is not None and not 1 <= duration <= DURATION_MAX:
        raise _error(
            _("La durée doit être comprise entre 1 et %(max)s.") % {"max": DURATION_MAX},
            "duration",
            "invalid",
        )
    if duration is not None and not unit:
        raise _error(
            _("Le champ « %(field)s » est obligatoire.") % {"field": _("Unité de durée")},
            "duration_unit",
            "required",
        )
    if duration is None and unit:
        raise _error(_("Indiquez la durée avec son unité."), "duration", "required")
    values: dict[str, Any] = {
        "name": _text(data, "name", _("Nom de l'hospitalisation ou de l'acte"), NAME_MAX, required=True),
        "duration": duration,
        "duration_unit": unit,
        **_dates("start", start),
    }
    docs = _linked_documents(scope, data)
    if docs is not None:
        values["linked_documents"] = docs
    return Cleaned(values)


def _clean_family_history(scope: AccessScope, data: Mapping[str, Any]) -> Cleaned:
    return Cleaned(
        {
            "name": _text(data, "name", _("Maladie"), NAME_MAX, required=True),
            "comment": _text(data, "comment", _("Commentaire"), COMMENT_MAX),
            "relationship": _choice(data, "relationship", _("Lien de parenté"), FamilyRelationship.values),
        }
    )


def _clean_disability(scope: AccessScope, data: Mapping[str, Any]) -> Cleaned:
    return Cleaned(
        {
            "kind": _choice(data, "kind", _("Type de handicap"), DisabilityKind.values),
            "rate": _choice(data, "rate", _("Taux d'incapacité"), DisabilityRate.values, required=False)
            or DisabilityRate.UNKNOWN,
            "technical_help": _text(data, "technical_help", _("Aides techniques"), HELP_MAX),
            "human_help": _text(data, "human_help", _("Aides humaines"), HELP_MAX),
            "comment": _text(data, "comment", _("Commentaire"), COMMENT_MAX),
        }
    )


def _clean_contact(scope: AccessScope, data: Mapping[str, Any]) -> Cleaned:
    return Cleaned(
        {
            "name": _text(data, "name", _("Nom et prénom"), NAME_MAX, required=True),
            "relationship": _choice(data, "relationship", _("Lien"), ContactRelationship.values),
            "phone": _phone(data),
            "email": _email(data),
            "comment": _text(data, "comment", _("Commentaire"), COMMENT_MAX),
        }
    )


@dataclass(frozen=True)
class ItemSpec:
    section: ProfileSection
    model: type[ProfileRow]
    clean: Callable[[AccessScope, Mapping[str, Any]], Cleaned]
    not_concerned: str | None = None
    max_items: int | None = None


ITEM_SPECS: dict[ProfileSection, ItemSpec] = {
    ProfileSection.TREATMENTS: ItemSpec(
        ProfileSection.TREATMENTS, Treatment, _clean_treatment, NotConcernedSection.TREATMENTS
    ),
    ProfileSection.ALLERGIES: ItemSpec(
        ProfileSection.ALLERGIES, Allergy, _clean_allergy, NotConcernedSection.ALLERGIES
    ),
    ProfileSection.DISEASES: ItemSpec(
        ProfileSection.DISEASES, Disease, _clean_disease, NotConcernedSection.DISEASES
    ),
    ProfileSection.HOSPITALIZATIONS: ItemSpec(
        ProfileSection.HOSPITALIZATIONS,
        Hospitalisation,
        _clean_hospitalisation,
        NotConcernedSection.HOSPITALIZATIONS,
    ),
    ProfileSection.FAMILY_HISTORIES: ItemSpec(
        ProfileSection.FAMILY_HISTORIES,
        FamilyHistory,
        _clean_family_history,
        NotConcernedSection.FAMILY_HISTORIES,
    ),
    ProfileSection.DISABILITIES: ItemSpec(
        ProfileSection.DISABILITIES, Disability, _clean_disability, NotConcernedSection.DISABILITIES
    ),
    ProfileSection.ENTOURAGE: ItemSpec(
        ProfileSection.ENTOURAGE, EmergencyContact, _clean_contact, None, MAX_EMERGENCY_CONTACTS
    ),
}


def item_spec(section: ProfileSection | str) -> ItemSpec:
    try:
        return ITEM_SPECS[ProfileSection(section)]
    except (KeyError, ValueError):
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found") from None


def _find(spec: ItemSpec, patient_id: int, item_public_id: uuid.UUID | str) -> ProfileRow | None:
    try:
        wanted = uuid.UUID(str(item_public_id))
    except ValueError:
        return None
    return spec.model.objects.filter(patient_id=patient_id, public_id=wanted).first()  # type: ignore[attr-defined]


def _treatment_links(row: ProfileRow) -> Any:
    """The ``linked_treatments`` manager of an allergy or a disease."""
    return cast(Any, row).linked_treatments


def _apply(row: ProfileRow, cleaned: Cleaned) -> list[str]:
    changed = [name for name, value in cleaned.values.items() if getattr(row, name, None) != value]
    for name, value in cleaned.values.items():
        setattr(row, name, value)
    return changed


# --------------------------------------------------------------------------------------------------
# List sections: create / update / delete


def profile_item_create(
    *, actor: Actor, patient_id: int, section: ProfileSection | str, data: Mapping[str, Any]
) -> ProfileRow:
    """Add an item to a list section (treatments, allergies, diseases, hospitalisations, family
    histories, disabilities, emergency contacts). Adding clears the section's "not concerned" flag
    (R-PML-2)."""
    spec = item_spec(section)
    scope = _scope(actor, patient_id)
    decision = _require(scope, spec.section, "PROFILE_CREATE")
    cleaned = spec.clean(scope, data)
    if spec.max_items is not None:
        count = spec.model.objects.filter(patient_id=patient_id).count()  # type: ignore[attr-defined]
        if count >= spec.max_items:
            raise _error(
                _("Vous pouvez enregistrer au plus %(max)s éléments dans cette rubrique.")
                % {"max": spec.max_items},
                "name",
                "too_many",
            )
    row = spec.model()
    _apply(row, cleaned)
    _stamp(row, scope, created=True)
    with transaction.atomic():
        row.save()
        if cleaned.treatments is not None:
            _treatment_links(row).set(cleaned.treatments)
        cleared = False
        if spec.not_concerned is not None:
            cleared = bool(
                NotConcerned.objects.filter(patient_id=patient_id, section=spec.not_concerned).delete()[0]
            )
        _trace(
            scope,
            action="PROFILE_CREATE",
            decision=decision,
            section=spec.section,
            object_id=str(row.public_id),
            fields=[k for k, v in cleaned.values.items() if v not in ("", None, [])],
            **({"not_concerned_cleared": True} if cleared else {}),
        )
    return row


def profile_item_update(
    *,
    actor: Actor,
    patient_id: int,
    section: ProfileSection | str,
    item_public_id: uuid.UUID | str,
    data: Mapping[str, Any],
) -> ProfileRow:
    """Edit an item (all its fields are given again, as the form sends them)."""
    spec = item_spec(section)
    scope = _scope(actor, patient_id)
    decision = _require(scope, spec.section, "PROFILE_UPDATE", str(item_public_id)[:64])
    row = _find(spec, patient_id, item_public_id)
    if row is None:
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    cleaned = spec.clean(scope, data)
    changed = _apply(row, cleaned)
    if cleaned.treatments is not None:
        before = set(_treatment_links(row).values_list("pk", flat=True))
        if before != {t.pk for t in cleaned.treatments}:
            changed.append("linked_treatments")
    _stamp(row, scope, created=False)
    with transaction.atomic():
        row.save()
        if cleaned.treatments is not None:
            _treatment_links(row).set(cleaned.treatments)
        _trace(
            scope,
            action="PROFILE_UPDATE",
            decision=decision,
            section=spec.section,
            object_id=str(row.public_id),
            fields=changed,
        )
    return row


def profile_item_delete(
    *, actor: Actor, patient_id: int, section: ProfileSection | str, item_public_id: uuid.UUID | str
) -> None:
    spec = item_spec(section)
    scope = _scope(actor, patient_id)
    decision = _require(scope, spec.section, "PROFILE_DELETE", str(item_public_id)[:64])
    row = _find(spec, patient_id, item_public_id)
    if row is None:
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    with transaction.atomic():
        public_id = str(row.public_id)
        row.delete()
        _trace(scope, action="PROFILE_DELETE", decision=decision, section=spec.section, object_id=public_id)


# --------------------------------------------------------------------------------------------------
# "Not concerned" (R-PML-2)


def not_concerned_set(*, actor: Actor, patient_id: int, section: str, value: bool) -> bool:
    """R-PML-2: set or clear "je ne suis pas concerné". Refused while the section has items (the error
    names ``not_concerned``). Returns the new value."""
    if section not in NotConcernedSection.values:
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    profile_section = ProfileSection(section)
    spec = ITEM_SPECS[profile_section]
    scope = _scope(actor, patient_id)
    decision = _require(scope, profile_section, "PROFILE_NOT_CONCERNED")
    if value and spec.model.objects.filter(patient_id=patient_id).exists():  # type: ignore[attr-defined]
        raise _error(
            _(
                "Vous ne pouvez pas indiquer que cette rubrique ne vous concerne pas : elle contient des "
                "éléments."
            ),
            "not_concerned",
            "has_items",
        )
    with transaction.atomic():
        existing = NotConcerned.objects.filter(patient_id=patient_id, section=section).first()
        if value and existing is None:
            row = NotConcerned(section=section)
            _stamp(row, scope, created=True)
            row.save()
        elif not value and existing is not None:
            existing.delete()
        _trace(scope, action="PROFILE_NOT_CONCERNED", decision=decision, section=section, value=value)
    return value


# --------------------------------------------------------------------------------------------------
# Single-value sections: blood group, lifestyle, trusted person, organ donation


def _upsert(
    scope: AccessScope,
    model: type[ProfileRow],
    lookup: dict[str, Any],
    values: dict[str, Any],
    *,
    decision: Decision,
    section: ProfileSection,
) -> ProfileRow:
    with transaction.atomic():
        row = model.objects.select_for_update().filter(patient_id=scope.patient_id, **lookup).first()  # type: ignore[attr-defined]
        created = row is None
        if row is None:
            row = model(**lookup)
        changed = _apply(row, Cleaned(values))
        _stamp(row, scope, created=created)
        row.save()
        _trace(
            scope,
            action="PROFILE_CREATE" if created else "PROFILE_UPDATE",
            decision=decision,
            section=section,
            object_id=str(row.public_id),
            fields=changed,
        )
    return row


def _remove(
    scope: AccessScope, model: type[ProfileRow], lookup: dict[str, Any], *, section: ProfileSection
) -> bool:
    decision = _require(scope, section, "PROFILE_DELETE")
    with transaction.atomic():
        row = model.objects.filter(patient_id=scope.patient_id, **lookup).first()  # type: ignore[attr-defined]
        if row is None:
            return False
        public_id = str(row.public_id)
        row.delete()
        _trace(scope, action="PROFILE_DELETE", decision=decision, section=section, object_id=public_id)
    return True


def blood_group_set(*, actor: Actor, patient_id: int, group: str) -> BloodGroup:
    """Groupe sanguin: A±, B±, AB±, O±."""
    scope = _scope(actor, patient_id)
    decision = _require(scope, ProfileSection.BLOOD_GROUP, "PROFILE_UPDATE")
    value = _choice({"group": group}, "group", _("Groupe sanguin"), BloodGroupValue.values)
    row = _upsert(
        scope, BloodGroup, {}, {"group": value}, decision=decision, section=ProfileSection.BLOOD_GROUP
    )
    assert isinstance(row, BloodGroup)
    return row


def blood_group_clear(*, actor: Actor, patient_id: int) -> bool:
    return _remove(_scope(actor, patient_id), BloodGroup, {}, section=ProfileSection.BLOOD_GROUP)


def lifestyle_min_age(section: str) -> int:
    return LIFESTYLE_MIN_AGE.get(section, 0)


def _age(scope: AccessScope) -> int:
    assert scope.holder is not None
    return clock.age_on(scope.holder.birth_date, clock.today())


def lifestyle_set(
    *, actor: Actor, patient_id: int, section: str, choice: str, comment: str = ""
) -> Lifestyle:
    """One lifestyle section (FOOD, PHYSICAL_ACTIVITY, SLEEP, SCREEN, ALCOHOL, TOBACCO): a structured
    choice and a comment. [I] Age limits: ``LIFESTYLE_MIN_AGE`` (alcohol, tobacco ≥ 15 y; food, physical
    activity, screens ≥ 3 y)."""
    if section not in LifestyleSection.values:
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    scope = _scope(actor, patient_id)
    decision = _require(scope, ProfileSection.LIFESTYLE, "PROFILE_UPDATE")
    minimum = lifestyle_min_age(section)
    if _age(scope) < minimum:
        raise _error(
            _("Cette habitude de vie se renseigne à partir de %(age)s ans.") % {"age": minimum},
            "choice",
            "too_young",
        )
    data = {"choice": choice, "comment": comment}
    values = {
        "choice": _choice(data, "choice", _("Réponse"), [c for c, _label in LIFESTYLE_CHOICES[section]]),
        "comment": _text(data, "comment", _("Commentaire"), COMMENT_MAX),
    }
    row = _upsert(
        scope, Lifestyle, {"section": section}, values, decision=decision, section=ProfileSection.LIFESTYLE
    )
    assert isinstance(row, Lifestyle)
    return row


def lifestyle_clear(*, actor: Actor, patient_id: int, section: str) -> bool:
    if section not in LifestyleSection.values:
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    return _remove(
        _scope(actor, patient_id), Lifestyle, {"section": section}, section=ProfileSection.LIFESTYLE
    )


def trusted_person_set(*, actor: Actor, patient_id: int, data: Mapping[str, Any]) -> TrustedPerson:
    """La personne de confiance (CSP L1111-6, R-PML-4): a single one; setting again replaces it. Only the
    holder himself (not a caregiver [I]); adults only."""
    scope = _scope(actor, patient_id)
    decision = _require(scope, ProfileSection.TRUSTED_PERSON, "PROFILE_UPDATE")
    values = _clean_contact(scope, data).values
    designated = data.get("designated_on")
    if designated is not None and not isinstance(designated, date):
        raise _error(_("La date de désignation n'est pas valide."), "designated_on")
    if designated is not None and designated > clock.today():
        raise _error(_("La date de désignation ne peut pas être dans le futur."), "designated_on", "future")
    values["designated_on"] = designated
    row = _upsert(scope, TrustedPerson, {}, values, decision=decision, section=ProfileSection.TRUSTED_PERSON)
    assert isinstance(row, TrustedPerson)
    return row


def trusted_person_delete(*, actor: Actor, patient_id: int) -> bool:
    return _remove(_scope(actor, patient_id), TrustedPerson, {}, section=ProfileSection.TRUSTED_PERSON)


def organ_donation_acknowledge(*, actor: Actor, patient_id: int) -> OrganDonationStatement:
    """R-PML-4: "J'ai pris connaissance des dispositions relatives au don d'organes" (dated today). MES
    records no refusal: that goes to the Registre national des refus."""
    scope = _scope(actor, patient_id)
    decision = _require(scope, ProfileSection.ORGAN_DONATION, "PROFILE_UPDATE")
    row = _upsert(
        scope,
        OrganDonationStatement,
        {},
        {"acknowledged_on": clock.today()},
        decision=decision,
        section=ProfileSection.ORGAN_DONATION,
    )
    assert isinstance(row, OrganDonationStatement)
    return row


def organ_donation_withdraw(*, actor: Actor, patient_id: int) -> bool:
    return _remove(
        _scope(actor, patient_id), OrganDonationStatement, {}, section=ProfileSection.ORGAN_DONATION
    )


# --------------------------------------------------------------------------------------------------
# Advance directives (R-PML-4, R-MIN-3)


@dataclass(frozen=True)
class Question:
    key: str
    label: Any
    choices: Sequence[tuple[str, Any]] = ()  # empty: free text (≤ 3000 characters)
    required: bool = True


_TREATMENT_CHOICES = (
    ("ACCEPT", _("Je les accepte")),
    ("REFUSE", _("Je les refuse")),
    ("TEAM_DECIDES", _("Je laisse l'équipe médicale décider avec ma personne de confiance")),
)
# [I] Two guided forms inspired by the HAS models (A: "je pense être en bonne santé", B: "j'ai une maladie
# grave ou je suis en fin de vie"), reduced to a few structured questions and free text.
DIRECTIVES_FORMS: dict[str, tuple[Any, tuple[Question, ...]]] = {
    DirectivesSource.FORM_HEALTHY: (
        _("Mes directives anticipées (je pense être en bonne santé)"),
        (
            Question(
                "life_support",
                _(
                    "Si je suis dans le coma de façon prolongée et irréversible, traitements de maintien en vie "
                    "(réanimation, respiration artificielle, alimentation artificielle) :"
                ),
                _TREATMENT_CHOICES,
            ),
            Question(
                "resuscitation",
                _("Réanimation cardio-respiratoire en cas d'arrêt cardiaque :"),
                _TREATMENT_CHOICES,
            ),
            Question(
                "sedation",
                _("En fin de vie, sédation profonde et continue jusqu'au décès pour ne pas souffrir :"),
                (
                    ("WISH", _("Je la souhaite")),
                    ("NO_WISH", _("Je ne la souhaite pas")),
                    ("UNDECIDED", _("Je ne sais pas")),
                ),
            ),
            Question("other_wishes", _("Mes autres souhaits"), (), required=False),
        ),
    ),
    DirectivesSource.FORM_END_OF_LIFE: (
        _("Mes directives anticipées (j'ai une maladie grave ou je suis en fin de vie)"),
        (
            Question(
                "life_support",
                _(
                    "Si mon état se dégrade et que je ne peux plus m'exprimer, traitements de maintien en vie :"
                ),
                _TREATMENT_CHOICES,
            ),
            Question(
                "resuscitation",
                _("Réanimation cardio-respiratoire en cas d'arrêt cardiaque :"),
                _TREATMENT_CHOICES,
            ),
            Question(
                "sedation",
                _("Sédation profonde et continue jusqu'au décès pour ne pas souffrir :"),
                (
                    ("WISH", _("Je la souhaite")),
                    ("NO_WISH", _("Je ne la souhaite pas")),
                    ("UNDECIDED", _("Je ne sais pas")),
                ),
            ),
            Question("place", _("Où je souhaite finir ma vie (domicile, hôpital...)"), (), required=False),
            Question("other_wishes", _("Mes autres souhaits"), (), required=False),
        ),
    ),
}


def _directives_answers(form_kind: str, answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    if form_kind not in DIRECTIVES_FORMS:
        raise _error(_("Choisissez un des deux formulaires."), "form_kind", "required")
    _title, questions = DIRECTIVES_FORMS[form_kind]
    out: list[tuple[str, str]] = []
    for question in questions:
        if question.choices:
            value = _choice(
                answers,
                question.key,
                question.label,
                [c for c, _l in question.choices],
                required=question.required,
            )
            label = dict(question.choices).get(value, "")
            out.append((str(question.label), str(label)))
        else:
            out.append(
                (
                    str(question.label),
                    _text(answers, question.key, question.label, COMMENT_MAX, required=question.required),
                )
            )
    if not answers.get("confirm"):
        raise _error(_("Confirmez que vous rédigez ces directives vous-même."), "confirm", "required")
    return out


def _deposit_directives(
    scope: AccessScope, *, content: bytes, filename: str, declared_media_type: str, title: str
) -> Any:
    """Deposit an EXPPAT_3 document (category DIR_ANT) from the holder's side through the records writer:
    the policy (DEPOSIT: R-DEP-3, R-MIN-3), the encrypted blob, the row and the DEPOSIT trace, nothing
    half-written (records maps DIR_ANT to EXPPAT_3 for profile-made documents)."""
    from carnet.records.services import document_deposit

    return document_deposit(
        actor=scope.actor,
        patient_id=scope.patient_id,
        content=content,
        filename=filename,
        declared_media_type=declared_media_type,
        title=title[:255],
        category="DIR_ANT",
        service_start=clock.today(),
    )


def _directives_save(
    scope: AccessScope,
    decision: Decision,
    *,
    source: str,
    content: bytes,
    filename: str,
    media_type: str,
    title: str,
) -> AdvanceDirectives:
    from carnet.records.services import documents_delete_by_patient

    with transaction.atomic():
        current = AdvanceDirectives.objects.select_for_update().filter(patient_id=scope.patient_id).first()
        replaced = ""
        if current is not None:
            replaced = str(current.document_public_id)
            # already deleted from the documents page: nothing to replace
            with contextlib.suppress(NotFoundOrForbidden):
                documents_delete_by_patient(
                    actor=scope.actor, patient_id=scope.patient_id, document_ids=[current.document_public_id]
                )
        document = _deposit_directives(
            scope, content=content, filename=filename, declared_media_type=media_type, title=title
        )
        row = current or AdvanceDirectives()
        row.source = source
        row.document_public_id = document.public_id
        _stamp(row, scope, created=current is None)
        row.save()
        _trace(
            scope,
            action="ADVANCE_DIRECTIVES_SET",
            decision=decision,
            section=ProfileSection.ADVANCE_DIRECTIVES,
            object_id=str(row.public_id),
            fields=["document"],
            source=source,
            document=str(document.public_id),
            **({"replaced": replaced} if replaced else {}),
        )
    return row


def advance_directives_write(
    *, actor: Actor, patient_id: int, form_kind: str, answers: Mapping[str, Any]
) -> AdvanceDirectives:
    """Guided form ("en bonne santé" / "fin de vie") → a generated PDF saved as the record document
    EXPPAT_3, replacing the previous directives. Holder only, adults only (R-MIN-3)."""
    from .pdf import advance_directives_pdf

    scope = _scope(actor, patient_id)
    decision = _require(scope, ProfileSection.ADVANCE_DIRECTIVES, "ADVANCE_DIRECTIVES_SET")
    pairs = _directives_answers(form_kind, answers)
    holder = scope.holder
    assert holder is not None
    title = str(DIRECTIVES_FORMS[form_kind][0])
    content = advance_directives_pdf(
        title=title,
        full_name=holder.display_name,
        birth_date=holder.birth_date,
        written_on=clock.today(),
        answers=pairs,
    )
    return _directives_save(
        scope,
        decision,
        source=form_kind,
        content=content,
        filename="directives-anticipees.pdf",
        media_type="application/pdf",
        title=str(_("Directives anticipées")),
    )


def advance_directives_upload(
    *, actor: Actor, patient_id: int, content: bytes, filename: str = "", declared_media_type: str = ""
) -> AdvanceDirectives:
    """Upload one's advance directives (a patient format, ≤ 5 MB, R-FMT-2/3) as the EXPPAT_3 document,
    replacing the previous directives. Holder only, adults only (R-MIN-3)."""
    scope = _scope(actor, patient_id)
    decision = _require(scope, ProfileSection.ADVANCE_DIRECTIVES, "ADVANCE_DIRECTIVES_SET")
    if not isinstance(content, bytes | bytearray) or not content:
        raise _error(_("Sélectionnez un fichier."), "content", "required")
    return _directives_save(
        scope,
        decision,
        source=DirectivesSource.UPLOAD,
        content=bytes(content),
        filename=filename,
        media_type=declared_media_type,
        title=str(_("Directives anticipées")),
    )


def advance_directives_delete(*, actor: Actor, patient_id: int) -> bool:
    """Withdraw one's advance directives: the document is deleted (tombstone, R-DOC-11) with the row."""
    from carnet.records.services import documents_delete_by_patient

    scope = _scope(actor, patient_id)
    decision = _require(scope, ProfileSection.ADVANCE_DIRECTIVES, "ADVANCE_DIRECTIVES_DELETE")
    with transaction.atomic():
        current = AdvanceDirectives.objects.select_for_update().filter(patient_id=patient_id).first()
        if current is None:
            return False
        with contextlib.suppress(NotFoundOrForbidden):
            documents_delete_by_patient(
                actor=actor, patient_id=patient_id, document_ids=[current.document_public_id]
            )
        public_id = str(current.public_id)
        current.delete()
        _trace(
            scope,
            action="ADVANCE_DIRECTIVES_DELETE",
            decision=decision,
            section=ProfileSection.ADVANCE_DIRECTIVES,
            object_id=public_id,
        )
    return True


__all__ = [
    "ITEM_SPECS",
    "LIFESTYLE_CHOICES",
    "LIFESTYLE_MIN_AGE",
    "advance_directives_delete",
    "advance_directives_upload",
    "advance_directives_write",
    "blood_group_clear",
    "blood_group_set",
    "lifestyle_clear",
    "lifestyle_set",
    "not_concerned_set",
    "organ_donation_acknowledge",
    "organ_donation_withdraw",
    "profile_item_create",
    "profile_item_delete",
    "profile_item_update",
    "trusted_person_delete",
    "trusted_person_set",
]
