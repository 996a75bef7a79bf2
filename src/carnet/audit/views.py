"""Pages of the "Historique d'activité" (R-TR-3): thin views over ``selectors`` and ``services``.

Who may see a history is decided by ``access`` (``selectors.history_access``, Action.VIEW_TRACES):
the holder and a minor's legal representatives; a caregiver, or anyone else, gets the ordinary 404.
What is hidden from the viewer (R-MASK-6, R-MIN-5) comes from ``hooks.hidden_object_ids``.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from carnet.common import clock
from carnet.common.permissions import patient_required
from carnet.spaces.acting import ActingContext, acting_context

from .forms import HistoryFilterForm
from .hooks import hidden_object_ids
from .selectors import history_access, history_for_viewer, professional_label
from .services import history_export


def _viewer(request: HttpRequest) -> tuple[ActingContext, set[str]]:
    """The acting context if ``access`` lets it see the subject's history, else 404 (same as missing)."""
    acting = acting_context(request)
    if acting is None or not history_access(acting):
        raise Http404
    return acting, hidden_object_ids(patient_id=acting.subject.pk, viewer_kind=str(acting.kind))


def _page(request: HttpRequest, acting: ActingContext, hidden: set[str], **filters: Any) -> dict[str, Any]:
    return {
        "acting": acting,
        "history": history_for_viewer(
            patient_id=acting.subject.pk,
            viewer_kind=str(acting.kind),
            hidden_object_ids=hidden,
            viewer_actor_id=str(acting.actor.id),
            page=request.GET.get("page"),
            **filters,
        ),
    }


@patient_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    acting, hidden = _viewer(request)
    form = HistoryFilterForm(request.GET if ("groupe" in request.GET or "acteur" in request.GET) else None)
    context = _page(request, acting, hidden, **form.filters())
    query = request.GET.copy()
    query.pop("page", None)
    context.update({"form": form, "mode": "all", "query": query.urlencode()})
    return render(request, "audit/history.html", context)


@patient_required
@require_GET
def history_document(request: HttpRequest, object_id: str) -> HttpResponse:
    acting, hidden = _viewer(request)
    context = _page(request, acting, hidden, object_id=object_id)
    if context["history"].count == 0:  # unknown, or hidden from this viewer: the same 404
        raise Http404
    context.update({"mode": "document", "query": ""})
    return render(request, "audit/history.html", context)


@patient_required
@require_GET
def history_professional(request: HttpRequest, actor_id: str) -> HttpResponse:
    acting, hidden = _viewer(request)
    context = _page(request, acting, hidden, actor_id=actor_id)
    if context["history"].count == 0:
        raise Http404
    context.update(
        {
            "mode": "professional",
            "professional": professional_label(patient_id=acting.subject.pk, actor_id=actor_id),
            "query": "",
        }
    )
    return render(request, "audit/history.html", context)


@patient_required
@require_POST
def history_download(request: HttpRequest) -> HttpResponse:
    """The whole chain visible to the viewer with its signed proof (traced HISTORY_DOWNLOADED)."""
    acting, hidden = _viewer(request)
    document = history_export(actor=acting.actor, patient_id=acting.subject.pk, hidden_object_ids=hidden)
    body = json.dumps(document, ensure_ascii=False, indent=1)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"historique-carnet-{clock.today().isoformat()}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
