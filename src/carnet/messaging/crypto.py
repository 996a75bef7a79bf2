"""Message subjects and bodies are health data: sealed with the patient's data key (invariant 4).

AES-256-GCM under ``vault.blobstore.patient_data_key(patient_id)`` (the same per-patient key as the
documents, so destroying it shreds the messages too), a random 96-bit nonce stored in front of the
ciphertext, and the row's purpose and public id as associated data: a sealed text cannot be moved to
another message or conversation. Texts are small, so they live in the row (no blob file per message).
"""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from carnet.vault.blobstore import IntegrityFailure, KeyDestroyed, patient_data_key

__all__ = ["IntegrityFailure", "KeyDestroyed", "seal", "unseal"]


def seal(*, patient_id: int, text: str, purpose: str) -> bytes:
    """Encrypt ``text`` for the patient; ``purpose`` (e.g. ``message:<uuid>``) is bound as associated data."""
    nonce = os.urandom(12)
    return nonce + AESGCM(patient_data_key(patient_id)).encrypt(nonce, text.encode(), purpose.encode())


def unseal(*, patient_id: int, sealed: bytes | memoryview | None, purpose: str) -> str:
    """The plaintext; "" for an erased text. Raises ``KeyDestroyed`` (crypto-shredded) or ``IntegrityFailure``."""
    raw = bytes(sealed or b"")
    if not raw:
        return ""
    try:
        plain = AESGCM(patient_data_key(patient_id)).decrypt(raw[:12], raw[12:], purpose.encode())
    except KeyDestroyed:
        raise
    except Exception as exc:
        raise IntegrityFailure(f"sealed text {purpose} failed authentication") from exc
    return plain.decode()
