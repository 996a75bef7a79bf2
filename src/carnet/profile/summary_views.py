"""The summary page (R-LC-25, R-PML-1): ``/espace/profil/synthese/``.

Thin views over ``profile.summary`` and ``profile.ips``: the holder's side (``spaces.acting``) chooses
sections, downloads the PDF or saves it into his documents (DOCPAT08), and downloads his International
Patient Summary (FHIR JSON). The policy and the traces are in the called functions; a refusal is a 404.

``/espace/profil/synthese-urgence/`` is the emergency summary (``emergency_page``): what a person needs
shown in an emergency — allergies, treatments, diseases, blood group, disabilities, people to call,
advance directives — as one page of the logged-in person's own profile (never of a space he acts for:
this is the page a device may keep for offline reading when its owner turns that on, docs/subsystems/pwa.md).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from carnet.access.facts import ProfileSection
from carnet.common import clock
from carnet.common.actors import Actor, ActorKind
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.common.permissions import patient_required
from carnet.spaces.acting import ActingContext, acting_context

from . import ips, summary

ACTION_DOWNLOAD = "telecharger"
ACTION_SAVE = "enregistrer"


def _acting(request: HttpRequest) -> ActingContext:
    acting = acting_context(request)
    if acting is None:
        raise Http404
    return acting


def _choices(chosen: set[str]) -> list[dict[str, Any]]:
    return [
        {"value": str(section), "label": summary.SECTION_TITLES[section], "checked": str(section) in chosen}
        for section in summary.SUMMARY_SECTIONS
    ]


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@patient_required
@require_http_methods(["GET", "POST"])
def summary_page(request: HttpRequest) -> HttpResponse:
    """Choose sections (checkboxes), then "Télécharger" (PDF) or "Enregistrer dans mes documents"."""
    acting = _acting(request)
    error = ""
    chosen = {str(s) for s in summary.SUMMARY_SECTIONS}
    if request.method == "POST":
        chosen = set(request.POST.getlist("sections"))
        action = request.POST.get("action", "")
        try:
            if action == ACTION_SAVE:
                summary.profile_summary_save(
                    actor=acting.actor, patient_id=acting.subject.pk, sections=chosen
                )
                messages.success(
                    request,
                    _("La synthèse est enregistrée dans vos documents (catégorie « Synthèse médicale »)."),
                )
                return redirect("profile_summary:page")
            content = summary.profile_summary_pdf_for_actor(
                actor=acting.actor, patient_id=acting.subject.pk, sections=chosen
            )
            filename = f"synthese-profil-medical-{clock.today():%Y-%m-%d}.pdf"
            return _attachment(content, "application/pdf", filename)
        except NotFoundOrForbidden:
            raise Http404 from None
        except DomainError as exc:
            error = str(exc.message)
    return render(
        request,
        "profile_summary/summary.html",
        {"acting": acting, "choices": _choices(chosen), "error": error},
        status=400 if error else 200,
    )


@patient_required
@require_GET
def ips_download(request: HttpRequest) -> HttpResponse:
    """The International Patient Summary (FHIR R4 document Bundle) as a JSON file."""
    acting = _acting(request)
    try:
        bundle = ips.ips_for_actor(actor=acting.actor, patient_id=acting.subject.pk)
    except NotFoundOrForbidden:
        raise Http404 from None
    content = json.dumps(bundle, ensure_ascii=False, indent=2).encode()
    return _attachment(
        content, "application/fhir+json", f"synthese-patient-ips-{clock.today():%Y-%m-%d}.json"
    )


# What the emergency summary shows, in this order (a subset of the summary's sections).
EMERGENCY_SECTIONS: tuple[ProfileSection, ...] = (
    ProfileSection.ALLERGIES,
    ProfileSection.TREATMENTS,
    ProfileSection.DISEASES,
    ProfileSection.BLOOD_GROUP,
    ProfileSection.DISABILITIES,
    ProfileSection.ENTOURAGE,
    ProfileSection.ADVANCE_DIRECTIVES,
)


@patient_required
@require_GET
def emergency_page(request: HttpRequest) -> HttpResponse:
    """The logged-in person's emergency summary (read through the policy and traced once, purpose
    ``emergency``). Always his own: a parent acting for a child sees his own here."""
    acting = _acting(request)
    me = acting.me
    actor = Actor(
        ActorKind.PATIENT,
        str(getattr(request.user, "public_id", "")),
        label=me.display_name,
        user_id=request.user.pk,
        person_id=me.pk,
    )
    try:
        snapshot = summary.profile_snapshot_for_actor(
            actor=actor, patient_id=me.pk, sections=EMERGENCY_SECTIONS, purpose="emergency"
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    return render(
        request,
        "profile_summary/emergency.html",
        {"snap": snapshot, "not_concerned": snapshot.not_concerned},
    )
