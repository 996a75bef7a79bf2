"""Scheduled work of the record (registered with the task API, run by the worker cycle)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache

from carnet.tasks import task
from carnet.vault.blobstore import blobs_sweep

from .idempotency import purge_expired
from .services import invisible_notices_send

log = logging.getLogger("carnet.records.tasks")


@task("records.invisible_notices")
def invisible_notices() -> int:
    """R-MASK-6: the content-free notice two weeks after an INVISIBLE_PATIENT deposit (idempotent)."""
    return invisible_notices_send()


@task("records.blobs_sweep")
def sweep_blobs() -> int | str:
    """Issue 13: remove the blob files no committed row owns (``blobstore.blobs_sweep``: never a file whose
    transaction may still commit), at most once per ``CARNET_BLOB_SWEEP_INTERVAL_SECONDS`` across the
    processes sharing the cache (the scan reads every file's age). Without a working cache it runs anyway:
    the sweep is safe to run concurrently, only wasteful."""
    try:
        due = cache.add(
            "carnet:records:blobs-sweep", "1", timeout=int(settings.CARNET_BLOB_SWEEP_INTERVAL_SECONDS)
        )
    except Exception:  # the cache is down: sweeping twice is harmless
        log.warning("blob sweep: cache unavailable, sweeping without the interval")
        due = True
    if not due:
        return "not due"
    return blobs_sweep()


@task("records.deposit_keys_purge")
def deposit_keys_purge() -> int:
    """Issue 13: forget the JSON API's idempotency keys past ``CARNET_DEPOSIT_KEY_RETENTION_HOURS``."""
    return purge_expired()
