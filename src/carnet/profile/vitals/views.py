"""Pages of vaccinations, measurements and growth curves: thin views over ``selectors`` (reads scoped and
traced by the policy) and ``services`` (writes). A refused or missing record answers 404; a refused form
shows the service's message next to the field it names.

Holder's side (the acting person may be a legal representative or a caregiver, ``spaces.acting``):
``/espace/profil/vaccinations/`` (record grouped by target disease, add, edit, delete),
``/espace/profil/mesures/`` (add, charts per code with a period filter, data tables, delete),
``/espace/profil/mesures/croissance/`` (growth curves of a minor).
Professional side: ``/pro/patients/<id>/vaccinations/`` (read, add, complete his own entries; R-PML-1).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carnet.access.views import ProPatient, pro_context, pro_patient
from carnet.common import clock, dates
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.common.permissions import patient_required, professional_required
from carnet.identity.codes import profession_label
from carnet.identity.models import Person
from carnet.spaces.acting import ActingContext, acting_context

from . import charts, growth, referential, selectors, services
from .forms import MeasurementForm, VaccinationForm, apply_domain_error
from .models import Measurement, Vaccination

PERIOD_LABELS = {"3m": _("3 derniers mois"), "1a": _("12 derniers mois"), "tout": _("Tout")}


def _acting(request: HttpRequest) -> ActingContext:
    acting = acting_context(request)
    if acting is None:
        raise Http404
    return acting


# --------------------------------------------------------------------------------------------------
# Display helpers (never decide anything)


def author_label(row: Vaccination | Measurement, me: Person | None = None) -> str:
    """Who wrote the entry, as the patient sees it (R-PML-1: "shown with their author")."""
    if row.author_professional is not None:
        pro = row.author_professional
        profession = profession_label(pro.profession_code)
        return f"{pro.display_name} ({profession})" if profession else pro.display_name
    if row.author_organisation is not None:
        return row.author_organisation.name
    if me is not None and row.author_person_id == me.pk:
        return str(_("Vous"))
    return row.author_label or str(_("Usager"))


@dataclass(frozen=True)
class VaccinationRow:
    vaccination: Vaccination
    author: str
    performer: str
    targets: list[str]
    editable: bool  # offer the buttons only; the services decide

    @property
    def public_id(self) -> uuid.UUID:
        return self.vaccination.public_id

    @property
    def name(self) -> str:
        """A vaccine of the list by its name in the page's language; a free-text name as it was typed."""
        known = referential.vaccine(self.vaccination.vaccine_code) if self.vaccination.vaccine_code else None
        return known.name if known is not None else str(self.vaccination.vaccine_name)


def _vaccination_row(v: Vaccination, me: Person | None, *, editable: bool) -> VaccinationRow:
    diseases = referential.diseases()
    performer = v.performer_label
    if not performer and v.performer_professional is not None:
        performer = v.performer_professional.display_name
    return VaccinationRow(
        vaccination=v,
        author=author_label(v, me),
        performer=performer,
        targets=[diseases[t].label for t in v.targets or [] if t in diseases],
        editable=editable,
    )


def _form_values(vaccination: Vaccination) -> dict[str, Any]:
    return {
        "effective_date": vaccination.effective_date,
        "vaccine_code": vaccination.vaccine_code,
        "vaccine_name": "" if vaccination.vaccine_code else vaccination.vaccine_name,
        "lot_number": vaccination.lot_number,
        "dose_type": vaccination.dose_type,
        "route": vaccination.route,
        "site": vaccination.site,
        "performer_label": vaccination.performer_label,
        "cis_code": vaccination.cis_code,
        "targets": vaccination.targets,
        "comment": vaccination.comment,
    }


def _service_fields(form: VaccinationForm, existing: Vaccination | None = None) -> dict[str, Any]:
    data = form.values()
    if data.get("vaccine_code") and not data.get("vaccine_name"):
        data["vaccine_name"] = ""
    # keep what the form does not show
    data["atc_code"] = (
        existing.atc_code
        if existing is not None and existing.vaccine_code == data.get("vaccine_code")
        else ""
    )
    return data


# --------------------------------------------------------------------------------------------------
# Holder's side: vaccinations


