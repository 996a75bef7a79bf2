"""Writes of vaccinations and measurements (SPEC §4, R-PML-1): one transaction each, asked to the policy
first (invariant 1), validated completely before anything is written (invariant 9), traced in the act's
transaction (invariant 2), content-free notification in the outbox in it (invariant 5).

* Vaccinations: the holder's side (holder, legal representative of a minor, caregiver) adds, edits and
  deletes its own entries; authorised professionals (a pharmacist who vaccinates, G15_21) add entries and
  complete or delete their own; an entry written by a professional is not changed by the holder's side
  ([I], like a professional's document, R-VER-2). The holder is e-mailed (content-free) when a professional
  adds or completes a vaccination (R-NOT-3 ``PML_CVA``).
* Measurements: the holder's side only (R-PML-1: professionals see them only through a saved summary).
  Values outside the plausible range of ``data/measures.json`` are refused with a message naming the
  measure, the unit and the range; a blood-pressure pair needs systolic > diastolic; the BMI is computed
  from the latest weight and height when no value is given.

A refused act writes nothing but a ``DENY`` trace and raises ``NotFoundOrForbidden`` (same answer for a
missing patient or entry and a refused one) or a ``DomainError`` naming the field at fault.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from carnet.access import gateway
from carnet.access.facts import Action
from carnet.access.gateway import AccessScope
from carnet.access.policy import Decision
from carnet.common import clock
from carnet.common.actors import Actor
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.common.text import strip_bidi_controls
from carnet.identity.models import Organisation
from carnet.notifications.models import Channel
from carnet.notifications.services import notify

from . import access, referential
from .messages import PROFILE_UPDATED_BY_PROFESSIONAL
from .models import (
    COMMENT_MAX,
    LOT_MAX,
    MEASURE_COMMENT_MAX,
    NAME_MAX,
    DoseType,
    Measurement,
    Route,
    Site,
    Vaccination,
)

NOT_FOUND = _("Information introuvable.")
FUTURE_TOLERANCE = timedelta(minutes=5)  # [I] clocks of phones and servers differ a little
PERFORMER_MAX = 200
_CIS = re.compile(r"^\d{8}$")
_ATC = re.compile(r"^[A-Z]\d{2}[A-Z]{2}\d{2}$")


def _error(message: Any, field: str, code: str = "invalid") -> DomainError:
    return DomainError(message, code=code, field=field)


def _scope(actor: Actor, patient_id: int, organisation: Organisation | None = None) -> AccessScope:
    scope = gateway.access_scope(actor=actor, patient_id=patient_id, organisation=organisation)
    if scope.holder is None:
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    return scope


def _require(
    scope: AccessScope, decision: Decision, *, trace_action: str, object_type: str, object_id: str = ""
) -> None:
    if not decision:
        access.deny_trace(
            scope, action=trace_action, decision=decision, object_type=object_type, object_id=object_id
        )
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")


def _author_fields(scope: AccessScope) -> dict[str, Any]:
    person, professional = scope.acting_person, scope.professional
    if scope.facts.is_patient_side and person is not None:
        label = person.display_name
    elif professional is not None:
        label = professional.display_name
    elif scope.organisation is not None:
        label = scope.organisation.name
    else:
        label = scope.actor.label
    return {
        "author_kind": str(scope.facts.kind),
        "author_id": str(scope.actor.id)[:64],
        "author_label": label[:200],
        "author_person": person if scope.facts.is_patient_side else None,
        "author_professional": professional if scope.facts.is_professional_side else None,
        "author_organisation": scope.organisation if scope.facts.is_professional_side else None,
    }


def _updated_by(scope: AccessScope) -> dict[str, str]:
    fields = _author_fields(scope)
    return {"updated_by_kind": fields["author_kind"], "updated_by_label": fields["author_label"]}


def _notify_holder(scope: AccessScope, *, dedup_key: str) -> None:
    """R-NOT-3 (PML_CVA), R-NOT-2: content-free e-mail (or SMS) to the holder, in the act's transaction."""
    holder = scope.holder
    assert holder is not None
    channel, address = (Channel.EMAIL, holder.email) if holder.email else (Channel.SMS, holder.phone)
    account = getattr(holder, "account", None)
    notify(
        patient_id=scope.patient_id,
        channel=channel,
        address=address,
        template=PROFILE_UPDATED_BY_PROFESSIONAL,
        params={
            "date": timezone.localtime(clock.now()).date().isoformat(),
            "base_url": str(settings.CARNET_BASE_URL or ""),
        },
        dedup_key=dedup_key,
        language=account.preferred_language if account is not None else "fr",
    )


