"""Pages of the "Historique d'activité" (R-TR-3) and of the history verifier: thin views over
``selectors`` and the services (``export``, ``digest``).

Who may see a history is decided by ``access`` (``history.selectors.history_access``, Action.VIEW_TRACES):
the holder and a minor's legal representatives; a caregiver, or anyone else, gets the ordinary 404.
What is hidden from the viewer (R-MASK-6, R-MIN-5) comes from ``audit.hooks.hidden_object_ids``.
The verifier (``audit/verifier/``) is public and static: it runs in the patient's browser, without any call
to the server, under a Content-Security-Policy of its own that allows exactly its inline script.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from carnet.audit import verifier
from carnet.audit.export import history_export
from carnet.audit.hooks import hidden_object_ids
from carnet.audit.log import LogIntegrityError
from carnet.audit.selectors import history_for_viewer, professional_label
from carnet.audit.services import public_key_b64, signing_key_id
from carnet.common import clock
from carnet.common.permissions import patient_required
from carnet.spaces.acting import ActingContext, acting_context

from .digest import history_digest_request
from .forms import HistoryFilterForm
from .selectors import history_access

log = logging.getLogger("carnet.audit.views")


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
    context.update(
        {"form": form, "mode": "all", "query": query.urlencode(), "has_email": bool(acting.me.email)}
    )
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


def _log_unavailable(request: HttpRequest) -> HttpResponse:
    return render(request, "audit/log_unavailable.html", status=503)


@patient_required
@require_POST
def history_download(request: HttpRequest) -> HttpResponse:
    """The entries visible to the viewer with their proofs (traced HISTORY_DOWNLOADED)."""
    acting, hidden = _viewer(request)
    try:
        document = history_export(actor=acting.actor, patient_id=acting.subject.pk, hidden_object_ids=hidden)
    except LogIntegrityError:  # logged by the sequencer, without content; nothing was written
        return _log_unavailable(request)
    body = json.dumps(document, ensure_ascii=False, indent=1)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"historique-carnet-{clock.today().isoformat()}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@patient_required
@require_POST
def history_digest(request: HttpRequest) -> HttpResponse:
    """Queue the content-free e-mail holding the current signed head (size, root, date) to the viewer."""
    acting, _hidden = _viewer(request)
    try:
        head = history_digest_request(acting=acting)
    except LogIntegrityError:
        return _log_unavailable(request)
    if head is None:
        messages.warning(
            request, _("Aucune adresse électronique n'est enregistrée : l'empreinte n'a pas été envoyée.")
        )
    else:
        messages.success(request, _("L'empreinte de votre historique vous a été envoyée par courriel."))
    return redirect("audit:history")


# --------------------------------------------------------------------------------------------------
# The verifier (public)
# --------------------------------------------------------------------------------------------------


@require_GET
def verifier_info(request: HttpRequest) -> HttpResponse:
    """The page presenting the verifier and the log's public key, with how to check that key."""
    key = public_key_b64()
    return render(
        request,
        "audit/verifier_info.html",
        {
            "public_key": key,
            "key_id": signing_key_id(),
            "fingerprint": verifier.fingerprint(key),
            "lang": "en" if (get_language() or "fr").startswith("en") else "fr",
        },
    )


@require_GET
def verifier_page(request: HttpRequest) -> HttpResponse:
    """The self-contained verifier, byte for byte the committed file; ``?telecharger=1`` downloads it."""
    response = HttpResponse(verifier.page_bytes(), content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = verifier.content_security_policy()
    if request.GET.get("telecharger"):
        response["Content-Disposition"] = 'attachment; filename="verificateur-historique-carnet.html"'
    return response
