"""Words that agree with the person they describe (a builtin library, see ``TEMPLATES`` in the settings).

``{{ kind|role_label:person.sex }}``: the role of a delegate — "représentante légale" / "représentant légal",
"proche aidante" / "proche aidant" — from a delegation kind (``LEGAL_REPRESENTATION``, ``CAREGIVING``) or an
actor kind (``LEGAL_REPRESENTATIVE``, ``CAREGIVER``) and the sex of the person who holds the role (``F``/``M``).
English has one word for both ("legal representative", "caregiver").

``{{ name|of_name }}``: "de Paul LEROY" / "d'Anne DURAND" in French (``carnet.common.words.of_name``).
"""

from __future__ import annotations

from django import template

from carnet.common import words

register = template.Library()


@register.filter
def role_label(kind: str, sex: str) -> str:
    return words.role_words(str(kind), str(sex or ""))


@register.filter
def of_name(name: str) -> str:
    """``{{ person.display_name|of_name }}``: in French "de Paul LEROY" / "d'Anne DURAND" (elided before a vowel
    or a mute h), the name alone in another language — for a sentence whose translation puts its own "of"."""
    return words.of_name(str(name))