# --------------------------------------------------------------------------------------------------
# Vaccinations


@dataclass(frozen=True)
class VaccinationInput:
    """Validated fields of a vaccination."""

    effective_date: date
    vaccine_code: str
    vaccine_name: str
    cis_code: str
    atc_code: str
    lot_number: str
    dose_type: str
    route: str
    site: str
    performer_label: str
    targets: list[str]
    comment: str


def _choice(value: str, choices: Iterable[str], field: str, label: Any) -> str:
    value = (value or "").strip()
    if value and value not in set(choices):
        raise _error(_("%(label)s : valeur inconnue.") % {"label": label}, field)
    return value


def _text(value: str, limit: int, field: str, label: Any) -> str:
    value = strip_bidi_controls(value or "").strip()  # no spoofed names
    if len(value) > limit:
        raise _error(
            _("%(label)s : %(limit)s caractères au maximum.") % {"label": label, "limit": limit},
            field,
            "too_long",
        )
    return value


def _validate_vaccination(scope: AccessScope, fields: dict[str, Any]) -> VaccinationInput:
    allowed = set(VaccinationInput.__dataclass_fields__)
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown vaccination fields {sorted(unknown)}")
    holder = scope.holder
    assert holder is not None

    when = fields.get("effective_date")
    if isinstance(when, datetime):
        when = timezone.localtime(when).date() if timezone.is_aware(when) else when.date()
    if not isinstance(when, date):
        raise _error(_("Date de vaccination : ce champ est obligatoire."), "effective_date", "required")
    if when > clock.today():
        raise _error(_("Date de vaccination : la date ne peut pas être dans le futur."), "effective_date")
    if when < holder.birth_date:
        raise _error(
            _("Date de vaccination : la date ne peut pas précéder la date de naissance."), "effective_date"
        )

    code = (fields.get("vaccine_code") or "").strip()
    known = referential.vaccine(code) if code else None
    if code and known is None:
        raise _error(_("Vaccin : ce vaccin ne figure pas dans le référentiel."), "vaccine_code")
    name = _text(fields.get("vaccine_name") or "", NAME_MAX, "vaccine_name", _("Nom du vaccin"))
    if not name and known is not None:
        name = known.name_fr[:NAME_MAX]
    if not name:
        raise _error(
            _("Nom du vaccin : choisissez un vaccin du référentiel ou saisissez son nom."),
            "vaccine_name",
            "required",
        )

    cis = (fields.get("cis_code") or "").strip()
    if cis and not _CIS.match(cis):
        raise _error(_("Code CIS : il comporte 8 chiffres."), "cis_code")
    atc = (fields.get("atc_code") or "").strip().upper() or (known.atc if known is not None else "")
    if atc and not _ATC.match(atc):
        raise _error(_("Code ATC : format attendu J07AB01."), "atc_code")

    diseases = referential.diseases()
    raw_targets = fields.get("targets")
    targets = [str(t).strip() for t in (raw_targets or []) if str(t).strip()]
    unknown_targets = [t for t in targets if t not in diseases]
    if unknown_targets:
        raise _error(_("Maladies ciblées : maladie inconnue du référentiel."), "targets")
    if not targets and known is not None:
        targets = list(known.targets)

    return VaccinationInput(
        effective_date=when,
        vaccine_code=code,
        vaccine_name=name,
        cis_code=cis,
        atc_code=atc,
        lot_number=_text(fields.get("lot_number") or "", LOT_MAX, "lot_number", _("Numéro de lot")),
        dose_type=_choice(fields.get("dose_type") or "", DoseType.values, "dose_type", _("Type d'injection")),
        route=_choice(fields.get("route") or "", Route.values, "route", _("Voie d'administration")),
        site=_choice(fields.get("site") or "", Site.values, "site", _("Site d'injection")),
        performer_label=_text(
            fields.get("performer_label") or "", PERFORMER_MAX, "performer_label", _("Vacciné par")
        ),
        targets=list(dict.fromkeys(targets)),
        comment=_text(fields.get("comment") or "", COMMENT_MAX, "comment", _("Commentaire")),
    )


