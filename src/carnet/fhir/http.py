"""The HTTP contract every FHIR endpoint keeps, before its view runs (FHIR R4 "RESTful API" §3.1.0):

* methods: anything but the endpoint's own answers ``405`` with an OperationOutcome and ``Allow``;
* CSRF: exempt. The facade authenticates OAuth2 bearer tokens only (``fhir.clients.authenticate`` reads the
  ``Authorization`` header and nothing else; no view reads ``request.user`` or the session), so a browser's
  cookies can never act here and there is nothing for a CSRF token to protect (docs/subsystems/api.md);
* response format: ``_format`` (which overrides ``Accept``, as FHIR says) or ``Accept`` must allow JSON
  (``application/fhir+json``, ``application/json``, ``*/*``...), else ``406``: we serve no XML or Turtle;
* request body: a JSON endpoint takes ``application/fhir+json`` or ``application/json`` (``charset``
  allowed), a ``_search`` endpoint the form encoding FHIR prescribes; any other declared type is ``415``
  (a request without a body has nothing to declare: the view answers what is missing).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

from carnet.api.bodies import FHIR_JSON_MEDIA_TYPES, FORM_MEDIA_TYPES, BodyRefused, check_media_type

from .responses import operation_outcome

View = Callable[..., HttpResponse]
Body = Literal["json", "form", None]

_JSON_FORMATS = frozenset({"json", *FHIR_JSON_MEDIA_TYPES})
_ANY = frozenset({"*/*", "application/*"})
_FHIR_XML = frozenset({"application/fhir+xml", "application/xml+fhir"})


def _media_ranges(header: str) -> list[str]:
    """The media ranges of an ``Accept`` header that are acceptable (q > 0), lower case."""
    ranges = []
    for part in header.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _sep, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media and quality > 0:
            ranges.append(media.lower())
    return ranges


def accepts_json(request: HttpRequest) -> bool:
    """``_format`` first (FHIR: it overrides ``Accept``), then ``Accept``; no preference means JSON."""
    wanted = request.GET.get("_format")
    if wanted is not None and wanted.strip():
        return wanted.split(";")[0].strip().lower() in _JSON_FORMATS
    header = request.headers.get("Accept", "").strip()
    if not header:
        return True
    return any(media in _JSON_FORMATS or media in _ANY for media in _media_ranges(header))


def asks_for_fhir_json(request: HttpRequest) -> bool:
    """Whether the client asked for a FHIR resource by name (``Binary`` answers one only then)."""
    wanted = request.GET.get("_format")
    if wanted is not None and wanted.strip():
        return wanted.split(";")[0].strip().lower() in _JSON_FORMATS
    return any(media in _JSON_FORMATS for media in _media_ranges(request.headers.get("Accept", "")))


def refuses_raw_content(request: HttpRequest) -> bool:
    """``Binary``'s negotiation: raw bytes in their own media type, or the resource in JSON; only a client
    that asks for a FHIR format we do not serve (XML, Turtle) and nothing else gets ``406``."""
    wanted = request.GET.get("_format")
    if wanted is not None and wanted.strip():
        return not accepts_json(request)
    ranges = _media_ranges(request.headers.get("Accept", ""))
    return bool(ranges) and all(media in _FHIR_XML for media in ranges)


def has_body(request: HttpRequest) -> bool:
    """A request body was sent (announced by ``Content-Length``, or chunked)."""
    try:
        announced = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True  # malformed: let the body checks refuse it
    return announced > 0 or "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()


def method_not_allowed(request: HttpRequest, allowed: tuple[str, ...]) -> HttpResponse:
    return operation_outcome(
        _("Méthode %(method)s non prise en charge ici (autorisées : %(allowed)s).")
        % {"method": (request.method or "")[:16], "allowed": ", ".join(allowed)},
        status=405,
        issue="not-supported",
        Allow=", ".join(allowed),
    )


def not_acceptable() -> HttpResponse:
    return operation_outcome(
        _("Format de réponse non pris en charge : seul application/fhir+json est servi."),
        status=406,
        issue="not-supported",
    )


def refused_body(exc: BodyRefused, expression: str = "") -> HttpResponse:
    issue = {413: "too-long", 415: "not-supported"}.get(exc.status, "structure")
    return operation_outcome(exc.message, status=exc.status, issue=issue, expression=expression)


def fhir_endpoint(
    *methods: str, body: Body = None, negotiate: Callable[[HttpRequest], bool] | None = None
) -> Callable[[View], View]:
    """Wrap a FHIR view: CSRF exemption (bearer only), ``405``/``406``/``415`` as the module says.
    ``negotiate`` replaces the JSON-only check of the response format (``Binary``); it answers whether
    the request must be refused with ``406``."""
    allowed = tuple(methods)
    refuse_format = negotiate or (lambda request: not accepts_json(request))

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in allowed:
                return method_not_allowed(request, allowed)
            if refuse_format(request):
                return not_acceptable()
            if body is not None and has_body(request):
                try:
                    check_media_type(request, FHIR_JSON_MEDIA_TYPES if body == "json" else FORM_MEDIA_TYPES)
                except BodyRefused as exc:
                    return refused_body(exc)
            return view(request, *args, **kwargs)

        return csrf_exempt(wrapper)

    return decorate
