"""Two checks of the buttons of a page, over HTML or over a template's source (stdlib parser, no browser).

* :func:`icon_only_buttons`: DSFR turns a button carrying an icon class (``fr-icon-*``, legacy ``fr-fi-*``)
  inside a ``fr-btns-group`` into a 40 × 40 icon-only button, its text cut off, unless the group says
  ``fr-btns-group--icon-left`` or ``--icon-right`` (button.css of DSFR 1.14). The header's tool links are
  the one group DSFR styles itself (``.fr-header__tools-links``), so they are left out.
* :func:`unnamed_buttons`: every ``<button>``, ``a.fr-btn`` and submit/button ``<input>`` has a name: its
  text (screen-reader-only text included), ``aria-label``, ``aria-labelledby``, ``title`` or ``value``.

Template sources are read with their ``{% %}``/``{{ }}``/``{# #}`` tags blanked, so both branches of an
``{% if %}`` count: a class added on one branch is seen, as the strictest reading requires.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
ICON = re.compile(r"^fr-(icon|fi)-")
GROUP_ICON_MODIFIERS = {"fr-btns-group--icon-left", "fr-btns-group--icon-right"}
HEADER_GROUPS = {"fr-header__tools-links"}
TEMPLATE_TAG = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", re.DOTALL)


def blank_template_tags(source: str) -> str:
    """The template's HTML with every tag replaced by as many newlines as it spanned (lines keep)."""
    return TEMPLATE_TAG.sub(lambda m: " " + "\n" * m.group(0).count("\n"), source)


@dataclass
class _Element:
    tag: str
    classes: frozenset[str]
    attrs: dict[str, str]
    line: int
    text: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Finding:
    line: int
    html: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.html}"


class _ButtonParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[_Element] = []
        self.icon_only: list[Finding] = []
        self.unnamed: list[Finding] = []
        self.open_buttons: list[_Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        element = _Element(tag, frozenset(values.get("class", "").split()), values, self.getpos()[0])
        snippet = self.get_starttag_text() or f"<{tag}>"
        if "fr-btn" in element.classes and any(ICON.match(c) for c in element.classes):
            group = next((e for e in reversed(self.stack) if "fr-btns-group" in e.classes), None)
            in_header = any(e.classes & HEADER_GROUPS for e in self.stack)
            if group is not None and not group.classes & GROUP_ICON_MODIFIERS and not in_header:
                self.icon_only.append(Finding(element.line, snippet))
        if tag == "input":
            if values.get("type") in {"submit", "button"} and not _named(element, ""):
                self.unnamed.append(Finding(element.line, snippet))
            return
        if tag in VOID:
            return
        self.stack.append(element)
        if tag == "button" or (tag == "a" and "fr-btn" in element.classes):
            self.open_buttons.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        for button in self.open_buttons:
            button.text.append(data)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index].tag == tag:
                for element in self.stack[index:]:
                    if element in self.open_buttons:
                        self.open_buttons.remove(element)
                        if not _named(element, "".join(element.text)):
                            self.unnamed.append(Finding(element.line, f"<{element.tag} {element.attrs}>"))
                del self.stack[index:]
                return


def _named(element: _Element, text: str) -> bool:
    if text.strip():
        return True
    return any(
        element.attrs.get(name, "").strip() for name in ("aria-label", "aria-labelledby", "title", "value")
    )


def _parse(html: str) -> _ButtonParser:
    parser = _ButtonParser()
    parser.feed(html)
    parser.close()
    return parser


def icon_only_buttons(html: str) -> list[Finding]:
    """Icon buttons that DSFR would shrink to their icon (see the module docstring)."""
    return _parse(html).icon_only


def unnamed_buttons(html: str) -> list[Finding]:
    """Buttons without any text or accessible name."""
    return _parse(html).unnamed
