"""The demo's pages: time travel ``/demo/horloge/`` (``carnet.demo.time_travel``) and the outbox
``/demo/outbox/``.

``demo_clock``: demo mode only: with ``CARNET_DEMO`` off it answers 404 to every method, like the demo
outbox. It holds no personal data and takes no parameter in its URL; a move is a POST (CSRF-protected),
followed by a redirect to the page, whose message says what ran at the new date.

``outbox``: what the local e-mail and SMS channels "sent" (``notifications.DeliveredMessage``) and the
current TOTP code of each demo staff account. In demo mode the people are fictional and this page is how a
visitor reads his one-time codes. It answers 404 whenever ``CARNET_DEMO`` is off, so it can never expose
real messages, and it is never cached. No filter parameter is accepted in the URL (addresses stay out of
URLs and logs). It lives here, above notifications and accounts, because it reads both.
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
from django.views.decorators.http import require_GET, require_http_methods

from carnet.accounts.crypto import secret_decrypt
from carnet.accounts.models import Role, User
from carnet.common import clock, dates
from carnet.common.errors import DomainError
from carnet.demo.time_travel import QUICK_STEPS, Travel, demo_clock_move, demo_clock_reset
from carnet.notifications.models import DeliveredMessage

OUTBOX_SIZE = 50


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


@never_cache
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    if not settings.CARNET_DEMO:
        raise Http404
    delivered = DeliveredMessage.objects.only(
        "channel", "address", "subject", "body", "delivered_at"
    ).order_by("-delivered_at", "-id")[:OUTBOX_SIZE]
    return render(
        request,
        "notifications/outbox.html",
        {"delivered": delivered, "size": OUTBOX_SIZE, "staff_codes": _demo_staff_codes()},
    )


def _demo_staff_codes() -> list[tuple[str, str]]:
    """Demo only: the current TOTP code of each enrolled staff account, since visitors have no
    authenticator app holding the demo secrets."""
    import pyotp

    rows: list[tuple[str, str]] = []
    staff = User.objects.filter(role__in=[Role.PROFESSIONAL, Role.OPERATOR], totp_confirmed=True).order_by(
        "username"
    )
    for user in staff:
        secret = secret_decrypt(user.totp_secret_encrypted, context=str(user.public_id))
        rows.append((user.username, pyotp.TOTP(secret).at(clock.now())))
    return rows
