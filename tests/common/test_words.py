"""Words that agree with what they describe (``carnet.common.words``, the ``carnet_words`` filters)."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation

from carnet.common import words


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Paul LEROY", "de Paul LEROY"),
        ("Anne DURAND", "d'Anne DURAND"),
        ("Hugo MARTIN", "d'Hugo MARTIN"),
        ("Émile ZOLA", "d'Émile ZOLA"),
    ],
)
def test_de_is_elided_before_a_vowel_or_an_h(name: str, expected: str) -> None:
    assert words.of_name(name, "fr") == expected


def test_another_language_gets_the_name_alone() -> None:
    assert words.of_name("Anne DURAND", "en") == "Anne DURAND"


@pytest.mark.parametrize(
    ("kind", "sex", "french"),
    [
        ("LEGAL_REPRESENTATION", "F", "représentante légale"),
        ("LEGAL_REPRESENTATIVE", "M", "représentant légal"),
        ("CAREGIVING", "F", "proche aidante"),
        ("CAREGIVER", "M", "proche aidant"),
    ],
)
def test_a_role_agrees_with_the_person_who_holds_it(kind: str, sex: str, french: str) -> None:
    template = Template("{{ kind|role_label:sex }}")
    assert template.render(Context({"kind": kind, "sex": sex})) == french
    with translation.override("en"):
        assert template.render(Context({"kind": kind, "sex": sex})) in {"legal representative", "caregiver"}
