"""Lifecycle messages (SPEC §1.2–1.5), registered in the notification catalogue at import time.

They are content-free (invariant 5): dates, a reference, a code or the service's address, never
health data, and they never ask for a password.
"""

from __future__ import annotations

from carnet.notifications.templates_catalogue import MessageTemplate, register
from carnet.notifications.templates_catalogue import automatic as _t

# ADR 0008: what an erasure leaves, said when the deletion is asked for and when it is done.
_REMAINS_FR = (
    "Tout sera effacé : documents et leur contenu, profil médical, vaccinations et mesures, agenda, "
    "messages, notifications, accès et représentations, votre compte et vos coordonnées. Ne resteront "
    "qu'une trace de l'effacement (une référence et sa date) et l'historique des accès à votre profil, "
    "sans contenu médical. Un certificat d'effacement signé vous sera alors envoyé à cette adresse, "
    "qui sera ensuite effacée elle aussi."
)
_REMAINS_EN = (
    "Everything will be erased: documents and their contents, medical profile, vaccinations and measures, "
    "diary, messages, notifications, accesses and representations, your account and your contact details. "
    "Only a record of the erasure (a reference and its date) and the history of accesses to your space, "
    "without medical content, will remain. A signed erasure certificate will then be sent to this address, "
    "which will be erased in turn."
)
_CERTIFICATE_FR = (
    "\n\nLe certificat ci-dessous, signé par Carnet, en est la preuve. Conservez ce message : il peut "
    "être vérifié hors ligne avec la clé publique de Carnet. Votre adresse sera effacée une fois ce "
    "message envoyé.\n\n{certificate}"
)
_CERTIFICATE_EN = (
    "\n\nThe certificate below, signed by Carnet, proves it. Keep this message: it can be verified "
    "offline with Carnet's public key. Your address will be erased once this message is sent.\n\n"
    "{certificate}"
)

