"""Encrypted blob store (invariant 4).

Each patient has a random 256-bit data key, stored only wrapped by the master key
(``CARNET_MASTER_KEY``). Contents are encrypted with AES-256-GCM under that key, with the blob's
id as associated data (a blob cannot be swapped for another). The plaintext SHA-256 is checked on
every read. ``patient_key_destroy`` deletes the wrapped key: every blob of the patient becomes
unreadable, including copies in backups (crypto-shredding).

Files and rows under faults (issue 13, docs/subsystems/records.md "Under faults"):

* ``blob_put`` inserts the row BEFORE it writes the file, in the caller's transaction. From then until that
  transaction ends, the row's unique id is held by it (PostgreSQL: the unique index entry; SQLite: the
  single writer's lock), which is what lets ``blobs_sweep`` wait for the outcome instead of guessing.
* ``blob_transaction`` removes the files written inside it only when the transaction is known not to have
  committed: the block failed before COMMIT was sent. A failure AT the commit (connection lost while COMMIT
  was in flight, an error raised after the server made it durable) keeps them: the sweep decides later.
* ``blobs_sweep`` (worker task ``records.blobs_sweep``) removes ``.bin``/``.tmp`` files no committed row
  owns, once they are older than ``CARNET_BLOB_SWEEP_GRACE_SECONDS`` and only after proving, by claiming
  their id, that no transaction holding that id is still open.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction

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
    "blob_transaction",
    "blobs_delete_for_patient",
    "blobs_sweep",
    "key_fingerprint",
    "patient_data_key",
    "patient_key_destroy",
    "unwrap_stored",
]

log = logging.getLogger("carnet.vault.blobstore")


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
    """Encrypt and store, inside the caller's transaction (or one of its own in autocommit mode).

    The row is inserted first, then the file is written (``.tmp``, fsync, rename, fsync of the directory):
    a file exists only while a transaction holding its row's id is open or after it committed, so
    ``blobs_sweep`` can always tell an orphan from a deposit still in flight (module docstring). A file
    whose transaction rolls back is removed by ``blob_transaction`` or, after a crash, by the sweep."""
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
    tmp = path.with_suffix(".tmp")
    with transaction.atomic(savepoint=False):  # a failure here fails the caller's whole transaction
        blob.save()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _durable_write(tmp, nonce + ciphertext)
            os.replace(tmp, path)
            _fsync_dir(path.parent)  # the rename itself must survive a power loss before the row commits
        except BaseException:
            # The row goes with the transaction this error rolls back (savepoint=False): nothing can
            # commit it any more, so its file may go now.
            tmp.unlink(missing_ok=True)
            path.unlink(missing_ok=True)
            raise
        written = _written_stack()
        if written:
            written[-1].append(blob)
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


_SWEEP_BATCH = 500


def _sweep_grace_seconds() -> float:
    return float(settings.CARNET_BLOB_SWEEP_GRACE_SECONDS)


def blobs_sweep(*, older_than_seconds: float | None = None, limit: int = 1000) -> int:
    """Remove the blob files no committed row owns: what a process killed between the file write and
    COMMIT leaves (``.tmp`` or ``.bin``), what a commit of unknown outcome that did not happen leaves, and
    what a deletion killed after its commit but before its unlink leaves. Returns how many files went.

    Never a file whose transaction may still commit, by two guards, each sufficient alone:

    1. age: only files older than ``older_than_seconds`` (default ``CARNET_BLOB_SWEEP_GRACE_SECONDS``,
       1 hour, measured on the injectable clock), far longer than any deposit transaction lives;
    2. a claim: for a file without a visible row, the sweep INSERTs, in a transaction of its own, a row with
       the file's id. ``blob_put`` inserted its row before writing the file, so if the depositing
       transaction is still open the claim waits for it (PostgreSQL: its unique index entry; SQLite: the
       writer's lock), at most ``CARNET_BLOB_SWEEP_LOCK_TIMEOUT_SECONDS``, after which the file is kept
       for the next run. Once that transaction is over the claim fails if its row committed (the file is
       kept) and succeeds otherwise: the file is removed and the claim rolled back, never seen by anyone.
    """
    grace = _sweep_grace_seconds() if older_than_seconds is None else float(older_than_seconds)
    now = clock.now().timestamp()
    candidates: list[tuple[Path, uuid.UUID, int]] = []
    for path in _root().glob("*/*"):
        if path.suffix not in (".bin", ".tmp"):
            continue
        try:
            public_id, patient_id = uuid.UUID(path.stem), int(path.parent.name)
            age = now - path.stat().st_mtime
        except (ValueError, OSError):
            continue  # not ours, or already gone
        if age >= grace:
            candidates.append((path, public_id, patient_id))
    removed = claims = 0
    for start in range(0, len(candidates), _SWEEP_BATCH):
        batch = candidates[start : start + _SWEEP_BATCH]
        committed = set(
            Blob.objects.filter(public_id__in=[public_id for _p, public_id, _pid in batch]).values_list(
                "public_id", flat=True
            )
        )
        for path, public_id, patient_id in batch:
            if public_id in committed:
                continue
            if claims >= limit:
                return removed
            claims += 1
            if _claim_and_remove(path, public_id, patient_id):
                removed += 1
    return removed


def _claim_and_remove(path: Path, public_id: uuid.UUID, patient_id: int) -> bool:
    """Remove ``path`` if, and only if, no transaction holding a row with ``public_id`` is open and none
    committed one (``blobs_sweep``, guard 2)."""
    try:
        with _bounded_lock_wait(), transaction.atomic():
            if connection.vendor == "postgresql":
                timeout_ms = int(float(settings.CARNET_BLOB_SWEEP_LOCK_TIMEOUT_SECONDS) * 1000)
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL lock_timeout = {max(timeout_ms, 1)}")
            Blob.objects.create(  # waits while a transaction holding this id is open
                public_id=public_id,
                patient_id=patient_id,
                size=0,
                sha256="",
                media_type="",
                created_at=clock.now(),
            )
            path.unlink(missing_ok=True)
            transaction.set_rollback(True)  # the claim itself is never committed
    except IntegrityError:
        return False  # its row committed: the file is the document's
    except OperationalError:
        log.info("blob sweep: a file's transaction is still open; kept for the next run")
        return False
    return True


@contextmanager
def _bounded_lock_wait() -> Iterator[None]:
    """SQLite: wait for the writer's lock at most ``CARNET_BLOB_SWEEP_LOCK_TIMEOUT_SECONDS`` instead of
    the connection's busy timeout (PostgreSQL sets ``lock_timeout`` inside the claim's transaction)."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    seconds = float(settings.CARNET_BLOB_SWEEP_LOCK_TIMEOUT_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        (previous,) = cursor.fetchone()
        cursor.execute(f"PRAGMA busy_timeout = {max(int(seconds * 1000), 1)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(previous)}")


