"""Text that people and software type into Carnet, made safe to show back (titles, file names, subjects).

Unicode *bidirectional controls* change the order in which a text is displayed without changing the
text itself: ``"facture\\u202efdp.exe"`` is shown as ``facture`` followed by ``exe.pdf`` reversed, i.e.
as a harmless-looking PDF, while the name really ends in ``.exe`` (the "Trojan Source" / RLO spoofing
trick, CVE-2021-42574). Carnet shows titles and file names that others wrote — a professional's document
title to the patient, a patient's file name to a professional — so no such control may be stored.

``strip_bidi_controls`` removes every character with the Unicode ``Bidi_Control`` property (Unicode
``PropList.txt``): ALM U+061C, LRM/RLM U+200E/U+200F, the embeddings and overrides U+202A–U+202E and the
isolates U+2066–U+2069. Removing (rather than refusing) keeps a title pasted from right-to-left text
readable: the browser's own bidi algorithm still orders Arabic or Hebrew letters correctly without them.

Every input path calls it through the service that validates the field (records, messaging, profile,
identity imports, agenda), so pages, the JSON API, FHIR, the SMTP gateway and CSV imports share one rule.
"""

from __future__ import annotations

#: The 12 characters of the Unicode ``Bidi_Control`` property (PropList.txt, Unicode 15).
BIDI_CONTROLS: frozenset[str] = frozenset(
    {
        "\u061c",  # ARABIC LETTER MARK
        "\u200e",  # LEFT-TO-RIGHT MARK
        "\u200f",  # RIGHT-TO-LEFT MARK
        "\u202a",  # LEFT-TO-RIGHT EMBEDDING
        "\u202b",  # RIGHT-TO-LEFT EMBEDDING
        "\u202c",  # POP DIRECTIONAL FORMATTING
        "\u202d",  # LEFT-TO-RIGHT OVERRIDE
        "\u202e",  # RIGHT-TO-LEFT OVERRIDE
        "\u2066",  # LEFT-TO-RIGHT ISOLATE
        "\u2067",  # RIGHT-TO-LEFT ISOLATE
        "\u2068",  # FIRST STRONG ISOLATE
        "\u2069",  # POP DIRECTIONAL ISOLATE
    }
)
_DELETE = str.maketrans(dict.fromkeys(BIDI_CONTROLS))


def strip_bidi_controls(value: str) -> str:
    """``value`` without any bidirectional control character (see the module docstring)."""
    return value.translate(_DELETE)


def has_bidi_controls(value: str) -> bool:
    return any(ch in BIDI_CONTROLS for ch in value)
