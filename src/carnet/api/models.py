"""OAuth2 client credentials of establishments' software (RFC 6749 §4.4) and the tokens they obtain.

Secrets and tokens are high-entropy random strings: only their keyed hash (HMAC-SHA256 with a key derived
from ``SECRET_KEY``) is stored, so a database leak gives no usable credential. See docs/subsystems/api.md.
"""

from __future__ import annotations

import uuid

from django.db import models


class ApiClient(models.Model):
    """One piece of software of one organisation (FINESS), with the scopes it may ask for."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client_id = models.CharField(max_length=64, unique=True)
    secret_hash = models.CharField(max_length=64)
    organisation = models.ForeignKey("identity.Organisation", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    scopes = models.CharField(max_length=200, default="documents")  # space-separated
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:  # never the secret
        return f"ApiClient {self.client_id}"

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class ApiToken(models.Model):
    """An opaque bearer token (RFC 6750), valid until ``expires_at`` (1 hour, read from the clock)."""

    token_hash = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="tokens")
    scope = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:  # never the token
        return f"ApiToken of {self.client_id}"
