"""``carnet`` console command: a thin wrapper over Django management commands.

    carnet serve | demo | worker | migrate | import-persons FILE | import-professionals FILE | run-deadlines ...

Dashes in the command name map to underscores (``import-persons`` -> ``import_persons``).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carnet.config.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["carnet", *args])


if __name__ == "__main__":
    main()
