"""A Carnet process driven line by line from a test (``tests/records/test_blob_sweep.py``), so that a real
process can be killed (``kill -9``) in the middle of a deposit, or held with its transaction open while
another process sweeps: ``python -m tests.records.blob_agent``.

The environment names the database (the test's PostgreSQL database, or a file copy of the in-memory SQLite
one), the data directory and the keys. Commands on stdin, one JSON answer per line on stdout:

* ``deposit``: one committed deposit → ``{"blob": id}``
* ``hold``: a deposit that stops after its file is written, its row inserted and its trace written, just
  before COMMIT → ``{"held": id, "path": p}``; the next line ``commit`` lets it commit →
  ``{"committed": id, "document": id}``
* ``sweep OLDER_THAN CLOCK_OFFSET``: ``blobs_sweep(older_than_seconds=OLDER_THAN)`` with the clock moved
  CLOCK_OFFSET seconds ahead of now → ``{"removed": n}`` (``{"error": ...}`` if it raised)
* ``cycle CLOCK_OFFSET``: one worker cycle (``run_cycle``, interval throttle cleared) →
  ``{"removed": result of records.blobs_sweep or null}``
* ``state``: the patient's Blob rows and files → ``{"rows": {id: readable}, "files": [names]}``
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _say(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carnet.config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache

    from carnet.common import clock
    from carnet.common.actors import Actor, ActorKind
    from carnet.config.worker import run_cycle
    from carnet.records import services
    from carnet.vault import blobstore
    from carnet.vault.models import Blob

    patient_id = int(os.environ["AGENT_PATIENT_ID"])
    actor = Actor(ActorKind.PROFESSIONAL, os.environ["AGENT_RPPS"], label="Agent")
    blobs = Path(settings.DATA_DIR) / "blobs" / str(patient_id)

    def deposit() -> Any:
        return services.document_deposit(
            actor=actor,
            patient_id=patient_id,
            content=PDF,
            filename="cr.pdf",
            declared_media_type="application/pdf",
            type_code="11488-4",
            title="Compte rendu",
        )

    def at(offset: str) -> None:
        clock.freeze(datetime.now(tz=UTC) + timedelta(seconds=float(offset)))

    real_notify = services.new_document_notify

    def held_notify(document: Any) -> None:  # the last statement of the deposit's transaction
        real_notify(document)
        blob = document.blob
        _say({"held": str(blob.public_id), "path": str(blobs / f"{blob.public_id}.bin")})
        if sys.stdin.readline().strip() != "commit":
            raise SystemExit(3)

    for line in sys.stdin:
        command, *args = line.split()
        if command == "deposit":
            _say({"blob": str(deposit().blob.public_id)})
        elif command == "hold":
            services.new_document_notify = held_notify  # type: ignore[assignment]
            try:
                document = deposit()
            finally:
                services.new_document_notify = real_notify
            _say({"committed": str(document.blob.public_id), "document": str(document.public_id)})
        elif command == "sweep":
            at(args[1])
            try:
                _say({"removed": blobstore.blobs_sweep(older_than_seconds=float(args[0]))})
            except Exception as exc:  # reported, the test decides
                _say({"error": type(exc).__name__})
        elif command == "cycle":
            at(args[0])
            cache.clear()
            _say({"removed": run_cycle().get("records.blobs_sweep")})
        elif command == "state":
            rows: dict[str, bool] = {}
            for blob in Blob.objects.filter(patient_id=patient_id):
                try:
                    rows[str(blob.public_id)] = blobstore.blob_get(blob) == PDF
                except Exception:
                    rows[str(blob.public_id)] = False
            files = sorted(p.name for p in blobs.iterdir()) if blobs.is_dir() else []
            _say({"rows": rows, "files": files})
        elif command == "quit":
            return
        clock.reset()


if __name__ == "__main__":
    main()
