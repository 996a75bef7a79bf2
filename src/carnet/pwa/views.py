"""Pages of the installable app (docs/subsystems/pwa.md).

* ``service_worker`` — ``/sw.js``, at the root so its scope is the whole site. It precaches the static
  files of ``selectors.PRECACHED_STATIC`` and the offline page, answers navigations from the network
  only (the offline page when there is none) and never stores a page or an API answer — except the
  emergency summary on a device whose owner turned that on.
* ``manifest`` — the web app manifest, in French (``lang: fr``) or, with ``?lang=en``, in English.
* ``offline`` — what a navigation shows without network. The same for everybody: it reads no user, no
  session, nothing personal, so the worker may keep it.
* ``offline_summary``, ``push_subscribe``, ``push_unsubscribe`` — this device's settings, from the
  devices page (patients only).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from carnet.accounts.models import Device
from carnet.common.actors import Actor, ActorKind
from carnet.common.errors import DomainError
from carnet.common.permissions import patient_required
from carnet.identity.models import Person
from carnet.notifications import push

from . import selectors, services
from .state import SUMMARY_CACHE

THEME_COLOUR = "#000091"  # DSFR "bleu France", the colour dsfr_css already gives the browser
BACKGROUND_COLOUR = "#ffffff"


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "pwa/sw.js",
        {
            "version": selectors.assets_version(),
            "precache": json.dumps([reverse("pwa:offline"), *selectors.precached_static_urls()]),
            "offline_url": json.dumps(reverse("pwa:offline")),
            "summary_url": json.dumps(reverse("profile_summary:emergency")),
            "summary_cache": json.dumps(SUMMARY_CACHE),
            "static_prefix": json.dumps(static("")),
            "icon": json.dumps(static("carnet/pwa/maskable-192.png")),
            "badge": json.dumps(static("dsfr/dist/favicon/android-chrome-192x192.png")),
        },
        content_type="text/javascript; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache"  # browsers check for a new worker on every visit
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    language = request.GET.get("lang", "fr")
    language = language if language in {"fr", "en"} else "fr"
    with translation.override(language):
        data: dict[str, Any] = {
            "id": "/",
            "name": gettext("Carnet — votre espace santé"),
            "short_name": "Carnet",
            "description": gettext("Votre espace santé personnel"),
            "lang": language,
            "dir": "ltr",
            "start_url": reverse("spaces:home"),
            "scope": "/",
            "display": "standalone",
            "orientation": "any",
            "theme_color": THEME_COLOUR,
            "background_color": BACKGROUND_COLOUR,
            "categories": ["health", "medical"],
            "icons": [
                {
                    "src": static("dsfr/dist/favicon/android-chrome-192x192.png"),
                    "sizes": "192x192",
                    "type": "image/png",
                    "purpose": "any",
                },
                {
                    "src": static("dsfr/dist/favicon/android-chrome-512x512.png"),
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "any",
                },
                {
                    "src": static("carnet/pwa/maskable-192.png"),
                    "sizes": "192x192",
                    "type": "image/png",
                    "purpose": "maskable",
                },
                {
                    "src": static("carnet/pwa/maskable-512.png"),
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "maskable",
                },
                {
                    "src": static("dsfr/dist/favicon/favicon.svg"),
                    "sizes": "any",
                    "type": "image/svg+xml",
                    "purpose": "any",
                },
            ],
        }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """No user, no session in the context: ``render`` with a plain context, no request."""
    from django.template.loader import render_to_string

    html = render_to_string(
        "pwa/offline.html",
        {
            "LANGUAGE_CODE": translation.get_language() or "fr",
            "summary_url": reverse("profile_summary:emergency"),
            "summary_cache": SUMMARY_CACHE,
        },
    )
    return HttpResponse(html)


# --- this device's settings (devices page) ----------------------------------------------------------


def _me_and_device(request: HttpRequest) -> tuple[Person, Device, Actor]:
    person = getattr(request.user, "person", None)
    device_id = selectors.current_device_id(request)
    user_id = request.user.pk
    device = (
        Device.objects.filter(
            pk=device_id, user_id=user_id, revoked_at__isnull=True, ended_at__isnull=True
        ).first()
        if device_id is not None and user_id is not None
        else None
    )
    if not isinstance(person, Person) or device is None:
        raise Http404
    actor = Actor(
        ActorKind.PATIENT,
        str(getattr(request.user, "public_id", "")),
        label=person.display_name,
        user_id=request.user.pk,
        person_id=person.pk,
    )
    return person, device, actor


@patient_required
@require_POST
def offline_summary(request: HttpRequest) -> HttpResponse:
    person, device, actor = _me_and_device(request)
    enabled = request.POST.get("enabled") == "1"
    services.offline_summary_choose(
        actor=actor,
        person_id=person.pk,
        session=request.session,
        device_public_id=str(device.public_id),
        enabled=enabled,
    )
    if enabled:
        messages.success(request, _("Votre synthèse d'urgence sera consultable hors ligne sur cet appareil."))
    else:
        messages.success(request, _("Votre synthèse d'urgence n'est plus gardée sur cet appareil."))
    return redirect(reverse("accounts:devices") + "#cet-appareil")


@patient_required
@require_POST
def push_subscribe(request: HttpRequest) -> HttpResponse:
    """JSON body: the browser's ``PushSubscription.toJSON()``. Answers JSON (the page script calls it)."""
    person, device, actor = _me_and_device(request)
    try:
        subscription = json.loads(request.body or b"{}")
    except ValueError:
        subscription = {}
    try:
        push.push_subscribe(actor=actor, person_id=person.pk, device=device, subscription=subscription)
    except DomainError as error:
        return JsonResponse({"error": str(error.message), "field": error.field}, status=400)
    messages.success(request, _("Les notifications sont activées sur cet appareil."))
    return JsonResponse({"subscribed": True}, status=201)


@patient_required
@require_POST
def push_unsubscribe(request: HttpRequest) -> HttpResponse:
    person, device, actor = _me_and_device(request)
    push.push_unsubscribe(actor=actor, person_id=person.pk, device=device)
    messages.success(request, _("Les notifications sont désactivées sur cet appareil."))
    return redirect(reverse("accounts:devices") + "#cet-appareil")
