"""Content-free e-mails of the record (R-NOT-1, R-NOT-2, invariant 5): no health data, no document title,
no professional's reason, never a request for a password. Registered in the catalogue at import time.
"""

from __future__ import annotations

from carnet.notifications.templates_catalogue import MessageTemplate, register
from carnet.notifications.templates_catalogue import automatic as _t

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
