"""Notification templates of the support desk (content-free: no health data, never a password)."""

from __future__ import annotations

from carnet.notifications.templates_catalogue import MessageTemplate, register

SUPPORT_REQUEST_RECEIVED = "support_request_received"

register(
    SUPPORT_REQUEST_RECEIVED,
    MessageTemplate(
        subject={"fr": "Votre demande d'assistance Carnet", "en": "Your Carnet support request"},
        body={
            "fr": "Nous avons bien reçu votre demande d'assistance (référence {reference}). "
            "Un conseiller vous répondra à cette adresse. "
            "N'envoyez jamais d'information médicale par e-mail.\n\n"
            "Carnet — ceci est un message automatique, merci de ne pas y répondre. "
            "Carnet ne vous demandera jamais votre mot de passe.",
            "en": "We have received your support request (reference {reference}). "
            "An adviser will answer at this address. Never send medical information by e-mail.\n\n"
            "Carnet — this is an automatic message, please do not reply. "
            "Carnet will never ask for your password.",
        },
        params=("reference",),
    ),
)
