"""What the preferences page offers and what it says cannot be switched off (R-NOT-1).

A switch is only offered when an event produces its e-mails today (``PRODUCED_KINDS``): each producer
queues its message with that ``kind`` and ``notify()`` honours the recipient's choice. Everything else a
person may receive goes whatever the preferences, and the page lists it (``ALWAYS_SENT_LABELS``): the
event e-mails of R-NOT-1 [I] (``templates_catalogue.ALWAYS_SENT``: first access, emergency access,
answer to an invitation, deletion done, security codes) and the messages about the life of the profile.

``tests/notifications/test_switches.py`` checks both ways: every offered kind is produced by its event
and honours its switch, and every registered template is either governed by a switch or listed here.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import NotificationKind

# R-NOT-1: the kinds an event produces today, hence offered as working switches. SERVICE_ACTIVITY waits
# for the catalogue of connected services (a later issue): not offered until then, its stored preference
# is kept untouched (``views.preferences`` saves the offered kinds only).
PRODUCED_KINDS: tuple[str, ...] = (
    NotificationKind.NEW_MESSAGE,
    NotificationKind.NEW_DOCUMENT,
    NotificationKind.APPOINTMENT,
    NotificationKind.SCREENING,
)

# Which templates each switch governs (their producers pass that kind).
SWITCHED_TEMPLATES: dict[str, frozenset[str]] = {
    NotificationKind.NEW_MESSAGE: frozenset({"messaging_new_message", "messaging_new_message_discreet"}),
    NotificationKind.NEW_DOCUMENT: frozenset({"record_new_document"}),
    NotificationKind.APPOINTMENT: frozenset({"agenda_appointment_reminder", "agenda_free_reminder"}),
    NotificationKind.SCREENING: frozenset({"prevention_reminder"}),
}

_SECURITY = _("la sécurité de votre compte : codes de connexion et codes provisoires")
_PROFILE_LIFE = _(
    "la vie de votre profil : ouverture, opposition, clôture, suspension, réouverture, demande de "
    "suppression et export de vos données"
)
_SHARING = _("les invitations et autorisations d'accès de vos proches")
_DELETION = _("la suppression de vos données, une fois effectuée, et son certificat")

# Every template a patient-side person may receive that no switch governs, with the line of the page that
# covers it (one line may cover several templates; the page shows each line once, in this order).
ALWAYS_SENT_LABELS: dict[str, Promise] = {
    "record_first_access": _("le premier accès d'un professionnel de santé à votre dossier"),
    "record_first_access_representative": _(
        "le premier accès d'un professionnel de santé au dossier d'un enfant que vous représentez"
    ),
    "record_emergency_access": _("chaque accès en urgence à votre dossier"),
    "delegation_answered": _(
        "la réponse à une invitation de partage (par exemple du second représentant légal)"
    ),
    "deletion_done": _DELETION,
    "erasure_certificate": _DELETION,  # the signed certificate that comes with it (ADR 0008)
    "erasure_certificate_opposed": _DELETION,  # the same, at the end of an opposition's archive
    "login_code": _SECURITY,
    "provisional_code": _SECURITY,
    "information_letter": _SECURITY,
    "majority_code": _SECURITY,
    "record_invisible_notice": _("un document qui vous attend et dont il faut parler avec un professionnel"),
    "vitals_profile_updated_by_professional": _(
        "une vaccination ajoutée à votre profil par un professionnel"
    ),
    "space_opposed": _PROFILE_LIFE,
    "space_closed": _PROFILE_LIFE,
    "space_suspended": _PROFILE_LIFE,
    "suspension_ended": _PROFILE_LIFE,
    "space_reopened": _PROFILE_LIFE,
    "deletion_requested": _PROFILE_LIFE,
    "deletion_cancelled": _PROFILE_LIFE,
    "export_ready": _PROFILE_LIFE,
    "delegation_invitation": _SHARING,
    "delegation_ended": _SHARING,
    "support_request_received": _("la réponse à vos demandes d'assistance"),
    "history_digest": _("l'empreinte de votre historique, quand vous la demandez"),
}

# Addressed to professionals (they have no preferences page) or a neutral fallback nobody produces.
NOT_FOR_PATIENTS = frozenset({"messaging_new_message_pro", "record_emergency_access_gp", "generic"})


def always_sent_lines() -> list[Promise]:
    """The page's list, each line once, in the order above."""
    lines: list[Promise] = []
    for label in ALWAYS_SENT_LABELS.values():
        if label not in lines:
            lines.append(label)
    return lines
