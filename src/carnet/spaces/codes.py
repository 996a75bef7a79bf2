"""Provisional activation codes (R-LC-4): 12 characters, stored only as a keyed hash.

The alphabet leaves out look-alike characters (0/O, 1/I/L) so a code typed from a letter or an
e-mail is not mistyped; input is normalised (upper case, spaces and dashes removed).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 12


def generate_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise_code(value: str) -> str:
    return "".join(ch for ch in (value or "").upper() if ch not in " -\t")


def hash_code(code: str) -> str:
    """HMAC-SHA256 keyed by the secret key: a leaked table does not give usable codes."""
    key = hashlib.sha256(("provisional-code|" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, normalise_code(code).encode(), hashlib.sha256).hexdigest()


def format_code(code: str) -> str:
    """Shown to people in groups of four: ABCD-EFGH-JKMN."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
