"""The demo's time travel page ``/demo/horloge/`` (``carnet.common.demo_clock``).

Demo mode only: with ``CARNET_DEMO`` off it answers 404 to every method, like the demo outbox. It holds
no personal data and takes no parameter in its URL; a move is a POST (CSRF-protected), followed by a
redirect to the page, whose message says what ran at the new date.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from carnet.common import clock, dates
from carnet.common.demo_clock import QUICK_STEPS, Travel, demo_clock_move, demo_clock_reset
from carnet.common.errors import DomainError


class DemoClockForm(forms.Form):
    """One of: a quick step (a button), a date, or back to the real time."""

    step = forms.ChoiceField(choices=[(step, label) for label, step in QUICK_STEPS], required=False)
    to = forms.DateField(
        label=_("Aller au"),
        help_text=_("Au format JJ/MM/AAAA ; la démo ne peut qu'avancer."),
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        required=False,
        widget=forms.DateInput(
            attrs={"class": "fr-input", "autocomplete": "off", "placeholder": _("JJ/MM/AAAA")}
        ),
    )
    reset = forms.BooleanField(required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        chosen = [name for name in ("step", "to", "reset") if data.get(name)]
        if not chosen and not self.errors:
            self.add_error("to", _("Choisissez une durée, une date, ou le retour à la date réelle."))
        elif len(chosen) > 1:
            self.add_error(None, _("Choisissez une seule action à la fois."))
        return data


def _summary(travel: Travel) -> str:
    when = timezone.localtime(travel.after)
    done = [f"{count} {label}" for label, count in travel.lines() if count]
    text = gettext("Date de la démo : %(date)s.") % {"date": dates.format_moment(when)}
    if done:
        text += " " + gettext("Travaux dus exécutés : %(done)s.") % {"done": " ; ".join(done)}
    elif travel.due_work:
        text += " " + gettext("Aucun travail n'était dû à cette date.")
    return text


@never_cache
@require_http_methods(["GET", "POST"])
def demo_clock(request: HttpRequest) -> HttpResponse:
    if not settings.CARNET_DEMO:
        raise Http404
    form = DemoClockForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data.get("reset"):
                travel = demo_clock_reset()
            else:
                travel = demo_clock_move(step=data.get("step") or None, to=data.get("to"))
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
        else:
            messages.success(request, _summary(travel))
            return redirect("demo:clock")
    offset = clock.demo_offset()
    now = clock.now()
    return render(
        request,
        "common/demo_clock.html",
        {
            "form": form,
            "quick_steps": [(step, label) for label, step in QUICK_STEPS],
            "demo_now": now,
            "real_now": now - offset,
            "moved": bool(offset),
        },
    )
