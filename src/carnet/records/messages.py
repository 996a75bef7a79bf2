"""Content-free e-mails of the record (R-NOT-1, R-NOT-2, invariant 5): no health data, no document title,
no professional's reason, never a request for a password. Registered in the catalogue at import time.
"""

from __future__ import annotations

from carnet.notifications.templates_catalogue import MessageTemplate, register

_SIGN_FR = (
    "\n\nCarnet — ceci est un message automatique, merci de ne pas y répondre. "
    "Carnet ne vous demandera jamais votre mot de passe."
)
_SIGN_EN = (
    "\n\nCarnet — this is an automatic message, please do not reply. Carnet will never ask for your password."
)


def _t(subject_fr: str, subject_en: str, body_fr: str, body_en: str, *params: str) -> MessageTemplate:
    return MessageTemplate(
        subject={"fr": subject_fr, "en": subject_en},
        body={"fr": body_fr + _SIGN_FR, "en": body_en + _SIGN_EN},
        params=tuple(params),
    )


TEMPLATES: dict[str, MessageTemplate] = {
    # R-MASK-6: no announcement consultation two weeks after the deposit
    "record_invisible_notice": _t(
        "Une mise à jour de votre dossier",
        "An update to your record",
        "Votre dossier Carnet a été mis à jour. Nous vous invitons à en parler avec un professionnel de santé, "
        "notamment votre médecin traitant. Connectez-vous sur {base_url}.",
        "Your Carnet record was updated. We invite you to discuss it with a health professional, notably your "
        "regular doctor. Log in at {base_url}.",
        "base_url",
    ),
}

for _key, _template in TEMPLATES.items():
    register(_key, _template)
