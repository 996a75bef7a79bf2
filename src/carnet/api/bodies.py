"""Request bodies of the machine interfaces (the JSON API and the FHIR facade), refused BEFORE they are parsed
when they are hostile: the wrong media type (415), too large (413), nested too deeply (400), not JSON (400).

Bounds (docs/subsystems/api.md, docs/configuration.md):

* size: ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (``CARNET_UPLOAD_MAX_MEMORY``, 30 MB), checked on ``Content-Length``
  before a byte is read, and again by Django while reading a body whose length was not announced;
* nesting: ``CARNET_JSON_MAX_DEPTH`` (64) levels of arrays/objects, counted on the raw bytes (strings skipped)
  in linear time, so ``json.loads`` never recurses into a hostile document (it raises ``RecursionError``
  near 1,000 levels, and the FHIR models recurse far earlier);
* JSON itself: UTF-8, no ``NaN``/``Infinity`` (not JSON), numbers Python can hold.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

JSON_MEDIA_TYPES = frozenset({"application/json"})
FHIR_JSON_MEDIA_TYPES = frozenset({"application/fhir+json", "application/json", "application/json+fhir"})
FORM_MEDIA_TYPES = frozenset({"application/x-www-form-urlencoded"})

# A JSON string (escapes included); possessive quantifiers keep the scan linear on any input.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_A_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_OPENING_RUN = re.compile(rb"[\[{]+")


class BodyRefused(Exception):
    """A body refused before parsing: HTTP status, stable code, translated message."""

    def __init__(self, status: int, code: str, message: str | Promise) -> None:
        super().__init__(str(message))
        self.status = status
        self.code = code
        self.message = message


def max_depth() -> int:
    return int(getattr(settings, "CARNET_JSON_MAX_DEPTH", 64))


def media_type(request: HttpRequest) -> str:
    """The request's media type without its parameters (``charset=...``), lower case ('' if none)."""
    return (request.content_type or "").split(";")[0].strip().lower()


def check_media_type(request: HttpRequest, allowed: frozenset[str]) -> None:
    """415 unless the body is declared as one of ``allowed`` (parameters such as ``charset`` are allowed)."""
    if media_type(request) not in allowed:
        raise BodyRefused(
            415,
            "unsupported_media_type",
            _("Type de contenu non pris en charge : %(expected)s attendu.")
            % {"expected": ", ".join(sorted(allowed))},
        )


def check_announced_size(request: HttpRequest) -> None:
    """413 when ``Content-Length`` already exceeds the bound: the body is never read."""
    try:
        announced = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BodyRefused(400, "invalid_request", _("En-tête Content-Length invalide.")) from None
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and announced > limit:
        raise BodyRefused(413, "too_large", _("Requête trop volumineuse."))


def read_body(request: HttpRequest) -> bytes:
    """The raw body, size-bounded (announced or not)."""
    check_announced_size(request)
    try:
        return request.body
    except RequestDataTooBig:
        raise BodyRefused(413, "too_large", _("Requête trop volumineuse.")) from None


def nesting_exceeds(raw: bytes, limit: int) -> bool:
    """Whether the JSON text ``raw`` nests arrays/objects deeper than ``limit``, without parsing it.

    Strings are removed first (brackets inside them do not count), then everything but brackets. Passes of
    ``bytes.replace`` remove the innermost pairs, exactly one level per pass, while that shrinks the text
    quickly (wide, flat documents cost C speed only); what remains is walked by runs of opening brackets,
    stopping as soon as the limit is passed. Linear in the size (about a second for 30 MB of hostile
    brackets). Malformed bracket sequences are left to the JSON parser."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_A_BRACKET)
    if brackets.count(b"[") + brackets.count(b"{") <= limit:
        return False
    levels = 0  # levels removed by the passes
    while brackets and levels <= limit:
        # a placeholder, so a pair emptied by this pass is not removed by it too: one level per pass
        shorter = brackets.replace(b"[]", b"x").replace(b"{}", b"x").replace(b"x", b"")
        levels += 1
        shrunk_enough = len(shorter) < 0.75 * len(brackets)
        brackets = shorter
        if not shrunk_enough:
            break
    if not brackets:
        return levels > limit
    opened = 0
    for run in _OPENING_RUN.finditer(brackets):
        opened += run.end() - run.start()
        # depth at the end of this run: opened so far minus closed so far, plus the levels removed
        if levels + 2 * opened - run.end() > limit:
            return True
    return False


def _not_json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(raw: bytes) -> Any:
    """``raw`` as JSON, after the nesting bound; 400 ``too_deep`` / ``invalid_json`` otherwise."""
    limit = max_depth()
    if nesting_exceeds(raw, limit):
        raise BodyRefused(
            400,
            "too_deep",
            _("JSON trop imbriqué (%(limit)s niveaux au plus).") % {"limit": limit},
        )
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_not_json_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BodyRefused(
            400, "invalid_json", _("Le corps de la requête n'est pas un JSON valide.")
        ) from None


def json_body(request: HttpRequest, allowed: frozenset[str] = JSON_MEDIA_TYPES) -> Any:
    """Media type, size, nesting, then the parsed JSON body."""
    check_media_type(request, allowed)
    return parse_json(read_body(request))
