"""Pages of delegations (SPEC §1.5, §8): thin views over ``spaces.delegation`` services and selectors.

Every page is about the logged-in person ("me"), whoever's space he is currently acting on.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carnet.common.actors import Actor, ActorKind
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.identity.models import Person

from . import delegation as svc
from .acting import ActingContext, acting_context, acting_switch, acting_target
from .models import Delegation

View = Callable[..., HttpResponse]


def _me(request: HttpRequest) -> tuple[Person, Actor]:
    """The logged-in person and the actor he is when he acts in his own name."""
    user = request.user
    person: Person | None = getattr(user, "person", None)
    if person is None or not user.is_authenticated:
        raise Http404
    actor = Actor(
        ActorKind.PATIENT,
        str(user.public_id),
        label=person.display_name,
        user_id=user.pk,
        person_id=person.pk,
    )
    return person, actor


def person_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        _me(request)
        return view(request, *args, **kwargs)

    return wrapper


def _form_error(form: forms.Form, error: DomainError) -> None:
    """Show a domain error next to its field when it names a field of the form, else on top of it."""
    field = error.field if error.field in form.fields else None
    if error.field == "nir" and "parent_nir" in form.fields:
        field = "parent_nir"
    form.add_error(field, str(error.message))


def _get_delegation(public_id: uuid.UUID, person: Person) -> Delegation:
    try:
        return svc.delegation_get_for_person(public_id=public_id, person=person)
    except NotFoundOrForbidden as exc:
        raise Http404 from exc


def _back(request: HttpRequest) -> HttpResponseRedirect:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(target)
    return redirect("delegation:home")


@person_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    acting = acting_context(request)
    assert isinstance(acting, ActingContext)
    return render(request, "spaces/delegation_home.html", svc.delegation_context(acting))


@person_required
@require_POST
def acting_for(request: HttpRequest) -> HttpResponse:
    """POST ``person`` (a public id or "moi"): switch, only through an ACCEPTED delegation, else 404."""
    me, _actor = _me(request)
    target = acting_target(me=me, public_id=request.POST.get("person", ""))
    if target is None:
        raise Http404
    acting_switch(request, me=me, person=target)
    return _back(request) if request.POST.get("next") else redirect("spaces:home")


@person_required
@require_http_methods(["GET", "POST"])
def caregiver_invite(request: HttpRequest) -> HttpResponse:
    me, actor = _me(request)
    form = svc.CaregiverInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            svc.caregiver_invite(
                helped=me,
                actor=actor,
                nir=form.cleaned_data["nir"],
                family_name=form.cleaned_data["family_name"],
                first_name=form.cleaned_data["first_name"],
                birth_date=form.cleaned_data["birth_date"],
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Votre invitation a été envoyée."))
            return redirect("delegation:home")
    return render(
        request,
        "spaces/delegation_caregiver_invite.html",
        {"form": form, "days": settings.CARNET_CAREGIVER_INVITATION_DAYS},
    )


@person_required
@require_http_methods(["GET", "POST"])
def representative_invite(request: HttpRequest, child: uuid.UUID) -> HttpResponse:
    me, actor = _me(request)
    child_person = Person.objects.filter(public_id=child).first()
    if child_person is None:
        raise Http404
    form = svc.SecondRepresentativeInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            svc.legal_representative_invite(
                inviter=me,
                child=child_person,
                actor=actor,
                nir=form.cleaned_data["nir"],
                birth_name=form.cleaned_data["birth_name"],
                first_name=form.cleaned_data["first_name"],
                birth_date=form.cleaned_data["birth_date"],
            )
        except NotFoundOrForbidden as exc:
            raise Http404 from exc
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Votre invitation a été envoyée."))
            return redirect("delegation:home")
    elif request.method == "GET" and not svc.delegation_can_invite_representative(
        inviter=me, child=child_person
    ):
        raise Http404
    return render(
        request, "spaces/delegation_representative_invite.html", {"form": form, "child": child_person}
    )


@person_required
@require_http_methods(["GET", "POST"])
def child_add(request: HttpRequest) -> HttpResponse:
    """R-LC-10 (minors): "Ajouter le profil de mon enfant"."""
    me, actor = _me(request)
    form = svc.ChildProfileAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            svc.minor_profile_activate(
                parent=me,
                actor=actor,
                code=form.cleaned_data["code"],
                parent_nir=form.cleaned_data["parent_nir"],
                child_birth_date=form.cleaned_data["child_birth_date"],
                certified=form.cleaned_data["certified"],
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(
                request,
                _("Le profil de votre enfant est activé. Choisissez-le dans « Agir pour » pour y accéder."),
            )
            return redirect("delegation:home")
    return render(request, "spaces/delegation_child_add.html", {"form": form})


def _answer(
    request: HttpRequest, public_id: uuid.UUID, action: Callable[..., Any], done: str
) -> HttpResponse:
    me, actor = _me(request)
    delegation = _get_delegation(public_id, me)
    try:
        action(delegation=delegation, person=me, actor=actor)
    except NotFoundOrForbidden as exc:
        raise Http404 from exc
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, done)
    return _back(request)


@person_required
@require_POST
def accept(request: HttpRequest, delegation: uuid.UUID) -> HttpResponse:
    return _answer(request, delegation, svc.delegation_accept, str(_("Invitation acceptée.")))


@person_required
@require_POST
def refuse(request: HttpRequest, delegation: uuid.UUID) -> HttpResponse:
    return _answer(request, delegation, svc.delegation_refuse, str(_("Invitation refusée.")))


@person_required
@require_http_methods(["GET", "POST"])
def revoke(request: HttpRequest, delegation: uuid.UUID) -> HttpResponse:
    """GET: a confirmation page; POST: end the delegation (R-DEL-2, either side)."""
    if request.method == "POST":
        return _answer(request, delegation, svc.delegation_revoke, str(_("L'autorisation a pris fin.")))
    me, _actor = _me(request)
    entry = _get_delegation(delegation, me)
    return render(request, "spaces/delegation_revoke.html", {"delegation": entry, "me": me})


@person_required
@require_GET
def attestation(request: HttpRequest, delegation: uuid.UUID) -> HttpResponse:
    """Download my copy of the access attestation (R-DEL-2)."""
    me, actor = _me(request)
    entry = _get_delegation(delegation, me)
    try:
        content = svc.delegation_attestation_get(delegation=entry, person=me, actor=actor)
    except NotFoundOrForbidden as exc:
        raise Http404 from exc
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="attestation-acces.pdf"'
    return response
