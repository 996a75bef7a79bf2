"""French labels of the history page (R-TR-3): actions, actor kinds, groups, objects.

Apps add labels for their own actions with ``register_action_label("MY_ACTION", _("Libellé"))``;
an action nobody labelled shows ``GENERIC_ACTION_LABEL`` (never the raw code, never ``details``).
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from carnet.common.actors import ActorKind

GENERIC_ACTION_LABEL = _("Action sur votre profil")

ACTION_LABELS: dict[str, str | Promise] = {
    # lifecycle of the space (R-LC-*)
    "SPACE_INFORMED": _("Information sur la création de votre profil"),
    "SPACE_OPENED": _("Ouverture de votre profil"),
    "SPACE_ACTIVATED": _("Activation de votre profil"),
    "SPACE_OPPOSED": _("Opposition à la création du profil"),
    "SPACE_CLOSED": _("Clôture du profil"),
    "SPACE_REOPENED": _("Réouverture du profil"),
    "SPACE_SUSPENDED": _("Suspension du profil"),
    "SPACE_SUSPENSION_LIFTED": _("Levée de la suspension du profil"),
    "SPACE_SUSPENSION_OBJECTED": _("Contestation de la suspension du profil"),
    "SPACE_DELETION_REQUESTED": _("Demande de suppression des données"),
    "SPACE_DELETION_CANCELLED": _("Annulation de la demande de suppression"),
    "SPACE_DELETED": _("Suppression du profil"),
    "SPACE_DATA_ERASED": _("Effacement des données"),
    "SPACE_DEATH_RECORDED": _("Enregistrement d'un décès"),
    "SPACE_MAJORITY_HANDLED": _("Passage à la majorité"),
    "SPACE_MAJORITY_HANDOVER": _("Transmission du profil à la majorité"),
    "PROVISIONAL_CODE_ISSUED": _("Envoi d'un code provisoire"),
    "PERSON_REGISTERED": _("Enregistrement de l'identité"),
    "OPPOSITION_PROOF_DOWNLOADED": _("Téléchargement de l'attestation d'opposition"),
    # access to the record (SPEC §3): consents, emergency, sharing settings
    "ATTRIBUTION_MEDECIN_TRAITANT": _("Désignation du médecin traitant"),
    "RETRAIT_MEDECIN_TRAITANT": _("Retrait du statut de médecin traitant"),
    "ATTRIBUTION_STATUT_MEDECIN_ADMIN": _("Désignation d'un professionnel administrateur"),
    "RETRAIT_STATUT_MEDECIN_ADMIN": _("Retrait du statut d'administrateur"),
    "BLOCAGE_PS": _("Blocage d'un professionnel de santé"),
    "DEBLOCAGE_PS": _("Déblocage d'un professionnel de santé"),
    "BREAK_THE_GLASS_START": _("Accès en urgence (bris de glace)"),
    "BREAK_THE_GLASS_END": _("Fin de l'accès en urgence"),
    "CONSENT_RECORD": _("Autorisation d'accès enregistrée par un professionnel"),
    "CONSENT_END": _("Fin d'une autorisation d'accès"),
    "DOCUMENT_LIST": _("Consultation de la liste des documents"),
    "INVISIBLE_NOTICE": _("Information sur un document en attente de consultation d'annonce"),
    "MODIF_PARAM_ACCESS_URGENCE": _("Modification des accès en cas d'urgence"),
    "PROFESSIONAL_DECLARE": _("Déclaration d'un professionnel de santé"),
    "SPACE_MASK_ALL": _("Masquage par défaut des documents"),
    "TEMPORARY_CODE_CREATE": _("Création d'un code d'accès temporaire"),
    "PROFESSIONAL_QUALIFICATION_SET": _("Mise à jour de la qualification d'un professionnel"),
    "PROFESSIONAL_REGISTERED": _("Enregistrement d'un professionnel"),
    "ORGANISATION_REGISTERED": _("Enregistrement d'un établissement"),
    "STAFF_ACCOUNT_CREATED": _("Création d'un compte professionnel ou opérateur"),
    "TOTP_SECRET_CREATED": _("Création d'un second facteur"),
    "TOTP_ENROLLED": _("Enrôlement du second facteur"),
    "API_CLIENT_CREATE": _("Création d'un logiciel client"),
    "API_CLIENT_REVOKE": _("Révocation d'un logiciel client"),
    "API_TOKEN_ISSUE": _("Délivrance d'un jeton d'accès"),
    "API_TOKEN_REFUSED": _("Refus d'un jeton d'accès"),
    # account
    "ACCOUNT_CREATED": _("Création du compte"),
    "LOGIN": _("Connexion"),
    "LOGIN_FAILED": _("Échec de connexion"),
    "LOGIN_CODE_SENT": _("Envoi d'un code de connexion"),
    "LOGOUT": _("Déconnexion"),
    "PASSWORD_CHANGED": _("Changement du mot de passe"),
    "DEVICE_REVOKED": _("Retrait d'un appareil de confiance"),
    # exports and history
    "EXPORT_REQUESTED": _("Demande de copie des données"),
    "EXPORT_READY": _("Copie des données prête"),
    "EXPORT_FAILED": _("Échec de la copie des données"),
    "EXPORT_EXPIRED": _("Expiration de la copie des données"),
    "EXPORT_DOWNLOADED": _("Téléchargement de la copie des données"),
    "HISTORY_DOWNLOADED": _("Téléchargement de l'historique d'activité"),
    # delegations (R-DEL-*, R-MIN-*)
    "DELEGATION_INVITED": _("Invitation d'un proche ou d'un représentant"),
    "DELEGATION_ACCEPTED": _("Acceptation d'une délégation"),
    "DELEGATION_REFUSED": _("Refus d'une délégation"),
    "DELEGATION_REVOKED": _("Fin d'une délégation"),
    "DELEGATION_EXPIRED": _("Expiration d'une invitation"),
    "DELEGATION_ENDED": _("Fin d'une délégation"),
    "DELEGATION_MINOR_ATTACHED": _("Rattachement à un représentant légal"),
    "DELEGATION_MINOR_PROFILE_ACTIVATED": _("Activation du profil par un représentant légal"),
    "DELEGATION_ATTESTATION_DOWNLOADED": _("Téléchargement d'une attestation d'accès"),
    # back-office
    "OPERATOR_SPACE_VIEWED": _("Consultation des informations administratives par le support"),
    "SUPPORT_REQUEST_CREATED": _("Demande d'assistance"),
    "SUPPORT_REQUEST_STATUS_CHANGED": _("Suivi d'une demande d'assistance"),
    # documents (R-TR-1, R-MASK-*)
    "CONSULT": _("Consultation d'un document"),
    "DOWNLOAD": _("Téléchargement d'un document"),
    "DEPOSIT": _("Ajout d'un document"),
    "REPLACE": _("Remplacement d'un document"),
    "UPDATE_METADATA": _("Modification des informations d'un document"),
    "DELETE": _("Suppression d'un document"),
    "MASK": _("Masquage d'un document aux professionnels"),
    "UNMASK": _("Démasquage d'un document"),
    "MASK_ALL_PREFERENCE": _("Préférence « masquer mes documents par défaut »"),
    # access management (R-AC-*, R-BLK-*, R-EM-*)
    "BLOCK": _("Blocage d'un professionnel"),
    "UNBLOCK": _("Déblocage d'un professionnel"),
    "CONSENT_RECORDED": _("Enregistrement de votre consentement"),
    "CONSENT_REVOKED": _("Retrait d'un consentement"),
    "ADMINISTRATOR_GRANTED": _("Attribution du statut d'administrateur"),
    "ADMINISTRATOR_REVOKED": _("Retrait du statut d'administrateur"),
    "EMERGENCY_SETTINGS_CHANGED": _("Modification des paramètres d'accès en urgence"),
    "BREAK_THE_GLASS": _("Accès en urgence (bris de glace)"),
    "EMERGENCY_ACCESS": _("Accès en urgence"),
    "ACCESS_DENIED": _("Accès refusé"),
}

ACTOR_KIND_LABELS: dict[str, str | Promise] = {
    ActorKind.PATIENT: _("Titulaire du profil"),
    ActorKind.LEGAL_REPRESENTATIVE: _("Représentant légal"),
    ActorKind.CAREGIVER: _("Proche aidant"),
    ActorKind.PROFESSIONAL: _("Professionnel de santé"),
    ActorKind.ORGANISATION: _("Établissement de santé"),
    ActorKind.OPERATOR: _("Support Carnet"),
    ActorKind.INSURANCE: _("Assurance Maladie"),
    ActorKind.SYSTEM: _("Carnet"),
}

GROUP_LABELS: dict[str, str | Promise] = {
    "general": _("Général"),
    "services": _("Services"),
    "documents": _("Documents"),
}

OBJECT_LABELS: dict[str, str | Promise] = {
    "document": _("Document"),
    "space": _("Profil"),
    "delegation": _("Délégation"),
    "export": _("Copie des données"),
    "history": _("Historique d'activité"),
    "account": _("Compte"),
    "device": _("Appareil"),
}

#: The link from an action to the history of the object it touched ("historique de ce document"): one
#: whole phrase per kind of object, so that French agreement (ce document, cette délégation) stays right.
OBJECT_HISTORY_LINKS: dict[str, str | Promise] = {
    "document": _("historique de ce document"),
    "space": _("historique du profil"),
    "delegation": _("historique de cette délégation"),
    "export": _("historique de cette copie des données"),
    "history": _("historique de ce téléchargement"),
    "account": _("historique du compte"),
    "device": _("historique de cet appareil"),
}
OBJECT_HISTORY_LINK = _("historique de cet élément")

#: The back-office speaks of "the profile", not "your profile": these actions get an operator's wording
#: there (``operator_action_label``); every other action keeps its label, which is already neutral.
OPERATOR_ACTION_LABELS: dict[str, str | Promise] = {
    "SPACE_INFORMED": _("Information sur la création du profil"),
    "SPACE_OPENED": _("Ouverture du profil"),
    "SPACE_ACTIVATED": _("Activation du profil"),
    "CONSENT_RECORDED": _("Enregistrement d'un consentement"),
}
OPERATOR_GENERIC_ACTION_LABEL = _("Action sur le profil")

#: Access modes shown as an emergency access (R-EM-1, R-EM-2, R-EM-3).
EMERGENCY_MODES = frozenset({"BTG", "SAMU"})
EMERGENCY_ACTIONS = frozenset({"BREAK_THE_GLASS", "EMERGENCY_ACCESS"})


def register_action_label(action: str, label: str | Promise) -> None:
    """Let an app label its own trace actions (registering the same label twice is harmless)."""
    ACTION_LABELS[action] = label


def action_label(action: str) -> str | Promise:
    return ACTION_LABELS.get(action, GENERIC_ACTION_LABEL)


def operator_action_label(action: str) -> str | Promise:
    """The label of an action in the back-office (never the raw code)."""
    if action in OPERATOR_ACTION_LABELS:
        return OPERATOR_ACTION_LABELS[action]
    return ACTION_LABELS.get(action, OPERATOR_GENERIC_ACTION_LABEL)


def object_history_link(object_type: str) -> str | Promise:
    return OBJECT_HISTORY_LINKS.get(object_type, OBJECT_HISTORY_LINK)


def actor_kind_label(kind: str) -> str | Promise:
    return ACTOR_KIND_LABELS.get(kind, _("Autre"))
