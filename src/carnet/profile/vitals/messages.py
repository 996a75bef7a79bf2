"""Content-free e-mail (R-NOT-1, R-NOT-2, invariant 5) and history labels (R-TR-3) of this app.

The e-mail sent when a professional adds a vaccination (R-NOT-3 ``PML_CVA``) says only that the profile
changed: no vaccine, no professional's name, never a request for a password.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from carnet.audit.labels import register_action_label
from carnet.notifications.templates_catalogue import SIGN_EN as _SIGN_EN
from carnet.notifications.templates_catalogue import SIGN_FR as _SIGN_FR
from carnet.notifications.templates_catalogue import MessageTemplate, register

PROFILE_UPDATED_BY_PROFESSIONAL = "vitals_profile_updated_by_professional"

register(
    PROFILE_UPDATED_BY_PROFESSIONAL,
    MessageTemplate(
        subject={"fr": "Votre profil médical a été complété", "en": "Your medical profile was completed"},
        body={
            "fr": "Un professionnel de santé a ajouté une information à votre profil médical le {date}. "
            "Connectez-vous sur {base_url} pour la consulter." + _SIGN_FR,
            "en": "A health professional added information to your medical profile on {date}. "
            "Log in at {base_url} to see it." + _SIGN_EN,
        },
        params=("date", "base_url"),
    ),
)

LABELS = {
    "VACCINATION_LIST": _("Consultation des vaccinations"),
    "VACCINATION_CONSULT": _("Consultation d'une vaccination"),
    "VACCINATION_CREATE": _("Ajout d'une vaccination"),
    "VACCINATION_UPDATE": _("Modification d'une vaccination"),
    "VACCINATION_DELETE": _("Suppression d'une vaccination"),
    "MEASUREMENT_LIST": _("Consultation des mesures"),
    "MEASUREMENT_CREATE": _("Ajout d'une mesure"),
    "MEASUREMENT_DELETE": _("Suppression d'une mesure"),
}
for _action, _label in LABELS.items():
    register_action_label(_action, _label)
