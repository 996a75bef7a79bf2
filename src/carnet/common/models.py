"""The one table of ``common``: Django's ``DatabaseCache`` rows, for counters while Redis is unreachable."""

from __future__ import annotations

from django.db import models

from .cache import FALLBACK_TABLE


class CacheFallbackEntry(models.Model):
    """A row of the database cache (``CACHES["database"]``, ``carnet.common.cache``): the columns
    ``createcachetable`` would make, created by a migration so that every deployment has them. Keys
    are keyed hashes (``common.throttle.hashed``), values timestamps and counts: no personal data."""

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = FALLBACK_TABLE

    def __str__(self) -> str:
        return self.cache_key
