"""Keyed hashes of identifiers that must be matched but never stored in clear (carte Vitale serial)."""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings


def vitale_hash(serial: str) -> str:
    """HMAC-SHA256 of the carte Vitale serial's digits (R-LC-10), keyed by the secret key."""
    digits = re.sub(r"\D", "", serial or "")
    key = hashlib.sha256(("vitale-serial|" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()


def vitale_matches(serial: str, stored_hash: str) -> bool:
    return bool(stored_hash) and hmac.compare_digest(vitale_hash(serial), stored_hash)
