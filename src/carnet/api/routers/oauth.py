"""``POST /api/oauth/token``: the OAuth2 client credentials grant (RFC 6749 §4.4), for establishments."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_plus

from django.http import HttpRequest, JsonResponse
from ninja import Form, Router

from .. import services
from ..schemas import OAuthErrorOut, TokenOut

router = Router(tags=["oauth"])


def _basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    """RFC 6749 §2.3.1: ``Authorization: Basic base64(urlencode(id):urlencode(secret))``."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return ("", "")
    client_id, _sep, secret = decoded.partition(":")
    return unquote_plus(client_id), unquote_plus(secret)


def _answer(status: int, payload: dict[str, object], *, basic: bool = False) -> JsonResponse:
    response = JsonResponse(payload, status=status)
    response["Cache-Control"] = "no-store"  # RFC 6749 §5.1
    response["Pragma"] = "no-cache"
    if status == 401 and basic:
        response["WWW-Authenticate"] = 'Basic realm="carnet"'
    return response


@router.post(
    "/oauth/token",
    auth=None,
    response={200: TokenOut, 400: OAuthErrorOut, 401: OAuthErrorOut},
    summary="OAuth2 token (client credentials)",
)
def token(
    request: HttpRequest,
    grant_type: Form[str] = "",
    scope: Form[str] = "",
    client_id: Form[str] = "",
    client_secret: Form[str] = "",
) -> JsonResponse:
    """RFC 6749 §4.4: ``grant_type=client_credentials``; the client authenticates with HTTP Basic or with
    ``client_id``/``client_secret`` form fields (not both). Answers an opaque bearer token valid one hour.
    Errors follow RFC 6749 §5.2 (``invalid_request``, ``invalid_client``, ``invalid_scope``,
    ``unsupported_grant_type``)."""
    basic = _basic_credentials(request)
    if basic is not None and (client_id or client_secret):
        return _answer(
            400, {"error": "invalid_request", "error_description": "use one client authentication method"}
        )
    if basic is not None:
        client_id, client_secret = basic
    try:
        raw, row = services.token_issue(
            grant_type=grant_type, client_id=client_id, client_secret=client_secret, scope=scope
        )
    except services.OAuthError as exc:
        return _answer(
            exc.status, {"error": exc.error, "error_description": exc.description}, basic=basic is not None
        )
    return _answer(
        200,
        {
            "access_token": raw,
            "token_type": "Bearer",
            "expires_in": int(services.TOKEN_LIFETIME.total_seconds()),
            "scope": row.scope,
        },
    )
