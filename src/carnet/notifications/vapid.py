"""VAPID keys (RFC 8292): how this server identifies itself to the browsers' push services.

Importable without Django settings: ``config/settings.py`` calls ``new_private_key()`` to generate the
key once into the data directory (``vapid_private_key``, like the other keys), unless
``CARNET_VAPID_PRIVATE_KEY`` gives it. The key is a P-256 private scalar, 32 bytes, urlsafe base64
without padding (the "raw" form ``py_vapid.Vapid.from_raw`` reads). Its public key, uncompressed point in
urlsafe base64, is the ``applicationServerKey`` a browser subscribes with: a push service then accepts
for that subscription only requests signed by this key.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_private_key() -> str:
    """A fresh VAPID private key in raw urlsafe base64 (what ``CARNET_VAPID_PRIVATE_KEY`` holds)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def private_key(raw: str) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(b64url_decode(raw.strip()), "big"), ec.SECP256R1())


def public_key(raw: str) -> str:
    """The ``applicationServerKey`` of the private key ``raw``: uncompressed P-256 point, urlsafe base64."""
    point = (
        private_key(raw)
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return b64url(point)