TEMPLATES: dict[str, MessageTemplate] = {
    # R-LC-5
    "space_opposed": _t(
        "Votre opposition est enregistrée",
        "Your objection is recorded",
        "Votre opposition à la création de votre profil Carnet a été enregistrée le {date} "
        "sous la référence {reference}. Vous pouvez télécharger l'attestation sur {base_url}/opposition/.",
        "Your objection to the creation of your Carnet space was recorded on {date} with reference "
        "{reference}. You can download the proof at {base_url}/opposition/.",
        "date",
        "reference",
        "base_url",
    ),
    # R-LC-20 / R-LC-21
    "space_closed": _t(
        "Votre profil Carnet est clôturé",
        "Your Carnet space is closed",
        "Votre profil Carnet a été clôturé le {date}. Ses données sont archivées jusqu'au {archived_until}, "
        "puis supprimées. Vous pouvez demander sa réouverture à tout moment sur {base_url}.",
        "Your Carnet space was closed on {date}. Its data are archived until {archived_until}, then deleted. "
        "You may ask to reopen it at any time at {base_url}.",
        "date",
        "archived_until",
        "base_url",
    ),
    # R-LC-22: the holder is informed immediately of a deletion request
    "deletion_requested": _t(
        "Demande de suppression de vos données",
        "Request to delete your data",
        "Votre demande de suppression des données de votre profil Carnet a été enregistrée le {date}. "
        "La suppression sera effectuée au plus tard le {due}. Vous pouvez l'annuler d'ici là sur {base_url}.\n\n"
        + _REMAINS_FR,
        "Your request to delete the data of your Carnet space was recorded on {date}. The deletion will be "
        "done by {due} at the latest. You may cancel it until then at {base_url}.\n\n" + _REMAINS_EN,
        "date",
        "due",
        "base_url",
    ),
    "deletion_cancelled": _t(
        "Demande de suppression annulée",
        "Deletion request cancelled",
        "Votre demande de suppression des données de votre profil Carnet a été annulée le {date}.",
        "Your request to delete the data of your Carnet space was cancelled on {date}.",
        "date",
    ),
    "deletion_done": _t(
        "Suppression effectuée",
        "Deletion done",
        "Les données de votre profil Carnet ont été supprimées le {date}, comme vous l'aviez demandé.",
        "The data of your Carnet space were deleted on {date}, as you requested.",
        "date",
    ),
    # R-LC-21 / R-LC-22, ADR 0008: the signed certificate, before the address itself is erased
    "erasure_certificate": _t(
        "Vos données Carnet ont été effacées",
        "Your Carnet data were erased",
        "Les données de votre profil Carnet ont été effacées le {date} (référence {reference}) : documents "
        "et leur contenu, profil médical, vaccinations et mesures, agenda, messages, notifications, accès "
        "et représentations, compte et coordonnées. Ne restent que cette référence, la date de "
        "l'effacement et l'historique des accès à votre profil, sans contenu médical." + _CERTIFICATE_FR,
        "The data of your Carnet space were erased on {date} (reference {reference}): documents and their "
        "contents, medical profile, vaccinations and measures, diary, messages, notifications, accesses "
        "and representations, account and contact details. Only this reference, the date of the erasure "
        "and the history of accesses to your space, without medical content, remain." + _CERTIFICATE_EN,
        "date",
        "reference",
        "certificate",
    ),
    # R-LC-21 after an opposition made once the space was open: the deposited data only
    "erasure_certificate_opposed": _t(
        "Les données archivées de votre profil Carnet ont été effacées",
        "The archived data of your Carnet space were erased",
        "Les données déposées dans votre profil Carnet avant votre opposition, archivées depuis, ont été "
        "effacées le {date} (référence {reference}). Votre opposition et son attestation sont conservées."
        + _CERTIFICATE_FR,
        "The data deposited in your Carnet space before your objection, archived since, were erased on "
        "{date} (reference {reference}). Your objection and its proof are kept." + _CERTIFICATE_EN,
        "date",
        "reference",
        "certificate",
    ),
    # R-LC-23
    "space_reopened": _t(
        "Votre profil Carnet est rouvert",
        "Your Carnet space is reopened",
        "Votre profil Carnet a été rouvert le {date}.",
        "Your Carnet space was reopened on {date}.",
        "date",
    ),
    # R-LC-24
    "space_suspended": _t(
        "Votre profil Carnet est suspendu",
        "Your Carnet space is suspended",
        "Votre profil Carnet a été suspendu le {date}. Sans contestation de votre part avant le {closes}, "
        "il sera clôturé. Pour contester, connectez-vous sur {base_url}.",
        "Your Carnet space was suspended on {date}. Unless you object before {closes}, it will be closed. "
        "To object, log in at {base_url}.",
        "date",
        "closes",
        "base_url",
    ),
    "suspension_ended": _t(
        "La suspension de votre profil est levée",
        "The suspension of your space is lifted",
        "La suspension de votre profil Carnet a été levée le {date}.",
        "The suspension of your Carnet space was lifted on {date}.",
        "date",
    ),
    # R-LC-25
    "export_ready": _t(
        "Vos données sont prêtes à être téléchargées",
        "Your data are ready to download",
        "L'export des données de votre profil Carnet est disponible jusqu'au {expires}. "
        "Connectez-vous sur {base_url} pour le télécharger.",
        "The export of your Carnet data is available until {expires}. Log in at {base_url} to download it.",
        "expires",
        "base_url",
    ),
    # R-MIN-7
    "majority_code": _t(
        "Votre profil Carnet vous appartient désormais",
        "Your Carnet space is now yours",
        "Vous avez atteint la majorité : votre profil Carnet n'est plus rattaché qu'à vous. Activez-le sur "
        "{base_url}/activation/ avec ce code provisoire, valable jusqu'au {expires} : {code}",
        "You are now of age: your Carnet space is attached to you alone. "
        "Activate it at {base_url}/activation/ with this provisional code, valid until {expires}: {code}",
        "code",
        "expires",
        "base_url",
    ),
}

for _key, _template in TEMPLATES.items():
    register(_key, _template)
