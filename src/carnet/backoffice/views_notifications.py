"""Operators' view of notification delivery (``/backoffice/notifications/``), invariant 5.

Counts per state and per channel, and the FAILED / RETRYING messages with their reference, template,
channel, attempts, last error and dates: NEVER an address, the parameters or a body (the selectors do
not even load those columns). POST retries one message now (``notifications.outbox_retry_now``).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from carnet.accounts.models import User
from carnet.common.errors import DomainError
from carnet.common.permissions import operator_required
from carnet.notifications.forms import RetryForm
from carnet.notifications.models import Channel, DeliveryState
from carnet.notifications.selectors import (
    outbox_channel_counts,
    outbox_problems_for_operator,
    outbox_state_counts,
)
from carnet.notifications.services import outbox_retry_now

from .services import operator_actor


@operator_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    form = RetryForm(request.POST or None)
    if request.method == "POST":
        user = request.user
        assert isinstance(user, User)  # guaranteed by operator_required
        if form.is_valid():
            try:
                outbox_retry_now(idempotency_key=form.cleaned_data["message"], actor=operator_actor(user))
            except DomainError as error:
                messages.error(request, str(error.message))
            else:
                messages.success(
                    request, _("Le message sera de nouveau envoyé au prochain passage du service d'envoi.")
                )
                return redirect("backoffice:notifications")
        else:
            messages.error(request, _("Référence du message : elle n'est pas valide."))
    state_labels = dict(DeliveryState.choices)
    channel_labels = dict(Channel.choices)
    problems = [
        {
            "p": p,
            "state_label": state_labels.get(p.state, p.state),
            "channel_label": channel_labels.get(p.channel, p.channel),
        }
        for p in outbox_problems_for_operator()
    ]
    return render(
        request,
        "backoffice/notifications.html",
        {
            "state_counts": outbox_state_counts(),
            "channel_counts": outbox_channel_counts(),
            "states": DeliveryState.choices,
            "problems": problems,
        },
    )
