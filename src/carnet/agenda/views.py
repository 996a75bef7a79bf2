"""Agenda pages (SPEC §6): thin views over ``services`` and ``selectors``; whose diary comes from
``spaces.acting`` (a parent acts for his child, a caregiver for the helped person)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carnet.access.facts import Action
from carnet.common import clock
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.common.permissions import patient_required
from carnet.spaces.acting import ActingContext, acting_context

from . import ics, selectors, services
from .forms import PARIS, AppointmentForm, ImportForm, ReminderForm
from .models import AppointmentStatus

MONTHS = [
    _("janvier"), _("février"), _("mars"), _("avril"), _("mai"), _("juin"),
    _("juillet"), _("août"), _("septembre"), _("octobre"), _("novembre"), _("décembre"),
]  # fmt: skip


def _acting(request: HttpRequest) -> ActingContext:
    acting = acting_context(request)
    if acting is None:
        raise Http404
    return acting


def _attach(form: Any, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


@patient_required
@require_GET
def agenda_list(request: HttpRequest) -> HttpResponse:
    acting = _acting(request)
    actor, patient_id = acting.actor, acting.subject.pk
    try:
        upcoming = list(selectors.appointment_list_for_actor(actor=actor, patient_id=patient_id))
        past = list(selectors.appointment_list_for_actor(actor=actor, patient_id=patient_id, past=True)[:50])
        reminders = list(selectors.reminder_list_for_actor(actor=actor, patient_id=patient_id))
    except NotFoundOrForbidden:
        raise Http404 from None
    return render(
        request,
        "agenda/list.html",
        {
            "acting": acting,
            "upcoming": upcoming,
            "past": past,
            "reminders": reminders,
            "CANCELLED": AppointmentStatus.CANCELLED,
        },
    )


@patient_required
@require_GET
def month(request: HttpRequest) -> HttpResponse:
    acting = _acting(request)
    today = clock.today()
    try:
        year = int(request.GET.get("annee", today.year))
        number = int(request.GET.get("mois", today.month))
        first = date(year, number, 1)
    except ValueError:
        first = today.replace(day=1)
    if not 1900 <= first.year <= 2200:
        first = today.replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    try:
        weeks = selectors.month_weeks(
            actor=acting.actor, patient_id=acting.subject.pk, year=first.year, month=first.month
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    return render(
        request,
        "agenda/month.html",
        {
            "acting": acting,
            "weeks": weeks,
            "title": f"{MONTHS[first.month - 1]} {first.year}",
            "previous": previous,
            "following": following,
            "CANCELLED": AppointmentStatus.CANCELLED,
        },
    )


def _data(form: AppointmentForm) -> services.AppointmentData:
    c = form.cleaned_data
    return services.AppointmentData(
        name=c["name"],
        kind=c["kind"],
        starts_at=c["starts_at"],
        ends_at=c.get("ends_at"),
        speciality=c.get("speciality", ""),
        address=c.get("address", ""),
        comment=c.get("comment", ""),
        reminder_offsets=list(c.get("reminder_offsets") or []),
    )


@patient_required
@require_http_methods(["GET", "POST"])
def appointment_new(request: HttpRequest) -> HttpResponse:
    acting = _acting(request)
    form = AppointmentForm(request.POST or None, initial={"reminder_offsets": [1440]})
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_create(actor=acting.actor, patient_id=acting.subject.pk, data=_data(form))
        except NotFoundOrForbidden:
            raise Http404 from None
        except DomainError as error:
            _attach(form, error)
        else:
            messages.success(request, _("Le rendez-vous a été ajouté à votre agenda."))
            return redirect("agenda:list")
    return render(request, "agenda/appointment_form.html", {"acting": acting, "form": form, "editing": False})


@patient_required
@require_http_methods(["GET", "POST"])
def appointment_edit(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    acting = _acting(request)
    try:
        appointment = selectors.appointment_get_for_actor(
            actor=acting.actor, patient_id=acting.subject.pk, public_id=str(public_id)
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    initial = {
        "name": appointment.name,
        "kind": appointment.kind,
        "starts_at": appointment.starts_at.astimezone(PARIS).replace(tzinfo=None),
        "ends_at": appointment.ends_at.astimezone(PARIS).replace(tzinfo=None)
        if appointment.ends_at
        else None,
        "speciality": appointment.speciality,
        "address": appointment.address,
        "comment": appointment.comment,
        "reminder_offsets": appointment.reminder_offsets,
    }
    form = AppointmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_update(
                actor=acting.actor, patient_id=acting.subject.pk, public_id=str(public_id), data=_data(form)
            )
        except NotFoundOrForbidden:
            raise Http404 from None
        except DomainError as error:
            _attach(form, error)
        else:
            messages.success(request, _("Le rendez-vous a été modifié."))
            return redirect("agenda:list")
    return render(
        request,
        "agenda/appointment_form.html",
        {
            "acting": acting,
            "form": form,
            "editing": True,
            "appointment": appointment,
            "CANCELLED": AppointmentStatus.CANCELLED,
        },
    )


@patient_required
@require_POST
def appointment_cancel(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    acting = _acting(request)
    try:
        services.appointment_cancel(
            actor=acting.actor, patient_id=acting.subject.pk, public_id=str(public_id)
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    messages.success(request, _("Le rendez-vous a été annulé."))
    return redirect("agenda:list")


@patient_required
@require_http_methods(["GET", "POST"])
def reminder_new(request: HttpRequest) -> HttpResponse:
    acting = _acting(request)
    form = ReminderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            services.reminder_create(
                actor=acting.actor,
                patient_id=acting.subject.pk,
                title=c["title"],
                remind_at=c["remind_at"],
                comment=c.get("comment", ""),
            )
        except NotFoundOrForbidden:
            raise Http404 from None
        except DomainError as error:
            _attach(form, error)
        else:
            messages.success(request, _("Le rappel a été ajouté."))
            return redirect("agenda:list")
    return render(request, "agenda/reminder_form.html", {"acting": acting, "form": form})


@patient_required
@require_POST
def reminder_delete(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    acting = _acting(request)
    try:
        services.reminder_delete(actor=acting.actor, patient_id=acting.subject.pk, public_id=str(public_id))
    except NotFoundOrForbidden:
        raise Http404 from None
    messages.success(request, _("Le rappel a été supprimé."))
    return redirect("agenda:list")


@patient_required
@require_http_methods(["GET", "POST"])
def subscription(request: HttpRequest) -> HttpResponse:
    """The private feed URL: shown once when (re)generated, since only its hash is kept."""
    acting = _acting(request)
    feed_url = ""
    try:
        if request.method == "POST":
            if request.POST.get("action") == "revoke":
                services.feed_revoke(actor=acting.actor, patient_id=acting.subject.pk)
                messages.success(request, _("L'adresse d'abonnement a été désactivée."))
                return redirect("agenda:subscription")
            token = services.feed_regenerate(actor=acting.actor, patient_id=acting.subject.pk)
            base = request.build_absolute_uri("/").rstrip("/")
            feed_url = f"{base}/agenda/{token}.ics"
        else:
            services.authorise(actor=acting.actor, patient_id=acting.subject.pk, action=Action.AGENDA_READ)
    except NotFoundOrForbidden:
        raise Http404 from None
    response = render(
        request,
        "agenda/subscription.html",
        {
            "acting": acting,
            "feed_url": feed_url,
            "exists": selectors.feed_exists(patient_id=acting.subject.pk),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@patient_required
@require_http_methods(["GET", "POST"])
def import_ics(request: HttpRequest) -> HttpResponse:
    acting = _acting(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > ics.MAX_IMPORT_BYTES:
            form.add_error("file", _("Fichier : le fichier dépasse 1 Mo."))
        else:
            try:
                report = services.ics_import(
                    actor=acting.actor, patient_id=acting.subject.pk, content=upload.read()
                )
            except NotFoundOrForbidden:
                raise Http404 from None
            except DomainError as error:
                _attach(form, error)
    return render(request, "agenda/import.html", {"acting": acting, "form": form, "report": report})


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private iCalendar feed (no session: the token is the credential). Unknown or revoked → 404."""
    items = selectors.feed_items_for_token(token)
    if items is None:
        raise Http404
    appointments, reminders = items
    response = HttpResponse(
        ics.build_feed(appointments, reminders), content_type="text/calendar; charset=utf-8"
    )
    response["Cache-Control"] = "no-store"
    response["Content-Disposition"] = 'inline; filename="carnet.ics"'
    return response
