"""The text a person reads on a page: text nodes and the attributes that are shown or spoken (``title``,
``aria-label``, ``placeholder``, ``alt``), without scripts, styles and ``<code>`` (commands to type, shown as
typed)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

SPOKEN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
_SKIPPED = {"script", "style", "code", "template"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping.append(tag)
        if not self._skipping:
            self.parts += [value for name, value in attrs if name in SPOKEN_ATTRIBUTES and value]

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self._skipping and data.strip():
            self.parts.append(data)


def visible_text(html: str) -> list[str]:
    """The page's visible strings, each with its whitespace collapsed."""
    parser = _Text()
    parser.feed(html)
    return [re.sub(r"\s+", " ", part).strip() for part in parser.parts if part.strip()]
