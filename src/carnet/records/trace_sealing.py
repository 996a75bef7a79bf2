"""The sealer of trace fields (ADR 0008), registered with ``carnet.audit.hooks`` at start-up.

The audit app writes traces but holds no keys: a patient-side actor's name and the written reason of an
emergency access are sealed here under the patient's data key (the same key, cipher and format as
``SealedTextField``), so that destroying the key at erasure shreds them from the history too.
"""

from __future__ import annotations

from carnet.audit.hooks import ContentUnavailable, SealedContentAltered, TraceSealer
from carnet.vault.blobstore import KeyDestroyed, patient_data_key
from carnet.vault.errors import IntegrityFailure
from carnet.vault.sealing import open_text, seal_text


def _key(patient_id: int) -> bytes:
    try:
        return patient_data_key(patient_id)
    except KeyDestroyed as exc:
        raise ContentUnavailable(f"the data key of patient {patient_id} was destroyed") from exc


def _seal(patient_id: int, plaintext: bytes, aad: bytes) -> bytes:
    return seal_text(_key(patient_id), plaintext.decode(), aad)


def _open(patient_id: int, sealed: bytes, aad: bytes) -> bytes:
    key = _key(patient_id)
    try:
        return open_text(key, sealed, aad).encode()
    except IntegrityFailure as exc:
        raise SealedContentAltered(str(exc)) from exc


SEALER = TraceSealer(seal=_seal, open=_open)
