"""Pages of the prevention calendar (SPEC §6, R-AG-3, R-AG-4): thin views over ``selectors`` and
``services``. The acting person may be a legal representative or a caregiver (``spaces.acting``).

* ``/espace/prevention/``: items due now and coming within a year, with their status, window and
  "why am I seeing this"; a status form per item; opt out of / back into a kind.
* ``/espace/prevention/famille/``: a parent's view of his children's due items (LEGAL_REPRESENTATION).

Templates live in the agenda app's ``templates/prevention/`` (this package is part of that app).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from carnet.common import clock
from carnet.common.actors import Actor, ActorKind
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.common.permissions import patient_required
from carnet.identity.models import Person
from carnet.spaces.acting import ActingContext, acting_context, acting_target, active_delegations
from carnet.spaces.models import DelegationKind

from . import selectors, services
from .models import PreventionKind, PreventionStatusChoice


def _render(request: HttpRequest, name: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, name, context, status=status)


def _acting(request: HttpRequest) -> ActingContext:
    acting = acting_context(request)
    if acting is None:
        raise Http404
    return acting


@patient_required
@require_GET
def prevention_page(request: HttpRequest) -> HttpResponse:
    acting = _acting(request)
    try:
        items = selectors.prevention_items_for_actor(actor=acting.actor, person=acting.subject)
    except NotFoundOrForbidden:
        raise Http404 from None
    opted_out = selectors.opt_outs_of(acting.subject.pk)
    kinds = [(value, label, value in opted_out) for value, label in PreventionKind.choices]
    return _render(
        request,
        "prevention/page.html",
        {
            "acting": acting,
            "due": [i for i in items if i.due],
            "upcoming": [i for i in items if not i.due],
            "kinds": kinds,
            "statuses": PreventionStatusChoice.choices,
            "today": clock.today(),
        },
    )


@patient_required
@require_POST
def status_set(request: HttpRequest) -> HttpResponse:
    acting = _acting(request)
    try:
        services.prevention_status_set(
            actor=acting.actor,
            person=acting.subject,
            item_code=request.POST.get("item", ""),
            status=request.POST.get("status", ""),
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, str(_("Statut enregistré.")))
    return redirect("prevention:page")


def _kind_change(request: HttpRequest, *, out: bool) -> HttpResponse:
    acting = _acting(request)
    action = services.prevention_opt_out if out else services.prevention_opt_in
    try:
        action(actor=acting.actor, person=acting.subject, kind=request.POST.get("kind", ""))
    except NotFoundOrForbidden:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            str(
                _("Vous ne recevrez plus ces rappels.") if out else _("Ces rappels sont de nouveau affichés.")
            ),
        )
    return redirect("prevention:page")


@patient_required
@require_POST
def opt_out(request: HttpRequest) -> HttpResponse:
    return _kind_change(request, out=True)


@patient_required
@require_POST
def opt_in(request: HttpRequest) -> HttpResponse:
    return _kind_change(request, out=False)


@patient_required
@require_GET
def family(request: HttpRequest) -> HttpResponse:
    """A parent's children (active LEGAL_REPRESENTATION delegations, minors only: R-MIN-1, R-MIN-7)."""
    acting = _acting(request)
    me = acting.me
    children: list[tuple[Person, list[Any]]] = []
    for delegation in active_delegations(me):
        if delegation.kind != DelegationKind.LEGAL_REPRESENTATION:
            continue
        child = acting_target(me=me, public_id=str(delegation.subject.public_id))
        if child is None:  # no longer valid (majority reached)
            continue
        actor = Actor(
            ActorKind.LEGAL_REPRESENTATIVE,
            acting.actor.id,
            label=acting.actor.label,
            user_id=acting.actor.user_id,
            person_id=me.pk,
        )
        try:
            items = selectors.prevention_items_for_actor(actor=actor, person=child, horizon_days=0)
        except NotFoundOrForbidden:
            continue
        children.append((child, items))
    return _render(request, "prevention/family.html", {"acting": acting, "children": children})
