"""The access attestation of a delegation (R-DEL-2): who may act for whom, since when, until when, with which
rights.

It carries names and dates only: no NIR, no medical data. It is (re-)issued on acceptance and on revocation
and stored encrypted for both persons (see ``delegation._attestation_issue``).
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _
from fpdf import FPDF

from carnet.common import clock, dates
from carnet.common.words import of_name, role_words

from .models import Delegation, DelegationStatus


def _latin1(text: str) -> str:
    """The PDF core fonts are Latin-1: keep accents, replace other characters with '?'."""
    return (
        text.replace("’", "'")
        .replace("—", "-")
        .replace("–", "-")
        .encode("latin-1", "replace")
        .decode("latin-1")
    )


def _when(value: datetime | None) -> str:
    return dates.format_day(value) if value else "-"


def attestation_pdf(*, delegation: Delegation, allowed: frozenset[str]) -> bytes:
    """Render the attestation of ``delegation`` in its current state (ACCEPTED or ended). ``allowed``: what
    the delegate may do (``spaces.delegation``'s rights table, R-DEL-2, R-MIN-1/3)."""
    role = role_words(delegation.kind, delegation.delegate.sex)
    labels = {
        "consult": _("consulter les documents et les données"),
        "add": _("ajouter des documents et des données"),
        "modify": _("modifier des documents et des données"),
        "delete": _("supprimer des documents et des données"),
        "message": _("lire et envoyer des messages aux professionnels de santé"),
        "close": _("clôturer le profil"),
        "delete_request": _("demander la suppression des données"),
        "export": _("télécharger l'ensemble des données"),
        "change_credentials": _("modifier les coordonnées, l'identifiant ou le mot de passe"),
        "manage_sharing": _("gérer le partage avec les professionnels"),
        "manage_delegations": _("gérer les autorisations d'accès"),
        "advance_directives": _("rédiger les directives anticipées"),
    }
    active = delegation.status == DelegationStatus.ACCEPTED

    pdf = FPDF(format="A4")
    pdf.set_creation_date(clock.now())
    pdf.set_title(_latin1(_("Attestation d'accès")))
    pdf.set_producer("Carnet")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, *, size: int = 11, style: str = "", gap: float = 2) -> None:
        pdf.set_font("Helvetica", style=style, size=size)
        pdf.multi_cell(width, 6, _latin1(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    line(_("Attestation d'accès à un espace santé Carnet"), size=16, style="B", gap=6)
    line(
        _("%(delegate)s est %(role)s %(of_subject)s et peut agir dans son espace santé Carnet.")
        % {
            "delegate": delegation.delegate.display_name,
            "role": role,
            "of_subject": of_name(delegation.subject.display_name),
        }
    )
    line(_("Début de l'accès : %(date)s") % {"date": _when(delegation.start_date)})
    if active:
        line(_("Statut : accès en cours."))
    else:
        line(_("Fin de l'accès : %(date)s") % {"date": _when(delegation.end_date)})
        line(_("Statut : accès terminé."))
    pdf.ln(2)
    line(_("Ce que la personne autorisée peut faire :"), style="B")
    for key, label in labels.items():
        if key in allowed:
            line(f"- {label}", gap=0)
    pdf.ln(3)
    line(_("Ce qu'elle ne peut pas faire :"), style="B")
    for key, label in labels.items():
        if key not in allowed:
            line(f"- {label}", gap=0)
    pdf.ln(6)
    line(
        _("Attestation établie le %(date)s. Référence : %(ref)s.")
        % {"date": _when(clock.now()), "ref": delegation.public_id},
        size=9,
    )
    line(
        _("Chacune des deux personnes peut mettre fin à cet accès à tout moment depuis ses paramètres."),
        size=9,
    )
    return bytes(pdf.output())