def vaccination_create(
    *, actor: Actor, patient_id: int, organisation: Organisation | None = None, **fields: Any
) -> Vaccination:
    """Add a vaccination (holder's side, or an authorised professional: R-PML-1, R-DEL-2).

    ``fields``: ``effective_date`` (required), ``vaccine_code`` (data/vaccines.json) and/or ``vaccine_name``,
    ``cis_code``, ``atc_code``, ``lot_number``, ``dose_type``, ``route``, ``site``, ``performer_label``,
    ``targets``, ``comment``. A professional with no other performer named is the performer.
    """
    scope = _scope(actor, patient_id, organisation)
    decision = access.decide(scope, Action.VACCINATION_WRITE)
    _require(scope, decision, trace_action="VACCINATION_CREATE", object_type="vaccination")
    data = _validate_vaccination(scope, fields)
    now = clock.now()
    performer = None
    if scope.facts.is_professional_side and not data.performer_label:
        performer = scope.professional
    with transaction.atomic():
        vaccination = Vaccination.objects.create(
            patient_id=scope.patient_id,
            **data.__dict__,
            performer_professional=performer,
            authored_by_patient=scope.facts.is_patient_side,
            created_at=now,
            updated_at=now,
            **_author_fields(scope),
            **_updated_by(scope),
        )
        access.record_trace(
            scope,
            action="VACCINATION_CREATE",
            decision=decision,
            object_type="vaccination",
            object_id=str(vaccination.public_id),
        )
        if scope.facts.is_professional_side:
            _notify_holder(scope, dedup_key=f"vitals:vaccination:{vaccination.public_id}:create")
    return vaccination


def _entry(
    scope: AccessScope, public_id: uuid.UUID | str, *, trace_action: str
) -> tuple[Vaccination, Decision]:
    try:
        wanted = uuid.UUID(str(public_id))
    except ValueError:
        wanted = None
    vaccination = (
        Vaccination.objects.select_related("author_professional", "author_organisation")
        .filter(patient_id=scope.patient_id, public_id=wanted)
        .first()
        if wanted is not None
        else None
    )
    if vaccination is None:
        missing = Decision(False, "DEFAULT-DENY", "no such vaccination")
        _require(
            scope,
            missing,
            trace_action=trace_action,
            object_type="vaccination",
            object_id=str(public_id)[:64],
        )
    assert vaccination is not None
    decision = access.decide(scope, Action.VACCINATION_WRITE, entry=access.vaccination_facts(vaccination))
    _require(
        scope,
        decision,
        trace_action=trace_action,
        object_type="vaccination",
        object_id=str(vaccination.public_id),
    )
    return vaccination, decision


def vaccination_update(
    *,
    actor: Actor,
    patient_id: int,
    vaccination_public_id: uuid.UUID | str,
    organisation: Organisation | None = None,
    **fields: Any,
) -> Vaccination:
    """Edit or complete a vaccination: the holder's side its own entries, a professional his own (R-VER-2).
    ``fields`` replace the editable fields (same names as ``vaccination_create``)."""
    scope = _scope(actor, patient_id, organisation)
    vaccination, decision = _entry(scope, vaccination_public_id, trace_action="VACCINATION_UPDATE")
    data = _validate_vaccination(scope, fields)
    changed = sorted(k for k, v in data.__dict__.items() if getattr(vaccination, k) != v)
    for key, value in data.__dict__.items():
        setattr(vaccination, key, value)
    for key, value in _updated_by(scope).items():
        setattr(vaccination, key, value)
    vaccination.updated_at = clock.now()
    with transaction.atomic():
        vaccination.save()
        access.record_trace(
            scope,
            action="VACCINATION_UPDATE",
            decision=decision,
            object_type="vaccination",
            object_id=str(vaccination.public_id),
            fields=changed,  # names only, never values
        )
        if scope.facts.is_professional_side and changed:
            _notify_holder(
                scope,
                dedup_key=f"vitals:vaccination:{vaccination.public_id}:update:{vaccination.updated_at.isoformat()}",
            )
    return vaccination