@patient_required
@require_GET
def vaccinations(request: HttpRequest) -> HttpResponse:
    """The vaccination record: done vaccines grouped by target disease (the "due" part comes with the
    agenda issue: the page says so)."""
    acting = _acting(request)
    try:
        rows = selectors.vaccination_list_for_actor(actor=acting.actor, patient_id=acting.subject.pk)
    except NotFoundOrForbidden:
        raise Http404 from None
    groups = [
        (
            group.label,
            [_vaccination_row(v, acting.me, editable=v.authored_by_patient) for v in group.vaccinations],
        )
        for group in selectors.vaccinations_by_disease(rows)
    ]
    return render(
        request,
        "profile_vitals/vaccinations.html",
        {
            "acting": acting,
            "groups": groups,
            "count": len(rows),
            "referential": referential.vaccines_meta(),
        },
    )


@patient_required
@require_http_methods(["GET", "POST"])
def vaccination_add(request: HttpRequest) -> HttpResponse:
    acting = _acting(request)
    form = VaccinationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.vaccination_create(
                actor=acting.actor, patient_id=acting.subject.pk, **_service_fields(form)
            )
        except DomainError as error:
            if isinstance(error, NotFoundOrForbidden):
                raise Http404 from None
            apply_domain_error(form, error)
        else:
            messages.success(request, _("La vaccination est ajoutée."))
            return redirect("vitals:vaccinations")
    return render(
        request,
        "profile_vitals/vaccination_form.html",
        {"acting": acting, "form": form, "editing": None},
        status=400 if form.errors else 200,
    )


