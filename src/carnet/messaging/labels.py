"""French labels of the messaging's traces in the patient's history (R-TR-3: ``ENVOI_MESSAGE`` and co.)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from carnet.audit.labels import register_action_label

ACTION_LABELS = {
    "MESSAGE_START": _("Nouveau message"),
    "MESSAGE_SEND": _("Envoi d'un message"),
    "MESSAGE_READ": _("Lecture d'une conversation"),
    "MESSAGE_LIST": _("Consultation de la messagerie"),
    "MESSAGE_SEARCH": _("Recherche dans la messagerie"),
    "MESSAGE_MARK_UNREAD": _("Conversation marquée comme non lue"),
    "MESSAGE_END": _("Fin d'un échange par un professionnel"),
    "MESSAGE_DELETE": _("Suppression définitive d'une conversation"),
    "MESSAGE_DRAFT_SAVE": _("Enregistrement d'un brouillon"),
    "MESSAGE_DRAFT_DELETE": _("Suppression d'un brouillon"),
    "MESSAGE_ATTACHMENT_DOWNLOAD": _("Téléchargement d'une pièce jointe"),
    "MESSAGE_ATTACHMENT_SAVE": _("Enregistrement d'une pièce jointe dans les documents"),
    "MESSAGE_RELAY": _("Votre message a été transmis à la messagerie du professionnel"),
    "MESSAGE_CONFIDENTIAL_SET": _("Conversation cachée aux représentants légaux"),
    "MESSAGE_CONFIDENTIAL_LIFT": _("Conversation de nouveau visible par les représentants légaux"),
}


def register_labels() -> None:
    for action, label in ACTION_LABELS.items():
        register_action_label(action, label)
