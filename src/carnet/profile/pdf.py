"""The advance directives PDF generated from the guided forms (CSP L1111-11, R-PML-4).

Built with the lifecycle's PDF helper (``carnet.spaces.pdf``: DejaVu Sans when installed, else Latin-1
Helvetica). The PDF is stored encrypted as a record document (EXPPAT_3); the answers are kept nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.utils.translation import gettext as _

from carnet.common import dates
from carnet.spaces.pdf import _Document


def advance_directives_pdf(
    *,
    title: str,
    full_name: str,
    birth_date: date,
    written_on: date,
    answers: Sequence[tuple[str, str]],
) -> bytes:
    """``answers``: (question, answer) pairs, already translated and validated."""
    doc = _Document(str(title))
    doc.heading(str(title))
    doc.field(_("Nom et prénom"), full_name)
    doc.field(_("Date de naissance"), dates.format_day(birth_date))
    doc.field(_("Rédigées le"), dates.format_day(written_on))
    doc.pdf.ln(4)
    for question, answer in answers:
        doc.heading(question, size=12)
        doc.para(answer or "—")
    doc.pdf.ln(4)
    doc.para(
        _(
            "Ces directives anticipées expriment ma volonté pour le cas où je ne pourrais plus l'exprimer "
            "(article L1111-11 du code de la santé publique). Je peux les modifier ou les révoquer à tout "
            "moment. Elles ont été rédigées dans Carnet par la personne elle-même."
        ),
        size=9,
    )
    return doc.output()
