"""OAuth2 client credentials (RFC 6749 §4.4) for establishments' software: clients, tokens, bearer check.

* ``api_client_create`` registers a client for an organisation (FINESS) and returns its secret ONCE.
* ``token_issue`` exchanges ``client_id`` + ``client_secret`` for an opaque bearer token valid
  ``TOKEN_LIFETIME`` (1 hour, read from ``carnet.common.clock``); refusals raise ``OAuthError`` carrying
  the RFC 6749 §5.2 error code (``invalid_client``, ``invalid_scope``, ``unsupported_grant_type``...).
* ``token_authenticate`` resolves a presented bearer token to an ``ApiPrincipal`` (None if unknown,
  expired or revoked).

Secrets and tokens are 256-bit random strings: a keyed hash (HMAC-SHA256, key derived from
``SECRET_KEY``) is enough to store them (no brute force is possible on 256 bits; argon2 would only slow
down every API call). Issuing and refusing tokens is traced in the system chain (no patient involved).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from carnet.audit.services import trace
from carnet.common import clock
from carnet.common.actors import Actor, ActorKind
from carnet.common.errors import DomainError
from carnet.identity.models import Organisation

from .models import ApiClient, ApiToken

TOKEN_LIFETIME = timedelta(hours=1)
SCOPE_DOCUMENTS = "documents"
# "documents": the JSON API and the FHIR document-sharing endpoint. "agenda": reserved for the agenda API of
# referenced services (SPEC R-AG-6); a token without "documents" is refused by the document endpoints.
KNOWN_SCOPES = frozenset({SCOPE_DOCUMENTS, "agenda"})
CLIENT_ID_PREFIX = "carnet-"


class OAuthError(Exception):
    """A refused token request (RFC 6749 §5.2): ``error`` is the standard code, ``status`` the HTTP status."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class ApiPrincipal:
    """Who calls the API with a bearer token: an organisation's software, within ``scopes``."""

    client: ApiClient
    organisation: Organisation
    scopes: frozenset[str]

    @property
    def actor(self) -> Actor:
        """R-DEP-6: the establishment acts under its FINESS (resolved by ``access.gateway``)."""
        return Actor(ActorKind.ORGANISATION, self.organisation.finess, label=self.organisation.name)


def _keyed_hash(purpose: str, value: str) -> str:
    key = hashlib.sha256(f"carnet-api|{purpose}|{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def _system_actor() -> Actor:
    return Actor.system("api.oauth")


def api_client_create(
    *, organisation: Organisation, name: str, scopes: str = SCOPE_DOCUMENTS
) -> tuple[ApiClient, str]:
    """Register a client for ``organisation``; returns the client and its secret (shown once, stored hashed)."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Le nom du logiciel est obligatoire."), code="required", field="name")
    if len(name) > 200:
        raise DomainError(_("Le nom ne doit pas dépasser 200 caractères."), code="invalid", field="name")
    wanted = frozenset(scopes.split())
    unknown = sorted(wanted - KNOWN_SCOPES)
    if not wanted or unknown:
        raise DomainError(
            _("Portée (scope) inconnue : %(scope)s.") % {"scope": ", ".join(unknown) or "-"},
            code="invalid",
            field="scopes",
        )
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        client = ApiClient.objects.create(
            client_id=CLIENT_ID_PREFIX + secrets.token_hex(12),
            secret_hash=_keyed_hash("secret", secret),
            organisation=organisation,
            name=name,
            scopes=" ".join(sorted(wanted)),
            created_at=clock.now(),
        )
        trace(
            actor=_system_actor(),
            action="API_CLIENT_CREATE",
            patient_id=None,
            object_type="api_client",
            object_id=client.client_id,
            details={"organisation": str(organisation.public_id), "scopes": client.scopes},
        )
    return client, secret


def api_client_revoke(*, client: ApiClient) -> ApiClient:
    """Revoke a client: its tokens stop working at once."""
    with transaction.atomic():
        client.revoked_at = clock.now()
        client.save(update_fields=["revoked_at"])
        ApiToken.objects.filter(client=client).delete()
        trace(
            actor=_system_actor(),
            action="API_CLIENT_REVOKE",
            patient_id=None,
            object_type="api_client",
            object_id=client.client_id,
        )
    return client


def _client_for(client_id: str, client_secret: str) -> ApiClient | None:
    client = (
        ApiClient.objects.select_related("organisation")
        .filter(client_id=(client_id or "")[:64], revoked_at__isnull=True)
        .first()
    )
    presented = _keyed_hash("secret", client_secret or "")
    if client is None or not hmac.compare_digest(client.secret_hash, presented):
        return None
    return client


def token_issue(
    *, grant_type: str, client_id: str, client_secret: str, scope: str = ""
) -> tuple[str, ApiToken]:
    """RFC 6749 §4.4.2: the client credentials grant. Returns the token (in clear, once) and its row."""
    if grant_type != "client_credentials":
        raise OAuthError(
            "unsupported_grant_type" if grant_type else "invalid_request",
            "grant_type must be client_credentials",
        )
    if not client_id or not client_secret:
        raise OAuthError("invalid_client", "client authentication failed", status=401)
    client = _client_for(client_id, client_secret)
    if client is None:
        with transaction.atomic():
            trace(
                actor=_system_actor(),
                action="API_TOKEN_REFUSED",
                patient_id=None,
                object_type="api_client",
                outcome="DENY",
                details={"error": "invalid_client"},  # never the presented id or secret
            )
        raise OAuthError("invalid_client", "client authentication failed", status=401)
    wanted = frozenset(scope.split()) if scope.strip() else client.scope_set
    if not wanted <= client.scope_set:
        raise OAuthError("invalid_scope", "the requested scope exceeds the scope granted to the client")
    token = secrets.token_urlsafe(32)
    now = clock.now()
    with transaction.atomic():
        row = ApiToken.objects.create(
            token_hash=_keyed_hash("token", token),
            client=client,
            scope=" ".join(sorted(wanted)),
            created_at=now,
            expires_at=now + TOKEN_LIFETIME,
        )
        trace(
            actor=Actor(ActorKind.ORGANISATION, client.organisation.finess, label=client.organisation.name),
            action="API_TOKEN_ISSUE",
            patient_id=None,
            object_type="api_client",
            object_id=client.client_id,
            details={"scope": row.scope},
        )
    return token, row


def token_authenticate(token: str) -> ApiPrincipal | None:
    """The principal behind a bearer token, or None (unknown, expired, client revoked)."""
    if not token or len(token) > 200:
        return None
    row = (
        ApiToken.objects.select_related("client", "client__organisation")
        .filter(token_hash=_keyed_hash("token", token), expires_at__gt=clock.now())
        .first()
    )
    if row is None or row.client.revoked_at is not None:
        return None
    return ApiPrincipal(
        client=row.client, organisation=row.client.organisation, scopes=frozenset(row.scope.split())
    )


def tokens_purge_expired() -> int:
    """Housekeeping: delete expired tokens (they are refused anyway)."""
    deleted, _detail = ApiToken.objects.filter(expires_at__lte=clock.now()).delete()
    return deleted