def blob_file_discard(blob: Blob) -> None:
    """Remove the encrypted file of a blob whose row is known to be rolled back (a refused or failed
    write): invariant 9, a rejected upload leaves no file behind (``blobs_sweep`` is the safety net).
    Never call it when the commit's outcome is unknown: ``blob_transaction`` decides that."""
    path = _path(blob)
    path.unlink(missing_ok=True)
    path.with_suffix(".tmp").unlink(missing_ok=True)


_local = threading.local()


def _written_stack() -> list[list[Blob]]:
    stack: list[list[Blob]] | None = getattr(_local, "written", None)
    if stack is None:
        stack = _local.written = []
    return stack


@contextmanager
def blob_transaction() -> Iterator[None]:
    """``transaction.atomic()`` for an act that writes blob files (invariant 9 under faults, issue 13).

    * The block fails (an exception inside it): the transaction, or the savepoint, is rolled back before
      any COMMIT was sent, so the rows of the files ``blob_put`` wrote inside it can never exist: the files
      are removed.
    * The commit fails (the exception comes from COMMIT or RELEASE SAVEPOINT itself): the server may have
      made it durable before the error reached us (a connection lost during COMMIT), so the files are KEPT;
      ``blobs_sweep`` later removes those whose row turns out not to exist.
    * Nested in another ``blob_transaction``, the files become the outer block's once the inner one
      succeeds (an outer failure removes them too).
    """
    written: list[Blob] = []
    stack = _written_stack()
    stack.append(written)
    body_done = False
    try:
        with transaction.atomic():
            try:
                yield
            finally:
                stack.pop()
            body_done = True
    except BaseException:
        if not body_done:
            for blob in written:
                blob_file_discard(blob)
        elif written:
            log.warning("commit outcome unknown: %d blob file(s) kept for the sweep to decide", len(written))
        raise
    if stack:
        stack[-1].extend(written)
