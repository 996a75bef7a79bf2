"""French words that depend on another word: "de Paul" but "d'Anne", "représentante légale" for a woman.

French is the source language of every message: a sentence such as "Gérer le calendrier de Lucas MARTIN" needs
"d'" before a name that starts with a vowel or a mute h ("d'Emma BERNARD", "d'Hugo MARTIN"). Such sentences
take ``of_name(name)`` as their placeholder: "Gérer le calendrier %(of_name)s"; in another language it is the
name alone and the translation says "of" itself ("Manage the calendar of %(of_name)s").
"""

from __future__ import annotations

from django.utils.translation import get_language, pgettext

_ELIDING = frozenset("aeiouyhàâäéèêëîïôöùûüÿœæ")


def elides(word: str) -> bool:
    """A word before which "de" becomes "d'" (a vowel or an h, taken as mute: first names almost always are)."""
    stripped = word.strip()
    return bool(stripped) and stripped[0].lower() in _ELIDING


def of_name(name: str, language: str | None = None) -> str:
    """ "de Paul LEROY" / "d'Anne DURAND" in French; ``name`` unchanged in any other language."""
    lang = (language or get_language() or "fr").split("-")[0]
    if lang != "fr":
        return name
    return f"d'{name.strip()}" if elides(name) else f"de {name.strip()}"


_REPRESENTATION = frozenset({"LEGAL_REPRESENTATION", "LEGAL_REPRESENTATIVE"})
_CAREGIVING = frozenset({"CAREGIVING", "CAREGIVER"})


def role_words(kind: str, sex: str) -> str:
    """The role in words, agreeing with ``sex`` ("" for a kind that is not a delegation)."""
    female = sex == "F"
    if kind in _REPRESENTATION:
        return pgettext("role", "représentante légale") if female else pgettext("role", "représentant légal")
    if kind in _CAREGIVING:
        return pgettext("role", "proche aidante") if female else pgettext("role", "proche aidant")
    return ""
