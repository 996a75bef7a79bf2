"""PDF documents of the lifecycle: the proof of opposition (R-LC-5) and the export summary (R-LC-25).

Fonts: DejaVu Sans (a Unicode TrueType font) is used when ``/usr/share/fonts/truetype/dejavu/`` has
it (Debian package ``fonts-dejavu-core``); otherwise fpdf2's built-in Helvetica, which only knows
Latin-1, with characters outside Latin-1 replaced (see ``_latin1``). Neither carries the NIR in full.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from carnet.common import dates

logging.getLogger("fontTools").setLevel(logging.WARNING)  # font subsetting logs every glyph at INFO

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
REGULAR = FONT_DIR / "DejaVuSans.ttf"
BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"


class _Document:
    """A thin wrapper choosing the font once and writing paragraphs, headings and key/value lines."""

    def __init__(self, title: str) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_title(title)
        self.pdf.set_author("Carnet")
        self.pdf.set_creator("Carnet")
        self.unicode = REGULAR.exists() and BOLD.exists()
        if self.unicode:
            self.pdf.add_font("DejaVu", "", str(REGULAR))
            self.pdf.add_font("DejaVu", "B", str(BOLD))
            self.family = "DejaVu"
        else:
            self.family = "Helvetica"
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.add_page()

    def _text(self, value: object) -> str:
        text = str(value)
        return text if self.unicode else _latin1(text)

    def heading(self, text: str, size: int = 16) -> None:
        self.pdf.set_font(self.family, "B", size)
        self.pdf.multi_cell(0, size * 0.55, self._text(text), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(2)

    def para(self, text: str, size: int = 11) -> None:
        self.pdf.set_font(self.family, "", size)
        self.pdf.multi_cell(0, 6, self._text(text), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def field(self, label: str, value: object) -> None:
        self.pdf.set_font(self.family, "B", 11)
        self.pdf.cell(60, 7, self._text(label), new_x="RIGHT", new_y="TOP")
        self.pdf.set_font(self.family, "", 11)
        self.pdf.multi_cell(0, 7, self._text(value), new_x="LMARGIN", new_y="NEXT")

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[object]], widths: Sequence[int]) -> None:
        self.pdf.set_font(self.family, "B", 8)
        for header, width in zip(headers, widths, strict=True):
            self.pdf.cell(width, 6, self._text(header), border=1)
        self.pdf.ln()
        self.pdf.set_font(self.family, "", 8)
        for row in rows:
            for cell, width in zip(row, widths, strict=True):
                text = self._text(cell)
                while text and self.pdf.get_string_width(text) > width - 2:
                    text = text[:-1]
                self.pdf.cell(width, 5, text, border=1)
            self.pdf.ln()

    def output(self) -> bytes:
        return bytes(self.pdf.output())


_REPLACEMENTS = {"’": "'", "‘": "'", "“": '"', "”": '"', "—": "-", "–": "-", "…": "...", "œ": "oe", "Œ": "OE"}


def _latin1(text: str) -> str:
    """Core PDF fonts only encode Latin-1: map common typography, replace the rest with "?"."""
    for char, replacement in _REPLACEMENTS.items():
        text = text.replace(char, replacement)
    return text.encode("latin-1", errors="replace").decode("latin-1")


def _day(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return dates.format_day(value)


def _moment(value: datetime | None) -> str:
    if value is None:
        return "—"
    return dates.format_moment(value)


def opposition_proof_pdf(
    *, reference: str, opposed_at: datetime, full_name: str, birth_date: date, issued_at: datetime
) -> bytes:
    """R-LC-5: the proof of opposition. No NIR: the reference identifies the opposition."""
    doc = _Document(_("Attestation d'opposition"))
    doc.heading(_("Attestation d'opposition à la création de l'espace santé"))
    doc.field(_("Référence"), reference)
    doc.field(_("Date de l'opposition"), _moment(opposed_at))
    doc.field(_("Nom et prénom"), full_name)
    doc.field(_("Date de naissance"), _day(birth_date))
    doc.pdf.ln(4)
    doc.para(
        _(
            "Carnet atteste que la personne désignée ci-dessus s'est opposée, le %(date)s, à l'ouverture de "
            "son espace numérique de santé (article R1111-28 du code de la santé publique). Aucun espace "
            "santé ne sera ouvert pour elle. Elle peut à tout moment changer d'avis et activer son profil."
        )
        % {"date": _day(opposed_at)}
    )
    doc.para(_("Document édité le %(date)s.") % {"date": _moment(issued_at)}, size=9)
    return doc.output()


def export_summary_pdf(data: dict[str, Any]) -> bytes:
    """R-LC-25: the human-readable summary shipped in the export (``synthese.pdf``).

    ``data`` is the content of ``donnees.json``; sections this function does not know are listed by
    name so that later sections (documents, profile...) are at least announced.
    """
    identity = data.get("identite", {})
    space = data.get("espace", {})
    doc = _Document(_("Synthèse de mon espace santé"))
    doc.heading(_("Synthèse de mon espace santé Carnet"))
    doc.para(_("Export généré le %(date)s.") % {"date": data.get("genere_le", "")}, size=9)
    doc.heading(_("Identité"), size=13)
    doc.field(_("Nom de naissance"), identity.get("nom_naissance", ""))
    doc.field(_("Prénoms"), identity.get("prenoms", ""))
    doc.field(_("Date de naissance"), identity.get("date_naissance", ""))
    doc.field(_("Sexe"), identity.get("sexe", ""))
    doc.heading(_("Mon espace"), size=13)
    doc.field(_("Statut"), space.get("statut_libelle", ""))
    for label, key in (
        (_("Créé le"), "cree_le"),
        (_("Ouvert le"), "ouvert_le"),
        (_("Activé le"), "active_le"),
        (_("Clôturé le"), "cloture_le"),
        (_("Archivé jusqu'au"), "archive_jusqu_au"),
    ):
        if space.get(key):
            doc.field(label, space[key])
    delegations = data.get("delegations", [])
    doc.heading(_("Délégations"), size=13)
    if delegations:
        doc.table(
            [_("Type"), _("Rôle"), _("Personne"), _("Statut")],
            [(d["type"], d["role"], d["personne"], d["statut"]) for d in delegations],
            [45, 35, 60, 40],
        )
    else:
        doc.para(_("Aucune délégation."))
    doc.heading(_("Appareils"), size=13)
    doc.para(_("Appareils enregistrés : %(count)s") % {"count": data.get("appareils", {}).get("nombre", 0)})
    history = data.get("historique", [])
    doc.heading(_("Historique des actions (%(count)s)") % {"count": len(history)}, size=13)
    doc.table(
        [_("Date"), _("Acteur"), _("Action"), _("Résultat")],
        [(h["date"], h["acteur"], h["action"], h["resultat"]) for h in history],
        [38, 60, 62, 20],
    )
    known = {
        "identite",
        "espace",
        "delegations",
        "appareils",
        "historique",
        "genere_le",
        "format",
        "sections",
    }
    others = [key for key in data if key not in known]
    if others:
        doc.heading(_("Autres rubriques (voir donnees.json)"), size=13)
        doc.para(", ".join(others))
    return doc.output()