def vaccination_delete(
    *,
    actor: Actor,
    patient_id: int,
    vaccination_public_id: uuid.UUID | str,
    organisation: Organisation | None = None,
) -> None:
    """Delete a vaccination (same authorship rule as editing, R-VER-2)."""
    scope = _scope(actor, patient_id, organisation)
    vaccination, decision = _entry(scope, vaccination_public_id, trace_action="VACCINATION_DELETE")
    with transaction.atomic():
        access.record_trace(
            scope,
            action="VACCINATION_DELETE",
            decision=decision,
            object_type="vaccination",
            object_id=str(vaccination.public_id),
        )
        vaccination.delete()


# --------------------------------------------------------------------------------------------------
# Measurements


def _number(value: Decimal) -> str:
    """A localised number for messages (``0,3`` in French, ``0.3`` in English)."""
    return str(formats.number_format(value, use_l10n=True))


def parse_decimal(raw: object, *, field: str, label: Any) -> Decimal:
    """A Decimal from a form or API value (``"72,5"`` is accepted); refuses NaN/infinities."""
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int | float):
        value = Decimal(str(raw))
    else:
        text = str(raw or "").strip().replace(",", ".").replace(" ", "").replace("\u202f", "")
        if not text:
            raise _error(_("%(label)s : ce champ est obligatoire.") % {"label": label}, field, "required")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise _error(_("%(label)s : saisissez un nombre.") % {"label": label}, field) from None
    if not value.is_finite():
        raise _error(_("%(label)s : saisissez un nombre.") % {"label": label}, field)
    return value


def check_measure_value(
    definition: referential.MeasureDef,
    value: Decimal,
    *,
    field: str = "value",
    bounds: referential.Bounds | None = None,
    label: str | None = None,
) -> Decimal:
    """Refuse a value outside the plausible range of ``data/measures.json`` or with too many decimals; the
    message names the measure, the unit and the range (French, English through gettext)."""
    bounds = bounds or definition.bounds
    label = label or definition.label
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > definition.decimals:
        if definition.decimals == 0:
            message = _("%(label)s : saisissez un nombre entier (%(unit)s).") % {
                "label": label,
                "unit": definition.unit_label,
            }
        else:
            message = ngettext(
                "%(label)s : %(decimals)s décimale au maximum (%(unit)s).",
                "%(label)s : %(decimals)s décimales au maximum (%(unit)s).",
                definition.decimals,
            ) % {"label": label, "decimals": definition.decimals, "unit": definition.unit_label}
        raise _error(message, field, "too_precise")
    if value not in bounds:
        raise _error(
            _(
                "%(label)s : la valeur %(value)s %(unit)s est hors des limites plausibles "
                "(de %(min)s à %(max)s %(unit)s)."
            )
            % {
                "label": label,
                "value": _number(value),
                "unit": definition.unit_label,
                "min": _number(bounds.minimum),
                "max": _number(bounds.maximum),
            },
            field,
            "out_of_range",
        )
    return value