@patient_required
@require_http_methods(["GET", "POST"])
def vaccination_edit(request: HttpRequest, vaccination_id: uuid.UUID) -> HttpResponse:
    acting = _acting(request)
    try:
        vaccination = selectors.vaccination_get_for_actor(
            actor=acting.actor, patient_id=acting.subject.pk, vaccination_public_id=vaccination_id
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    form = VaccinationForm(request.POST or None, initial=_form_values(vaccination))
    if request.method == "POST" and form.is_valid():
        try:
            services.vaccination_update(
                actor=acting.actor,
                patient_id=acting.subject.pk,
                vaccination_public_id=vaccination_id,
                **_service_fields(form, vaccination),
            )
        except DomainError as error:
            if isinstance(error, NotFoundOrForbidden):
                raise Http404 from None
            apply_domain_error(form, error)
        else:
            messages.success(request, _("La vaccination est modifiée."))
            return redirect("vitals:vaccinations")
    return render(
        request,
        "profile_vitals/vaccination_form.html",
        {"acting": acting, "form": form, "editing": _vaccination_row(vaccination, acting.me, editable=True)},
        status=400 if form.errors else 200,
    )


@patient_required
@require_POST
def vaccination_delete(request: HttpRequest, vaccination_id: uuid.UUID) -> HttpResponse:
    acting = _acting(request)
    try:
        services.vaccination_delete(
            actor=acting.actor, patient_id=acting.subject.pk, vaccination_public_id=vaccination_id
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    messages.success(request, _("La vaccination est supprimée."))
    return redirect("vitals:vaccinations")


# --------------------------------------------------------------------------------------------------
# Holder's side: measurements and charts


def format_value(measurement: Measurement, definition: referential.MeasureDef) -> str:
    def fmt(value: Any) -> str:
        text = f"{Decimal(value).normalize():f}"
        return text.replace(".", ",") if not _english() else text

    if measurement.second_value is not None:
        return f"{fmt(measurement.value)}/{fmt(measurement.second_value)} {definition.unit_label}"
    return f"{fmt(measurement.value)} {definition.unit_label}"


def _english() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "fr").startswith("en")


def _point(when: str, value: str) -> str:
    """A chart point's label, "5 décembre 2026 à 8 h 00 : 64,8 kg" (the colon as each language writes it)."""
    return str(_("%(when)s : %(value)s") % {"when": when, "value": value})


def _when(measurement: Measurement) -> str:
    return dates.format_moment(measurement.measured_at)


@dataclass(frozen=True)
class MeasureBlock:
    definition: referential.MeasureDef
    chart: str
    rows: list[dict[str, Any]]


def measure_chart(definition: referential.MeasureDef, series_rows: list[Measurement]) -> str:
    """The SVG chart of one code (two series for blood pressure)."""
    unit = definition.unit_label
    first = charts.Series(
        name=definition.value_label if definition.is_pair else definition.label,
        points=[(m.measured_at, float(m.value)) for m in series_rows],
        labels=[_point(_when(m), format_value(m, definition)) for m in series_rows],
    )
    series = [first]
    if definition.second is not None:
        series.append(
            charts.Series(
                name=definition.second.label,
                points=[
                    (m.measured_at, float(m.second_value)) for m in series_rows if m.second_value is not None
                ],
                labels=[
                    _point(_when(m), f"{definition.second.label} {m.second_value} {unit}")
                    for m in series_rows
                    if m.second_value is not None
                ],
            )
        )
    span = series_rows[-1].measured_at - series_rows[0].measured_at if series_rows else timedelta(0)
    values = [float(m.value) for m in series_rows]
    description = str(
        ngettext(
            "%(count)s mesure du %(first)s au %(last)s ; valeurs de %(min)s à %(max)s %(unit)s.",
            "%(count)s mesures du %(first)s au %(last)s ; valeurs de %(min)s à %(max)s %(unit)s.",
            len(series_rows),
        )
        % {
            "count": len(series_rows),
            "first": dates.format_day(series_rows[0].measured_at),
            "last": dates.format_day(series_rows[-1].measured_at),
            "min": min(values),
            "max": max(values),
            "unit": unit,
        }
    )
    return charts.line_chart_svg(
        chart_id=f"chart-{definition.code.lower()}",
        title=str(_("Évolution : %(label)s (%(unit)s)") % {"label": definition.label, "unit": unit}),
        description=description,
        series=series,
        x_axis=charts.Axis(str(_("Date")), charts.date_tick_formatter(span)),
        y_axis=charts.Axis(f"{definition.label} ({unit})"),
    )


def _measures_context(
    request: HttpRequest, acting: ActingContext, form: MeasurementForm | None = None
) -> dict[str, Any]:
    period = request.GET.get("periode", "1a")
    if period not in selectors.PERIODS:
        period = "1a"
    try:
        rows = selectors.measurement_list_for_actor(
            actor=acting.actor, patient_id=acting.subject.pk, since=selectors.period_start(period)
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    blocks = []
    for code, series_rows in selectors.measurements_by_code(rows).items():
        definition = referential.measure(code)
        assert definition is not None
        blocks.append(
            MeasureBlock(
                definition=definition,
                chart=measure_chart(definition, series_rows),
                rows=[
                    {
                        "public_id": m.public_id,
                        "when": _when(m),
                        "value": format_value(m, definition),
                        "computed": m.computed,
                        "author": author_label(m, acting.me),
                        "comment": m.comment,
                    }
                    for m in reversed(series_rows)
                ],
            )
        )
    minor = clock.age_on(acting.subject.birth_date, clock.today()) < settings.CARNET_MAJORITY_AGE
    return {
        "acting": acting,
        "form": form or MeasurementForm(),
        "blocks": blocks,
        "period": period,
        "periods": list(PERIOD_LABELS.items()),
        "is_minor": minor,
        "measures": list(referential.measures().values()),
    }


@patient_required
@require_GET
def measures(request: HttpRequest) -> HttpResponse:
    acting = _acting(request)
    return render(request, "profile_vitals/measures.html", _measures_context(request, acting))


@patient_required
@require_POST
def measure_add(request: HttpRequest) -> HttpResponse:
    acting = _acting(request)
    form = MeasurementForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.measurement_create(
                actor=acting.actor,
                patient_id=acting.subject.pk,
                code=data["code"],
                value=data.get("value") or None,
                second_value=data.get("second_value") or None,
                measured_at=data.get("measured_at"),
                comment=data.get("comment") or "",
            )
        except DomainError as error:
            if isinstance(error, NotFoundOrForbidden):
                raise Http404 from None
            apply_domain_error(form, error)
        else:
            messages.success(request, _("La mesure est enregistrée."))
            return redirect("vitals:measures")
    return render(
        request, "profile_vitals/measures.html", _measures_context(request, acting, form), status=400
    )


@patient_required
@require_POST
def measure_delete(request: HttpRequest, measurement_id: uuid.UUID) -> HttpResponse:
    acting = _acting(request)
    try:
        services.measurement_delete(
            actor=acting.actor, patient_id=acting.subject.pk, measurement_public_id=measurement_id
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    messages.success(request, _("La mesure est supprimée."))
    return redirect("vitals:measures")


# --------------------------------------------------------------------------------------------------
# Growth curves (minors)


@dataclass(frozen=True)
class GrowthBlock:
    indicator: growth.Indicator
    definition: referential.MeasureDef
    chart: str
    curves: growth.GrowthCurves
    rows: list[dict[str, Any]]


def _age_label(days: int) -> str:
    months = days / growth.DAYS_PER_MONTH
    if months < 24:
        return str(_("%(months)s mois") % {"months": formats.number_format(round(months, 1), 1)})
    years, rest = divmod(int(months), 12)
    return str(_("%(years)s ans %(months)s mois") % {"years": years, "months": rest})


def growth_chart(
    indicator: growth.Indicator, definition: referential.MeasureDef, curves: growth.GrowthCurves
) -> str:
    unit = definition.unit_label
    in_years = curves.x_max_months > 60
    scale = 12.0 if in_years else 1.0

    def x(months: float) -> float:
        return months / scale

    reference = [
        charts.Curve(f"P{p}", [(x(m), v) for m, v in line], emphasis=p == 50)
        for p, line in curves.curves.items()
    ]
    bands = []
    if curves.curves.get(3) and curves.curves.get(97):
        bands.append(
            charts.Band(
                [(x(m), v) for m, v in curves.curves[3]], [(x(m), v) for m, v in curves.curves[97]], 0.08
            )
        )
    if curves.curves.get(15) and curves.curves.get(85):
        bands.append(
            charts.Band(
                [(x(m), v) for m, v in curves.curves[15]], [(x(m), v) for m, v in curves.curves[85]], 0.1
            )
        )
    child = charts.Series(
        name=str(definition.label),
        points=[(x(p.age_months), p.value) for p in curves.points],
        labels=[
            f"{dates.format_day(p.on)} ({_age_label(p.age_days)}) : {p.value:g} {unit}" for p in curves.points
        ],
    )
    description = str(
        ngettext(
            "Courbes de référence OMS (percentiles 3, 15, 50, 85 et 97) et %(count)s mesure de l'enfant, "
            "de la naissance à %(age)s.",
            "Courbes de référence OMS (percentiles 3, 15, 50, 85 et 97) et %(count)s mesures de l'enfant, "
            "de la naissance à %(age)s.",
            len(curves.points),
        )
        % {"count": len(curves.points), "age": _age_label(int(curves.x_max_months * growth.DAYS_PER_MONTH))}
    )
    return charts.line_chart_svg(
        chart_id=f"growth-{indicator.slug}",
        title=str(_("%(title)s (%(unit)s)") % {"title": indicator.title, "unit": unit}),
        description=description,
        series=[child],
        x_axis=charts.Axis(str(_("Âge (années)") if in_years else _("Âge (mois)"))),
        y_axis=charts.Axis(f"{definition.label} ({unit})"),
        time_axis=False,
        curves=reference,
        bands=bands,
        x_range=(0.0, x(curves.x_max_months)),
    )


@patient_required
@require_GET
def growth_curves(request: HttpRequest) -> HttpResponse:
    """Growth curves of a minor against the WHO references shipped as data (SPEC §4)."""
    acting = _acting(request)
    child = acting.subject
    today = clock.today()
    try:
        rows = selectors.measurement_list_for_actor(actor=acting.actor, patient_id=child.pk)
    except NotFoundOrForbidden:
        raise Http404 from None
    by_code = selectors.measurements_by_code(rows)
    age_days = growth.age_in_days(child.birth_date, today)
    blocks = []
    for code, indicator in growth.INDICATORS.items():
        definition = referential.measure(code)
        assert definition is not None
        measured = [(timezone.localtime(m.measured_at).date(), float(m.value)) for m in by_code.get(code, [])]
        curves = growth.growth_curves(code, child.sex, child.birth_date, measured, today)
        blocks.append(
            GrowthBlock(
                indicator=indicator,
                definition=definition,
                chart=growth_chart(indicator, definition, curves),
                curves=curves,
                rows=[
                    {
                        "on": dates.format_day(p.on),
                        "age": _age_label(p.age_days),
                        "value": formats.number_format(f"{p.value:g}"),
                        "percentile": None if p.percentile is None else f"{p.percentile:.0f}",
                        "z": None
                        if p.z is None
                        else ("+" if p.z >= 0 else "") + formats.number_format(p.z, 2),
                    }
                    for p in curves.points
                ],
            )
        )
    return render(
        request,
        "profile_vitals/growth.html",
        {
            "acting": acting,
            "blocks": blocks,
            "is_minor": clock.age_on(child.birth_date, today) < settings.CARNET_MAJORITY_AGE,
            "older_than_standard": age_days > growth.STANDARD_MAX_DAYS,
        },
    )


# --------------------------------------------------------------------------------------------------
# Professional side (R-PML-1)


def _pro_rows(pro: ProPatient) -> list[Vaccination]:
    try:
        return selectors.vaccination_list_for_actor(actor=pro.actor, patient_id=pro.patient.pk, mode=pro.mode)
    except NotFoundOrForbidden:
        raise Http404 from None


def _own(pro: ProPatient, vaccination: Vaccination) -> bool:
    """Only to offer the author's buttons; the services decide (R-VER-2)."""
    return vaccination.author_professional_id == pro.professional.pk


@professional_required
@require_GET
def pro_vaccinations(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    pro = pro_patient(request, patient_id)
    rows = _pro_rows(pro)
    groups = [
        (group.label, [_vaccination_row(v, None, editable=_own(pro, v)) for v in group.vaccinations])
        for group in selectors.vaccinations_by_disease(rows)
    ]
    return render(
        request, "profile_vitals/pro_vaccinations.html", pro_context(pro, groups=groups, count=len(rows))
    )


@professional_required
@require_http_methods(["GET", "POST"])
def pro_vaccination_add(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    pro = pro_patient(request, patient_id)
    _pro_rows(pro)  # 404 unless the professional may see the holder's vaccinations (R-PML-1)
    form = VaccinationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.vaccination_create(actor=pro.actor, patient_id=pro.patient.pk, **_service_fields(form))
        except DomainError as error:
            if isinstance(error, NotFoundOrForbidden):
                raise Http404 from None
            apply_domain_error(form, error)
        else:
            messages.success(request, _("La vaccination est ajoutée au profil du patient."))
            return redirect("vitals:pro_vaccinations", patient_id=pro.patient.public_id)
    return render(
        request,
        "profile_vitals/pro_vaccination_form.html",
        pro_context(pro, form=form, editing=None),
        status=400 if form.errors else 200,
    )


@professional_required
@require_http_methods(["GET", "POST"])
def pro_vaccination_edit(
    request: HttpRequest, patient_id: uuid.UUID, vaccination_id: uuid.UUID
) -> HttpResponse:
    pro = pro_patient(request, patient_id)
    try:
        vaccination = selectors.vaccination_get_for_actor(
            actor=pro.actor, patient_id=pro.patient.pk, vaccination_public_id=vaccination_id, mode=pro.mode
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    if not _own(pro, vaccination):
        raise Http404
    form = VaccinationForm(request.POST or None, initial=_form_values(vaccination))
    if request.method == "POST" and form.is_valid():
        try:
            services.vaccination_update(
                actor=pro.actor,
                patient_id=pro.patient.pk,
                vaccination_public_id=vaccination_id,
                **_service_fields(form, vaccination),
            )
        except DomainError as error:
            if isinstance(error, NotFoundOrForbidden):
                raise Http404 from None
            apply_domain_error(form, error)
        else:
            messages.success(request, _("La vaccination est modifiée."))
            return redirect("vitals:pro_vaccinations", patient_id=pro.patient.public_id)
    return render(
        request,
        "profile_vitals/pro_vaccination_form.html",
        pro_context(pro, form=form, editing=_vaccination_row(vaccination, None, editable=True)),
        status=400 if form.errors else 200,
    )
