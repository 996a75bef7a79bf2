"""``{% shell_header as shell %}``: what the page header shows the logged-in person (``base.html``).

The DSFR header has two places for links: the main navigation (``fr-nav``, the sections of the role's
space) and the quick access links (``fr-header__tools-links``: notifications, settings, the demo outbox;
logout and the language selector are forms written in the template). Below 992 px both are in the menu
modal opened by the "Menu" button; DSFR's script copies the quick access links into it.

A link is marked ``aria-current="page"`` when it is the page shown, ``aria-current="true"`` when the page
shown belongs to its section (e.g. "Documents" on a document's page).

A person who may act for someone else (legal representative, caregiver: SPEC §1.5, §8) gets the profiles
he may switch to; the header offers them at every width (``spaces.acting``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatch

from django import template
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from carnet.spaces.acting import acting_context, switch_targets
from carnet.spaces.models import DelegationKind

register = template.Library()


@dataclass(frozen=True)
class Section:
    """A navigation entry: its label, the page it opens, and the views (``namespace:name`` patterns)
    that belong to it."""

    label: Promise
    view: str
    views: tuple[str, ...] = ()
    icon: str = ""


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    current: str  # "page", "true" or "" (the value of aria-current)
    icon: str = ""


@dataclass(frozen=True)
class Profile:
    """A profile the person may act on: himself ("moi") or a person he represents or helps."""

    value: str
    name: str
    capacity: str  # "" for himself, else "représentant légal" / "proche aidant"
    current: bool


@dataclass(frozen=True)
class Shell:
    home: str  # where the brand (logo and service name) leads
    nav: list[Link]
    tools: list[Link]
    notifications: Link | None
    profiles: list[Profile]

    @property
    def current_profile(self) -> Profile | None:
        return next((p for p in self.profiles if p.current), None)


NAVIGATION: dict[str, tuple[Section, ...]] = {
    "ANONYMOUS": (
        Section(_("Accueil"), "spaces:public_home"),
        Section(_("M'opposer"), "spaces:opposition", ("spaces:opposition*",)),
        Section(_("Code provisoire"), "spaces:code_renew"),
        Section(_("Vérifier un historique"), "audit:verifier", ("audit:verifier*",)),
        Section(_("Aide et contact"), "support:create"),
    ),
    "PATIENT": (
        Section(_("Mon espace"), "spaces:home"),
        Section(_("Documents"), "records:documents", ("records:*",)),
        Section(_("Profil médical"), "profile:overview", ("profile:*", "vitals:*", "profile_summary:*")),
        Section(_("Messagerie"), "messaging:inbox", ("messaging:*",)),
        Section(_("Agenda"), "agenda:list", ("agenda:*",)),
        Section(_("Prévention"), "prevention:page", ("prevention:*",)),
        Section(_("Accès"), "access:sharing", ("access:*",)),
        Section(_("Historique"), "audit:history", ("audit:history*",)),
    ),
    "PROFESSIONAL": (
        Section(_("Espace professionnel"), "spaces:pro_home"),
        Section(
            _("Rechercher un patient"),
            "records:pro_find",
            ("records:pro_*", "access:pro_*", "vitals:pro_*", "profile:pro_*"),
        ),
        Section(_("Messagerie"), "messaging:pro_inbox", ("messaging:pro_*",)),
    ),
    "OPERATOR": (
        Section(_("Tableau de bord"), "backoffice:home"),
        Section(_("Profils"), "backoffice:space_list", ("backoffice:space_*",)),
        Section(_("Demandes d'assistance"), "backoffice:support_list", ("backoffice:support_*",)),
        Section(_("Notifications"), "backoffice:notifications"),
    ),
}

HOMES = {"PATIENT": "spaces:home", "PROFESSIONAL": "spaces:pro_home", "OPERATOR": "backoffice:home"}

# Quick access links besides logout and the language (forms, in the template).
SETTINGS = Section(
    _("Paramètres"),
    "spaces:settings",
    (
        "spaces:settings",
        "spaces:close",
        "spaces:oppose_for_child",
        "spaces:deletion_cancel",
        "spaces:export_*",
        "spaces:reopen",
        "delegation:*",
        "accounts:devices*",
        "accounts:password_change",
    ),
    "fr-icon-settings-5-line",
)
NOTIFICATIONS = Section(
    _("Notifications"), "notification_centre:list", ("notification_centre:*",), "fr-icon-notification-3-line"
)
DEVICES = Section(_("Appareils connectés"), "accounts:devices", ("accounts:devices*",), "fr-icon-device-line")
LOGIN = Section(
    _("Se connecter"), "accounts:login", ("accounts:login*", "accounts:totp_enrol"), "fr-icon-lock-line"
)
ACTIVATE = Section(
    _("Activer mon profil"), "accounts:activate", ("accounts:activate*",), "fr-icon-account-circle-line"
)
OUTBOX = Section(_("Boîte d'envoi (démo)"), "notifications:outbox", (), "fr-icon-mail-line")


def _current(section: Section, view_name: str) -> str:
    if view_name == section.view:
        return "page"
    if any(fnmatch(view_name, pattern) for pattern in section.views):
        return "true"
    return ""


def _link(section: Section, view_name: str) -> Link:
    return Link(str(section.label), reverse(section.view), _current(section, view_name), section.icon)


def _role(request: HttpRequest) -> str:
    user = request.user
    if not user.is_authenticated:
        return "ANONYMOUS"
    return str(getattr(user, "role", "ANONYMOUS"))


def _profiles(request: HttpRequest) -> list[Profile]:
    """Himself and every person he may act for; empty when he may act for nobody."""
    acting = acting_context(request)
    if acting is None:
        return []
    delegations = switch_targets(acting.me)
    if not delegations:
        return []
    me = Profile("moi", acting.me.display_name, "", acting.is_self)
    others = [
        Profile(
            str(d.subject.public_id),
            d.subject.display_name,
            str(
                _("représentant légal")
                if d.kind == DelegationKind.LEGAL_REPRESENTATION
                else _("proche aidant")
            ),
            d.subject.pk == acting.subject.pk,
        )
        for d in delegations
    ]
    return [me, *others]


@register.simple_tag(takes_context=True)
def shell_header(context: template.Context) -> Shell:
    request: HttpRequest | None = context.get("request")
    if request is None:  # a template rendered without a request (e-mails, tests of fragments)
        return Shell(reverse("spaces:public_home"), [], [], None, [])
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match is not None else ""
    role = _role(request)
    nav = [_link(section, view_name) for section in NAVIGATION.get(role, ())]
    tools: list[Link] = []
    notifications = None
    profiles: list[Profile] = []
    if role == "PATIENT":
        notifications = _link(NOTIFICATIONS, view_name)
        tools.append(_link(SETTINGS, view_name))
        profiles = _profiles(request)
    elif role in {"PROFESSIONAL", "OPERATOR"}:
        tools.append(_link(DEVICES, view_name))
    else:
        tools += [_link(LOGIN, view_name), _link(ACTIVATE, view_name)]
    if context.get("CARNET_DEMO"):
        tools.append(_link(OUTBOX, view_name))
    home = reverse(HOMES.get(role, "spaces:public_home"))
    return Shell(home, nav, tools, notifications, profiles)
