"""The content-free reminder e-mail of the prevention calendar (invariant 5, R-NOT-2) and trace labels.

It says only that a prevention reminder waits in the space: no vaccine, no screening, no age, no name.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from carnet.audit.labels import register_action_label
from carnet.notifications.templates_catalogue import SIGN_EN as _SIGN_EN
from carnet.notifications.templates_catalogue import SIGN_FR as _SIGN_FR
from carnet.notifications.templates_catalogue import MessageTemplate, register

REMINDER_TEMPLATE = "prevention_reminder"


register(
    REMINDER_TEMPLATE,
    MessageTemplate(
        subject={
            "fr": "Un rappel de prévention vous attend",
            "en": "A prevention reminder is waiting for you",
        },
        body={
            "fr": "Un rappel de votre calendrier de prévention vous attend dans votre espace Carnet. "
            "Connectez-vous sur {base_url} pour le consulter." + _SIGN_FR,
            "en": "A reminder of your prevention calendar is waiting in your Carnet space. "
            "Log in at {base_url} to see it." + _SIGN_EN,
        },
        params=("base_url",),
    ),
)

LABELS = {
    "PREVENTION_LIST": _("Consultation du calendrier de prévention"),
    "PREVENTION_STATUS_SET": _("Statut d'un rendez-vous de prévention"),
    "PREVENTION_OPT_OUT": _("Désinscription d'un type de rappel de prévention"),
    "PREVENTION_OPT_IN": _("Réinscription à un type de rappel de prévention"),
}
for _action, _label in LABELS.items():
    register_action_label(_action, _label)
