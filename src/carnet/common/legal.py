"""The legal pages every French public service links from its footer: "Mentions légales", "Données
personnelles", "Accessibilité" and "Plan du site". Public (no login), French and English.

What they say comes from what Carnet does (docs/, SPEC §1 and §3) and from this deployment's settings: the
operator, host and data protection officer (``CARNET_OPERATOR_*``, ``CARNET_HOSTING``, ``CARNET_DPO_CONTACT``,
docs/configuration.md) and the durations the lifecycle applies (``CARNET_ARCHIVE_YEARS``…), so that the page
and the behaviour cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET


def _operator() -> dict[str, str]:
    return {
        "name": settings.CARNET_OPERATOR_NAME,
        "address": settings.CARNET_OPERATOR_ADDRESS,
        "director": settings.CARNET_PUBLICATION_DIRECTOR,
        "hosting": settings.CARNET_HOSTING,
        "dpo": settings.CARNET_DPO_CONTACT,
    }


@require_GET
def legal_notice(request: HttpRequest) -> HttpResponse:
    return render(request, "legal/notice.html", {"operator": _operator(), "demo": settings.CARNET_DEMO})


@require_GET
def personal_data(request: HttpRequest) -> HttpResponse:
    durations = {
        "archive_years": settings.CARNET_ARCHIVE_YEARS,
        "deletion_days": settings.CARNET_DELETION_DELAY_DAYS,
        "opposition_days": settings.CARNET_OPPOSITION_WINDOW_DAYS,
        "export_days": settings.CARNET_EXPORT_RETENTION_DAYS,
        "session_minutes": settings.SESSION_COOKIE_AGE // 60,
        "otp_minutes": max(1, settings.CARNET_OTP_TTL_SECONDS // 60),
        "erasure_notice_days": settings.CARNET_ERASURE_NOTICE_DAYS,
        "invitation_days": settings.CARNET_CAREGIVER_INVITATION_DAYS,
    }
    return render(request, "legal/personal_data.html", {"operator": _operator(), "durations": durations})


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "legal/accessibility.html", {"operator": _operator()})


# The plan of the site: every page reachable without an identifier in its address, by who may open it.
_SECTIONS: list[tuple[Any, Any, list[tuple[str, Any]]]] = [
    (
        _("Pages publiques"),
        "",
        [
            ("spaces:public_home", _("Accueil")),
            ("accounts:login", _("Se connecter")),
            ("accounts:activate", _("Activer mon profil")),
            ("spaces:opposition", _("S'opposer à la création de mon profil")),
            ("spaces:code_renew", _("Recevoir un nouveau code provisoire")),
            ("support:create", _("Aide et contact")),
            ("audit:verifier", _("Vérifier un historique")),
            ("accounts:cgu", _("Conditions générales d'utilisation")),
            ("legal:notice", _("Mentions légales")),
            ("legal:personal_data", _("Données personnelles")),
            ("legal:accessibility", _("Accessibilité")),
        ],
    ),
    (
        _("Mon espace santé"),
        _("Pour les patients, leurs représentants légaux et leurs proches aidants, après connexion."),
        [
            ("spaces:home", _("Mon espace")),
            ("records:documents", _("Mes documents")),
            ("records:upload", _("Ajouter un document")),
            ("profile:overview", _("Profil médical")),
            ("vitals:vaccinations", _("Vaccinations")),
            ("vitals:measures", _("Mesures")),
            ("profile_summary:page", _("Synthèse du profil médical")),
            ("access:sharing", _("Professionnels et accès")),
            ("messaging:inbox", _("Messagerie de santé")),
            ("messaging:compose", _("Nouveau message")),
            ("messaging:drafts", _("Brouillons")),
            ("agenda:list", _("Agenda")),
            ("agenda:month", _("Vue du mois")),
            ("agenda:appointment_new", _("Ajouter un rendez-vous")),
            ("agenda:reminder_new", _("Ajouter un rappel")),
            ("agenda:subscription", _("Abonnement calendrier")),
            ("agenda:import", _("Importer un fichier .ics")),
            ("prevention:page", _("Calendrier de prévention")),
            ("prevention:family", _("Prévention de ma famille")),
            ("notification_centre:list", _("Mes notifications")),
            ("notification_centre:preferences", _("Préférences de notification")),
            ("audit:history", _("Historique d'activité")),
            ("spaces:settings", _("Paramètres")),
            ("delegation:home", _("Proches et représentants")),
            ("accounts:devices", _("Appareils connectés")),
            ("accounts:password_change", _("Changer de mot de passe")),
        ],
    ),
    (
        _("Espace professionnel"),
        _("Pour les professionnels de santé, après connexion avec leur second facteur."),
        [
            ("spaces:pro_home", _("Espace professionnel")),
            ("records:pro_find", _("Rechercher un patient")),
            ("messaging:pro_inbox", _("Messagerie")),
            ("messaging:pro_find", _("Écrire à un patient")),
            ("messaging:pro_drafts", _("Brouillons")),
        ],
    ),
    (
        _("Back-office"),
        _("Pour les opérateurs du service, après connexion : jamais de contenu médical."),
        [
            ("backoffice:home", _("Tableau de bord")),
            ("backoffice:space_list", _("Profils")),
            ("backoffice:support_list", _("Demandes d'assistance")),
            ("backoffice:notifications", _("Envoi des notifications")),
        ],
    ),
]
_DEMO_SECTION = (
    _("Démonstration"),
    _("Seulement sur un site de démonstration."),
    [("notifications:outbox", _("Boîte d'envoi (démo)")), ("demo:clock", _("Voyage dans le temps (démo)"))],
)


@require_GET
def sitemap(request: HttpRequest) -> HttpResponse:
    sections = [*_SECTIONS, _DEMO_SECTION] if settings.CARNET_DEMO else _SECTIONS
    plan = [
        {"title": title, "intro": intro, "links": [(reverse(name), label) for name, label in links]}
        for title, intro, links in sections
    ]
    return render(request, "legal/sitemap.html", {"sections": plan})