def bmi_compute(*, weight_kg: Decimal, height_cm: Decimal) -> Decimal:
    """BMI = weight (kg) / height (m)², rounded half-up to one decimal (WHO definition)."""
    if height_cm <= 0:
        raise ValueError("height must be positive")
    metres = height_cm / Decimal(100)
    return (weight_kg / (metres * metres)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _latest(patient_id: int, code: str, at: datetime) -> Measurement | None:
    return (
        Measurement.objects.filter(patient_id=patient_id, code=code, measured_at__lte=at)
        .order_by("-measured_at", "-id")
        .first()
    )


def measurement_create(
    *,
    actor: Actor,
    patient_id: int,
    code: str,
    value: object = None,
    second_value: object = None,
    measured_at: datetime | None = None,
    comment: str = "",
) -> Measurement:
    """Record a measure (holder's side, SPEC §4 ``MeasureCode``).

    * ``value`` within the plausible range of the code, with at most its decimals;
    * ``BLOOD_PRESSURE``: ``value`` systolic, ``second_value`` diastolic, systolic > diastolic;
    * ``BODY_MASS_INDEX`` without ``value``: computed from the latest weight and height at ``measured_at``;
    * ``measured_at`` (default now) neither in the future nor before the holder's birth.
    """
    scope = _scope(actor, patient_id)
    decision = access.decide(scope, Action.PROFILE_WRITE, section=access.MEASUREMENTS)
    _require(scope, decision, trace_action="MEASUREMENT_CREATE", object_type="measurement")
    holder = scope.holder
    assert holder is not None

    definition = referential.measure(str(code or ""))
    if definition is None:
        raise _error(_("Type de mesure : choisissez une mesure de la liste."), "code")
    now = clock.now()
    when = measured_at or now
    if timezone.is_naive(when):
        raise _error(_("Date de la mesure : date invalide."), "measured_at")
    if when > now + FUTURE_TOLERANCE:
        raise _error(_("Date de la mesure : la date ne peut pas être dans le futur."), "measured_at")
    if timezone.localtime(when).date() < holder.birth_date:
        raise _error(
            _("Date de la mesure : la date ne peut pas précéder la date de naissance."), "measured_at"
        )

    computed = False
    empty = value is None or (isinstance(value, str) and not value.strip())
    if definition.code == "BODY_MASS_INDEX" and empty:
        weight = _latest(scope.patient_id, "WEIGHT", when)
        height = _latest(scope.patient_id, "HEIGHT", when)
        if weight is None or height is None:
            raise _error(
                _(
                    "IMC : saisissez une valeur, ou enregistrez d'abord un poids et une taille pour le calculer."
                ),
                "value",
                "required",
            )
        number = bmi_compute(weight_kg=weight.value, height_cm=height.value)
        computed = True
    else:
        number = parse_decimal(value, field="value", label=definition.value_label)
    check_measure_value(definition, number, label=definition.value_label)

    second: Decimal | None = None
    second_empty = second_value is None or (isinstance(second_value, str) and not second_value.strip())
    if definition.second is not None:
        second = parse_decimal(second_value, field="second_value", label=definition.second.label)
        check_measure_value(
            definition,
            second,
            field="second_value",
            bounds=definition.second.bounds,
            label=definition.second.label,
        )
        if number <= second:
            raise _error(
                _("Diastolique : la pression diastolique doit être inférieure à la pression systolique."),
                "second_value",
            )
    elif not second_empty:
        raise _error(_("Cette mesure n'a qu'une valeur."), "second_value")
    note = _text(comment, MEASURE_COMMENT_MAX, "comment", _("Commentaire"))

    with transaction.atomic():
        measurement = Measurement.objects.create(
            patient_id=scope.patient_id,
            code=definition.code,
            value=number,
            second_value=second,
            unit=definition.unit,
            measured_at=when,
            computed=computed,
            comment=note,
            created_at=now,
            updated_at=now,
            **_author_fields(scope),
            **_updated_by(scope),
        )
        access.record_trace(
            scope,
            action="MEASUREMENT_CREATE",
            decision=decision,
            object_type="measurement",
            object_id=str(measurement.public_id),
        )
    return measurement


def measurement_delete(*, actor: Actor, patient_id: int, measurement_public_id: uuid.UUID | str) -> None:
    """Delete a measure (holder's side)."""
    scope = _scope(actor, patient_id)
    decision = access.decide(scope, Action.PROFILE_WRITE, section=access.MEASUREMENTS)
    _require(
        scope,
        decision,
        trace_action="MEASUREMENT_DELETE",
        object_type="measurement",
        object_id=str(measurement_public_id)[:64],
    )
    try:
        wanted = uuid.UUID(str(measurement_public_id))
    except ValueError:
        wanted = None
    measurement = (
        Measurement.objects.filter(patient_id=scope.patient_id, public_id=wanted).first() if wanted else None
    )
    if measurement is None:
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found", field="measurement")
    with transaction.atomic():
        access.record_trace(
            scope,
            action="MEASUREMENT_DELETE",
            decision=decision,
            object_type="measurement",
            object_id=str(measurement.public_id),
        )
        measurement.delete()
