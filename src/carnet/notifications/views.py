"""Pages of the notifications app (the demo outbox page is ``carnet.demo.views.outbox``).

``centre``, ``mark_read``, ``mark_all_read``, ``preferences``: the holder's notification centre
(R-NOT-3) and e-mail preferences (R-NOT-1), mounted by ``urls_space`` under ``/espace/notifications/``.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carnet.common.actors import Actor, ActorKind
from carnet.common.errors import DomainError
from carnet.common.permissions import patient_required
from carnet.identity.models import Person

from .forms import PUSH_PREFIX, PreferencesForm
from .selectors import (
    INAPP_PAGE_SIZE,
    inapp_list_for_person,
    preferences_for_person,
    push_preferences_for_person,
)
from .services import inapp_mark_all_read, inapp_mark_read, preferences_update
from .switches import always_sent_lines

# --- the holder's notification centre and preferences (R-NOT-1, R-NOT-3) --------------------------


def _me(request: HttpRequest) -> Person:
    """The logged-in person: the centre and preferences are always his own, never an acted-for space."""
    person = getattr(request.user, "person", None)
    if person is None:
        raise Http404
    assert isinstance(person, Person)
    return person


@patient_required
@require_GET
def centre(request: HttpRequest) -> HttpResponse:
    """R-NOT-3: the person's notifications, newest first; unread ones are marked as such."""
    me = _me(request)
    entries = inapp_list_for_person(patient_id=me.pk)
    language = get_language() or "fr"
    rows = [
        {
            "entry": e,
            "title": e.title(language[:2]),
            "kind": e.get_kind_display(),
            "unread": e.read_at is None,
        }
        for e in entries
    ]
    return render(
        request,
        "notifications/centre.html",
        {"rows": rows, "unread": sum(1 for r in rows if r["unread"]), "size": INAPP_PAGE_SIZE},
    )


@patient_required
@require_POST
def mark_read(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Mark one entry read; ``open`` in the form also follows its link (a path of this site)."""
    entry = inapp_mark_read(patient_id=_me(request).pk, public_id=public_id)
    if entry is None:
        raise Http404
    if request.POST.get("open"):
        return redirect(entry.link)
    return redirect("notification_centre:list")


@patient_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    inapp_mark_all_read(patient_id=_me(request).pk)
    messages.success(request, _("Toutes vos notifications sont marquées comme lues."))
    return redirect("notification_centre:list")


def _actor(request: HttpRequest, me: Person) -> Actor:
    user = request.user
    return Actor(
        ActorKind.PATIENT,
        str(getattr(user, "public_id", "")),
        label=me.display_name,
        user_id=user.pk,
        person_id=me.pk,
    )


@patient_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """R-NOT-1: which e-mails the person receives, for the kinds an event produces; the messages that
    always go are listed. A kind not offered keeps its stored choice."""
    me = _me(request)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            enabled = {**preferences_for_person(person_id=me.pk), **form.enabled()}
            pushed = {**push_preferences_for_person(person_id=me.pk), **form.push_enabled()}
            try:
                preferences_update(
                    person_id=me.pk, actor=_actor(request, me), enabled=enabled, push_enabled=pushed
                )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, str(error.message))
            else:
                messages.success(request, _("Vos préférences de notification sont enregistrées."))
                return redirect("notification_centre:preferences")
    else:
        initial: dict[str, bool] = dict(preferences_for_person(person_id=me.pk))
        initial.update({PUSH_PREFIX + k: v for k, v in push_preferences_for_person(person_id=me.pk).items()})
        form = PreferencesForm(initial=initial)
    return render(
        request, "notifications/preferences.html", {"form": form, "always_sent": always_sent_lines()}
    )
