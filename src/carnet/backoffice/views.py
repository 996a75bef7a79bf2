"""Operator back-office pages (``/backoffice/``) and the public support form (``/aide/``).

Thin views: they check the role (``operator_required``), call selectors and services, and render.
No view ever loads a document, a profile section or a message: operators see administrative data only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from carnet.accounts.models import User
from carnet.audit.labels import operator_action_label
from carnet.common.actors import ActorKind
from carnet.common.errors import DomainError
from carnet.common.permissions import operator_required
from carnet.spaces.models import HealthSpace, SpaceStatus

from . import selectors, services
from .forms import (
    RecordDeathForm,
    SpaceFilterForm,
    SpaceSearchForm,
    SupportRequestForm,
    SupportStatusForm,
    SuspendForm,
)
from .models import SupportStatus

ACTOR_KIND_LABELS = {
    ActorKind.PATIENT: _("Titulaire"),
    ActorKind.LEGAL_REPRESENTATIVE: _("Représentant légal"),
    ActorKind.CAREGIVER: _("Proche aidant"),
    ActorKind.PROFESSIONAL: _("Professionnel de santé"),
    ActorKind.ORGANISATION: _("Établissement"),
    ActorKind.OPERATOR: _("Opérateur"),
    ActorKind.INSURANCE: _("Assurance Maladie"),
    ActorKind.SYSTEM: _("Carnet (automatique)"),
}


def _operator(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # guaranteed by operator_required
    return user


def _space_or_404(space_id: Any) -> HealthSpace:
    space = selectors.space_get_for_operator(public_id=space_id)
    if space is None:
        raise Http404
    return space


def _apply_domain_error(form: Any, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


@operator_required
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "backoffice/home.html",
        {
            "status_counts": selectors.space_status_counts(),
            "support_counts": selectors.support_request_counts(),
            "search_form": SpaceSearchForm(),
        },
    )


@operator_required
@require_http_methods(["GET", "POST"])
def space_list(request: HttpRequest) -> HttpResponse:
    """GET: the paginated list (status filter in the URL). POST: search by public id or NIR."""
    search_form = SpaceSearchForm()
    if request.method == "POST":
        search_form = SpaceSearchForm(request.POST)
        if search_form.is_valid():
            space = selectors.space_find_for_operator(query=search_form.cleaned_data["query"])
            if space is not None:
                return redirect("backoffice:space_detail", space_id=space.public_id)
            search_form.add_error(
                "query", _("Recherche : aucun profil ne correspond à cet identifiant ou à ce numéro.")
            )
        # What was typed (maybe a NIR) is never echoed: the search template renders the field empty.
    filter_form = SpaceFilterForm(request.GET or None)
    status = filter_form.cleaned_data["status"] if filter_form.is_valid() else ""
    page = Paginator(selectors.space_list_for_operator(status=status), selectors.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [{"space": space, "identity": selectors.identity_summary(space)} for space in page.object_list]
    return render(
        request,
        "backoffice/space_list.html",
        {
            "page_obj": page,
            "rows": rows,
            "filter_form": filter_form if filter_form.is_bound else SpaceFilterForm(),
            "search_form": search_form,
            "status": status,
        },
    )


@operator_required
def space_detail(request: HttpRequest, space_id: Any) -> HttpResponse:
    space = _space_or_404(space_id)
    services.space_consult_by_operator(space=space, operator=_operator(request))
    traces = [
        {
            "action": operator_action_label(t.action),
            "at": t.at,
            "actor": ACTOR_KIND_LABELS.get(t.actor_kind, t.actor_kind),  # type: ignore[call-overload]
        }
        for t in selectors.space_general_traces(space=space)
    ]
    return render(
        request,
        "backoffice/space_detail.html",
        {
            "space": space,
            "identity": selectors.identity_summary(space),
            "contact": selectors.person_contact_for_operator(person_id=space.patient_id),
            "traces": traces,
            "can_suspend": space.status not in {SpaceStatus.SUSPENDED, SpaceStatus.DELETED},
            "can_record_death": space.deceased_at is None and space.status != SpaceStatus.DELETED,
        },
    )


@operator_required
@require_http_methods(["GET", "POST"])
def space_suspend(request: HttpRequest, space_id: Any) -> HttpResponse:
    """R-LC-24: confirmation form, then ``spaces.space_suspend`` with an OPERATOR actor."""
    space = _space_or_404(space_id)
    form = SuspendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.operator_space_suspend(
                space=space, operator=_operator(request), motif=form.cleaned_data["motif"]
            )
        except DomainError as error:
            _apply_domain_error(form, error)
        else:
            messages.success(request, _("Le profil a été suspendu. Le titulaire en est informé."))
            return redirect("backoffice:space_detail", space_id=space.public_id)
    return render(
        request,
        "backoffice/space_action.html",
        {
            "space": space,
            "identity": selectors.identity_summary(space),
            "form": form,
            "title": _("Suspendre le profil"),
            "explanation": _(
                "En cas de fraude ou de dysfonctionnement grave, le profil est suspendu. Le titulaire en est "
                "informé ; sans opposition de sa part dans un délai de 6 semaines, le profil est clôturé."
            ),
            "submit_label": _("Suspendre le profil"),
        },
    )


@operator_required
@require_http_methods(["GET", "POST"])
def space_record_death(request: HttpRequest, space_id: Any) -> HttpResponse:
    """R-LC-27: confirmation form, then ``spaces.space_record_death`` with an OPERATOR actor."""
    space = _space_or_404(space_id)
    form = RecordDeathForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.operator_space_record_death(
                space=space, operator=_operator(request), died_on=form.cleaned_data["died_on"]
            )
        except DomainError as error:
            _apply_domain_error(form, error)
        else:
            messages.success(request, _("Le décès a été enregistré. Le profil est clôturé."))
            return redirect("backoffice:space_detail", space_id=space.public_id)
    return render(
        request,
        "backoffice/space_action.html",
        {
            "space": space,
            "identity": selectors.identity_summary(space),
            "form": form,
            "title": _("Enregistrer un décès"),
            "explanation": _(
                "Le profil sera clôturé et archivé 10 ans, les notifications cessent et le profil est marqué "
                "« décédé ». L'accès des proches se fait sur demande, hors ligne."
            ),
            "submit_label": _("Enregistrer le décès"),
        },
    )


@operator_required
def support_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in SupportStatus.values else ""
    page = Paginator(selectors.support_request_list(status=status), selectors.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page.object_list = list(page.object_list)
    for item in page.object_list:
        item.next_statuses = [  # type: ignore[attr-defined]
            (s, SupportStatus(s).label)
            for s in SupportStatus.values
            if s in services.SUPPORT_TRANSITIONS[item.status]
        ]
    return render(
        request,
        "backoffice/support_list.html",
        {
            "page_obj": page,
            "status": status,
            "statuses": SupportStatus.choices,
            "active_statuses": selectors.ACTIVE_SUPPORT_STATUSES,
        },
    )


@operator_required
@require_POST
def support_status(request: HttpRequest, request_id: Any) -> HttpResponse:
    support_request = selectors.support_request_get(public_id=request_id)
    if support_request is None:
        raise Http404
    form = SupportStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Statut : choisissez un statut dans la liste."))
    else:
        try:
            services.support_request_set_status(
                request=support_request, status=form.cleaned_data["status"], operator=_operator(request)
            )
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(
                request,
                _("La demande %(reference)s est maintenant « %(status)s ».")
                % {
                    "reference": support_request.reference,
                    "status": SupportStatus(form.cleaned_data["status"]).label,
                },
            )
    return redirect("backoffice:support_list")


# --- public ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def support_create(request: HttpRequest) -> HttpResponse:
    """``/aide/``: anyone may ask for help (category + contact e-mail; no free text, no medical data)."""
    if request.method == "POST":
        form = SupportRequestForm(request.POST)
        if form.is_valid():
            try:
                created = services.support_request_create(
                    category=form.cleaned_data["category"],
                    contact_email=form.cleaned_data["contact_email"],
                    user=request.user if isinstance(request.user, User) else None,
                    language=get_language() or "fr",
                )
            except DomainError as error:
                _apply_domain_error(form, error)
            else:
                messages.success(
                    request,
                    _(
                        "Votre demande a bien été enregistrée (référence %(reference)s). Un conseiller vous "
                        "répondra par e-mail."
                    )
                    % {"reference": created.reference},
                )
                return redirect("support:create")
    else:
        user = request.user
        person = user.person if isinstance(user, User) and user.person_id else None
        form = SupportRequestForm(initial={"contact_email": person.email} if person is not None else None)
    return render(request, "backoffice/support_create.html", {"form": form})
