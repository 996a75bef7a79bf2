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

# Which message, in an operator's words: the kind of message, never its template key, subject or body.
TEMPLATE_LABELS = {
    "agenda_appointment_reminder": _("Rappel de rendez-vous"),
    "agenda_free_reminder": _("Rappel de l'agenda"),
    "delegation_answered": _("Réponse à une invitation"),
    "delegation_ended": _("Fin d'une autorisation d'accès"),
    "delegation_invitation": _("Invitation d'un proche"),
    "deletion_cancelled": _("Annulation d'une demande de suppression"),
    "deletion_done": _("Suppression effectuée"),
    "deletion_requested": _("Demande de suppression"),
    "erasure_certificate": _("Certificat d'effacement"),
    "erasure_certificate_opposed": _("Certificat d'effacement après une opposition"),
    "export_ready": _("Export des données prêt"),
    "generic": _("Information générale"),
    "history_digest": _("Empreinte de l'historique"),
    "information_letter": _("Lettre d'information"),
    "login_code": _("Code de connexion"),
    "majority_code": _("Code provisoire à la majorité"),
    "messaging_new_message": _("Nouveau message (patient)"),
    "messaging_new_message_discreet": _("Nouveau message confidentiel (patient)"),
    "messaging_new_message_pro": _("Nouveau message (professionnel)"),
    "prevention_reminder": _("Rappel de prévention"),
    "provisional_code": _("Code provisoire"),
    "record_emergency_access": _("Accès en urgence (patient)"),
    "record_emergency_access_gp": _("Accès en urgence (médecin traitant)"),
    "record_first_access": _("Premier accès d'un professionnel"),
    "record_first_access_representative": _("Premier accès d'un professionnel (représentant légal)"),
    "record_invisible_notice": _("Mise à jour du dossier"),
    "record_new_document": _("Nouveau document"),
    "space_closed": _("Clôture du profil"),
    "space_opposed": _("Opposition enregistrée"),
    "space_reopened": _("Réouverture du profil"),
    "space_suspended": _("Suspension du profil"),
    "support_request_received": _("Accusé de réception d'une demande d'assistance"),
    "suspension_ended": _("Fin de la suspension"),
    "vitals_profile_updated_by_professional": _("Profil médical complété par un professionnel"),
}


def _template_label(key: str) -> str:
    return str(TEMPLATE_LABELS.get(key, _("Autre message")))


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
            "template_label": _template_label(p.template),
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
