"""Content-free e-mails of the access settings (R-NOT-1, R-NOT-2, invariant 5): a professional's first
access (R-AC-14) and emergency accesses (R-EM-3). No health data, no document title, no professional's
reason, never a request for a password. Registered in the catalogue at import time (``AccessConfig.ready``
and ``access.services``); the names stay ``record_*``, the names preferences and switches know them by.
"""

from __future__ import annotations

from carnet.notifications.templates_catalogue import MessageTemplate, register
from carnet.notifications.templates_catalogue import automatic as _t

TEMPLATES: dict[str, MessageTemplate] = {
    # R-AC-14, R-NOT-1: first access of a professional new to this patient
    "record_first_access": _t(
        "Un nouveau professionnel a accédé à votre dossier",
        "A new professional accessed your record",
        "Un professionnel de santé a consulté votre dossier Carnet pour la première fois le {date}. "
        "Vous pouvez voir qui a accès à votre dossier, et le bloquer si besoin, en vous connectant sur {base_url}.",
        "A health professional accessed your Carnet record for the first time on {date}. You can see who has "
        "access to your record, and block them if needed, by logging in at {base_url}.",
        "date",
        "base_url",
    ),
    # R-AC-14 for a minor without an address of his own: to his legal representatives (R-MIN-1), only for
    # content they may see themselves (access.services._notify_first_access). Names neither the child nor
    # the professional: the representative logs in and looks at the child's profile.
    "record_first_access_representative": _t(
        "Un nouveau professionnel a accédé au dossier d'un enfant",
        "A new professional accessed a child's record",
        "Un professionnel de santé a consulté pour la première fois le {date} le dossier Carnet d'un enfant "
        "que vous représentez. Vous pouvez voir qui a accès à son dossier, et le bloquer si "
        "besoin, en vous connectant sur {base_url}.",
        "A health professional accessed for the first time, on {date}, the Carnet record of a child whose "
        "legal representative you are. You can see who has access to the child's record, and block them if "
        "needed, by logging in at {base_url}.",
        "date",
        "base_url",
    ),
    # R-EM-3: every emergency access, to the holder and his médecin traitant, a posteriori
    "record_emergency_access": _t(
        "Accès en urgence à votre dossier",
        "Emergency access to your record",
        "Un professionnel de santé a accédé en urgence à votre dossier Carnet le {date}. "
        "Le détail est visible dans votre historique d'activité sur {base_url}.",
        "A health professional accessed your Carnet record in an emergency on {date}. "
        "The details are in your activity history at {base_url}.",
        "date",
        "base_url",
    ),
    "record_emergency_access_gp": _t(
        "Accès en urgence au dossier d'un de vos patients",
        "Emergency access to one of your patients' records",
        "Un professionnel de santé a accédé en urgence, le {date}, au dossier Carnet d'un patient dont vous "
        "êtes le médecin traitant. Connectez-vous sur {base_url} pour en savoir plus.",
        "A health professional accessed, on {date}, in an emergency, the Carnet record of a patient whose "
        "regular doctor you are. Log in at {base_url} to learn more.",
        "date",
        "base_url",
    ),
}

for _key, _template in TEMPLATES.items():
    register(_key, _template)
