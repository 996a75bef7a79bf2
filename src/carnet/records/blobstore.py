"""Encrypted blob store (invariant 4).

Each patient has a random 256-bit data key, stored only wrapped by the master key
(``CARNET_MASTER_KEY``). Contents are encrypted with AES-256-GCM under that key, with the blob's
id as associated data (a blob cannot be swapped for another). The plaintext SHA-256 is checked on
every read. ``patient_key_destroy`` deletes the wrapped key: every blob of the patient becomes
unreadable, including copies in backups (crypto-shredding).
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import transaction

from carnet.common import clock

from . import keyring
from .errors import IntegrityFailure, KeyDestroyed
from .models import Blob, PatientKey

__all__ = [
    "IntegrityFailure",
    "KeyDestroyed",
    "blob_delete",
    "blob_file_discard",
    "blob_get",
    "blob_put",
    "blobs_delete_for_patient",
    "blobs_sweep",
    "key_fingerprint",
    "patient_data_key",
    "patient_key_destroy",
    "unwrap_stored",
]


def _master() -> AESGCM:
    key = base64.urlsafe_b64decode(settings.CARNET_MASTER_KEY)
    if len(key) != 32:
        raise RuntimeError("CARNET_MASTER_KEY must be 32 bytes, urlsafe-base64 encoded")
    return AESGCM(key)


def _wrap(data_key: bytes, patient_id: int) -> bytes:
    nonce = os.urandom(12)
    return nonce + _master().encrypt(nonce, data_key, f"patient-key:{patient_id}".encode())


def _unwrap(wrapped: bytes, patient_id: int) -> bytes:
    return _master().decrypt(wrapped[:12], wrapped[12:], f"patient-key:{patient_id}".encode())


def patient_data_key(patient_id: int) -> bytes:
    """The patient's data key, created on first use (remembered for the current unit of work only,
    ``keyring``). Raises ``KeyDestroyed`` once the key was destroyed: no new key is ever made for him."""
    remembered = keyring.cached(patient_id)
    if remembered is not None:
        return remembered
    row = PatientKey.objects.filter(patient_id=patient_id).first()
    if row is None:
        with transaction.atomic():
            data_key = AESGCM.generate_key(bit_length=256)
            row, created = PatientKey.objects.get_or_create(
                patient_id=patient_id,
                defaults={"wrapped_key": _wrap(data_key, patient_id), "created_at": clock.now()},
            )
            if created:
                keyring.created(patient_id, data_key)
                return data_key
    data_key = unwrap_stored(row.wrapped_key, patient_id)
    keyring.remember(patient_id, data_key)
    return data_key


def unwrap_stored(wrapped: bytes | memoryview | None, patient_id: int) -> bytes:
    """Unwrap a ``PatientKey.wrapped_key`` value read by any statement (the record's read path brings it
    with the documents, ADR 0008). ``None`` is a destroyed key."""
    if wrapped is None:
        raise KeyDestroyed(f"data key of patient {patient_id} destroyed")
    return _unwrap(bytes(wrapped), patient_id)


def key_fingerprint(data_key: bytes) -> str:
    """A public name for a data key (the erasure certificate names the key it destroyed): a domain-separated
    SHA-256, which reveals nothing of the key."""
    return "sha256:" + hashlib.sha256(b"carnet-data-key-fingerprint/1\n" + data_key).hexdigest()


def patient_key_destroy(patient_id: int) -> None:
    """Crypto-shredding: the wrapped key is overwritten (the row stays, so no new key is ever created for
    this patient and every later read fails with ``KeyDestroyed``)."""
    keyring.forget(patient_id)
    PatientKey.objects.filter(patient_id=patient_id).update(wrapped_key=None, destroyed_at=clock.now())


def _root() -> Path:
    root = Path(settings.DATA_DIR) / "blobs"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _path(blob: Blob) -> Path:
    return _root() / str(blob.patient_id) / f"{blob.public_id}.bin"


def blob_put(*, patient_id: int, content: bytes, media_type: str) -> Blob:
    """Encrypt and store. The file is written before the row; an orphan file (rolled back) is unreadable
    without a row and is removed by ``blobs_sweep``."""
    data_key = patient_data_key(patient_id)
    blob = Blob(
        patient_id=patient_id,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        media_type=media_type,
        created_at=clock.now(),
    )
    nonce = os.urandom(12)
    ciphertext = AESGCM(data_key).encrypt(nonce, content, str(blob.public_id).encode())
    path = _path(blob)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    _durable_write(tmp, nonce + ciphertext)
    os.replace(tmp, path)
    _fsync_dir(path.parent)  # the rename itself must survive a power loss before the row commits
    try:
        blob.save()  # in the caller's transaction: a rollback leaves only an orphan file, see blobs_sweep()
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return blob


def _durable_write(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def blob_get(blob: Blob) -> bytes:
    data_key = patient_data_key(blob.patient_id)
    raw = _path(blob).read_bytes()
    try:
        content = AESGCM(data_key).decrypt(raw[:12], raw[12:], str(blob.public_id).encode())
    except Exception as exc:
        raise IntegrityFailure(f"blob {blob.public_id} failed authentication") from exc
    if hashlib.sha256(content).hexdigest() != blob.sha256:
        raise IntegrityFailure(f"blob {blob.public_id} hash mismatch")
    return content


def blob_delete(blob: Blob) -> None:
    path = _path(blob)
    blob.delete()
    transaction.on_commit(lambda: path.unlink(missing_ok=True))


def blobs_delete_for_patient(patient_id: int) -> int:
    """Every blob of a patient (documents, attachments, exports, attestations): rows now, files after
    the commit (a rollback keeps both). Returns how many."""
    blobs = list(Blob.objects.filter(patient_id=patient_id))
    paths = [_path(blob) for blob in blobs]
    Blob.objects.filter(pk__in=[b.pk for b in blobs]).delete()
    directory = _root() / str(patient_id)

    def unlink() -> None:
        for path in paths:
            path.unlink(missing_ok=True)
        for leftover in directory.glob("*.tmp"):
            leftover.unlink(missing_ok=True)
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()

    transaction.on_commit(unlink)
    return len(blobs)


def blobs_sweep(*, older_than_seconds: int = 3600) -> int:
    """Remove files whose row never committed (a crash or a rollback after the file was written)."""
    import time

    removed = 0
    known = set(Blob.objects.values_list("public_id", flat=True))
    for path in _root().glob("*/*.bin"):
        if time.time() - path.stat().st_mtime < older_than_seconds:
            continue
        try:
            public_id = uuid.UUID(path.stem)
        except ValueError:
            continue
        if public_id not in known:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def blob_file_discard(blob: Blob) -> None:
    """Remove the encrypted file of a blob whose row was rolled back (a refused or failed write):
    invariant 9, a rejected upload leaves no file behind (``blobs_sweep`` is the safety net)."""
    _path(blob).unlink(missing_ok=True)
