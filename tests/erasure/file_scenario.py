"""The canary scenario against a real SQLite file (the test database is in memory, so this runs in a
subprocess of ``test_sqlite_file``): ``python -m tests.erasure.file_scenario DATA_DIR JOURNAL_MODE PATH``.

It migrates a fresh database in ``DATA_DIR``, puts it in ``JOURNAL_MODE`` (``wal`` or ``delete``), builds
the canary world, scans the file once (the positive control), erases the holder through the real path,
and prints a JSON report: the canaries, the holder's name canaries, what the first scan saw.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path


def main(data_dir: str, journal_mode: str, path: str) -> None:
    os.environ["CARNET_DATA_DIR"] = data_dir
    for name in ("CARNET_DATABASE_URL", "DATABASE_URL"):  # always the embedded SQLite file of DATA_DIR
        os.environ.pop(name, None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carnet.config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.PASSWORD_HASHERS = ["tests.hashers.FastArgon2PasswordHasher"]
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA journal_mode={journal_mode}")

    from carnet.common import clock
    from tests.erasure import scan
    from tests.erasure.world import build, erase

    clock.freeze(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    world = build()
    database = Path(data_dir) / "carnet.sqlite3"
    before = scan.scan_sqlite_file(world.canaries.values(), database)
    erase(world, path)
    connection.close()
    print(
        json.dumps(
            {
                "canaries": sorted(world.canaries.values()),
                "names": sorted(world.names),
                "seen_before": sorted({h.canary for h in before}),
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
