"""Content-free notifications of the secure messaging (R-MSG-5, R-NOT-2, invariant 5).

They name the sender (a professional's or establishment's name) and invite to log in, except for a
conversation kept from the minor's legal representatives (R-MIN-5), whose notice names nobody; never a
subject, a body, an attachment name or a request for a password. Registered in the notification catalogue at import time (``MessagingConfig.ready``).
"""

from __future__ import annotations

from carnet.notifications.templates_catalogue import SIGN_EN as _SIGN_EN
from carnet.notifications.templates_catalogue import SIGN_FR as _SIGN_FR
from carnet.notifications.templates_catalogue import MessageTemplate, register

NEW_MESSAGE = "messaging_new_message"  # to the patient (or his legal representative), R-MSG-5
NEW_MESSAGE_PRO = "messaging_new_message_pro"  # to the professional: a patient answered
# R-MIN-5: a confidential conversation's message, without the sender (a minor's mailbox may be shared)
NEW_MESSAGE_DISCREET = "messaging_new_message_discreet"

TEMPLATES: dict[str, MessageTemplate] = {
    NEW_MESSAGE: MessageTemplate(
        subject={"fr": "Vous avez reçu un nouveau message", "en": "You have received a new message"},
        body={
            "fr": "{sender} vous a envoyé un nouveau message dans votre messagerie de santé Carnet. "
            "Pour le lire, connectez-vous sur {base_url}." + _SIGN_FR,
            "en": "{sender} has sent you a new message in your Carnet health messaging. "
            "To read it, log in at {base_url}." + _SIGN_EN,
        },
        params=("sender", "base_url"),
    ),
    NEW_MESSAGE_DISCREET: MessageTemplate(
        subject={"fr": "Vous avez reçu un nouveau message", "en": "You have received a new message"},
        body={
            "fr": "Vous avez reçu un nouveau message dans votre messagerie de santé Carnet. "
            "Pour le lire, connectez-vous sur {base_url}." + _SIGN_FR,
            "en": "You have received a new message in your Carnet health messaging. "
            "To read it, log in at {base_url}." + _SIGN_EN,
        },
        params=("base_url",),
    ),
    NEW_MESSAGE_PRO: MessageTemplate(
        subject={"fr": "Nouveau message d'un patient", "en": "New message from a patient"},
        body={
            "fr": "Un patient vous a répondu dans la messagerie de santé Carnet. "
            "Pour lire sa réponse, connectez-vous sur {base_url}." + _SIGN_FR,
            "en": "A patient answered you in the Carnet health messaging. "
            "To read the answer, log in at {base_url}." + _SIGN_EN,
        },
        params=("base_url",),
    ),
}

for _key, _template in TEMPLATES.items():
    register(_key, _template)
