"""Secrets of accounts encrypted at rest with the master key (ARCHITECTURE invariant 4).

Used for TOTP secrets of professionals and operators (R-LC-12): AES-256-GCM under a key derived
from ``CARNET_MASTER_KEY`` (HKDF-SHA256, its own "info" label so the same master key never encrypts
two kinds of data under the same derived key). The ``context`` (the user's public id) is bound as
associated data: a ciphertext copied to another account does not decrypt.

Stored form: ``v1.`` + urlsafe-base64(nonce ‖ ciphertext ‖ tag).
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "v1."


class SecretUnreadableError(Exception):
    """The stored secret is corrupt, was moved to another account, or the master key changed."""


def _aead() -> AESGCM:
    master = base64.urlsafe_b64decode(settings.CARNET_MASTER_KEY)
    if len(master) != 32:
        raise RuntimeError("CARNET_MASTER_KEY must be 32 bytes, urlsafe-base64 encoded")
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"carnet-accounts-secret-v1").derive(
        master
    )
    return AESGCM(key)


def secret_encrypt(plaintext: str, *, context: str) -> str:
    nonce = os.urandom(12)
    sealed = _aead().encrypt(nonce, plaintext.encode(), f"accounts:{context}".encode())
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def secret_decrypt(stored: str, *, context: str) -> str:
    if not stored.startswith(PREFIX):
        raise SecretUnreadableError("unknown secret format")
    try:
        raw = base64.urlsafe_b64decode(stored[len(PREFIX) :])
        return _aead().decrypt(raw[:12], raw[12:], f"accounts:{context}".encode()).decode()
    except (InvalidTag, ValueError) as exc:
        raise SecretUnreadableError("secret cannot be decrypted") from exc
