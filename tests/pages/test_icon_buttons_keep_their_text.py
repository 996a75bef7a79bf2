"""Every template: an icon button inside a ``fr-btns-group`` keeps its text (issue 14).

DSFR shows such a button as a 40 × 40 icon alone ("Envoyer la réponse", "Supprimer la conversation",
"Ajouter une vaccination"… were bare icons) unless its group is ``fr-btns-group--icon-left``/``--right``.
Static and fast: the templates' sources are read, no page is rendered (the rendered pages are checked in
``test_rendered_buttons.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pages.buttons import blank_template_tags, icon_only_buttons, unnamed_buttons

SOURCE = Path(__file__).resolve().parents[2] / "src" / "carnet"
TEMPLATES = sorted(p for p in SOURCE.rglob("*.html") if "templates" in p.parts)


def test_templates_are_found() -> None:
    assert len(TEMPLATES) > 100
    assert any(p.name == "conversation.html" for p in TEMPLATES)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(SOURCE)))
def test_no_icon_button_in_a_group_that_hides_its_text(template: Path) -> None:
    findings = icon_only_buttons(blank_template_tags(template.read_text(encoding="utf-8")))
    assert not findings, "add fr-btns-group--icon-left to the group of: " + "; ".join(map(str, findings))


def test_the_check_sees_an_icon_button_in_a_plain_group() -> None:
    html = '<ul class="fr-btns-group fr-btns-group--inline-md"><li><button class="fr-btn fr-icon-send-plane-line fr-btn--icon-left">Envoyer</button></li></ul>'
    assert len(icon_only_buttons(html)) == 1
    assert icon_only_buttons(html.replace("--inline-md", "--inline-md fr-btns-group--icon-left")) == []


def test_the_check_reads_both_branches_of_a_template_condition() -> None:
    source = (
        '<ul class="fr-btns-group{% if wide %} fr-btns-group--inline-md{% endif %}">'
        '<li><a class="fr-btn{% if x %} fr-icon-add-line{% endif %}" href="{% url "a" %}">{% translate "A" %}</a></li></ul>'
    )
    assert len(icon_only_buttons(blank_template_tags(source))) == 1


def test_the_header_tool_links_are_dsfr_s_own_group() -> None:
    html = '<div class="fr-header__tools-links"><ul class="fr-btns-group"><li><a class="fr-btn fr-icon-lock-line" href="/">Se connecter</a></li></ul></div>'
    assert icon_only_buttons(html) == []


def test_a_button_needs_text_or_an_accessible_name() -> None:
    assert len(unnamed_buttons('<button class="fr-btn fr-icon-delete-line" type="submit"> </button>')) == 1
    assert len(unnamed_buttons('<a class="fr-btn fr-icon-delete-line" href="/x"></a>')) == 1
    assert unnamed_buttons('<button aria-label="Supprimer"></button>') == []
    assert unnamed_buttons('<button><span class="fr-sr-only">Supprimer</span></button>') == []
    assert unnamed_buttons('<input type="submit" value="Envoyer"><input type="text">') == []
    assert len(unnamed_buttons('<input type="submit">')) == 1
