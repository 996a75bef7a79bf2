"""``carnet`` console command: a thin wrapper over Django management commands.

    carnet serve | demo | worker | migrate | import-persons FILE | import-professionals FILE | run-deadlines ...

Dashes in the command name map to underscores (``import-persons`` -> ``import_persons``).

Before Django loads its settings, the wrapper fills three defaults from the command line (the
environment always wins):

* ``carnet demo`` runs in demo mode (``CARNET_DEMO=1``): the demo outbox and time travel pages exist
  however the demo is started. ``CARNET_DEMO=0`` set explicitly makes it refuse.
* ``carnet demo`` / ``carnet serve [ADDR:PORT]``: ``CARNET_BASE_URL`` (the links written in e-mails)
  follows the address served on; the transparency log keeps the name the default address gives it.
* ``carnet demo`` run outside the checkout it was installed from uses that checkout's ``./var``.

The offline verifiers (``verify-history``, ``verify-erasure-certificate``) need neither a database nor a
data directory: they run their Django-free modules directly, from any folder.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import MutableMapping
from pathlib import Path

from carnet.config.datadir import is_checkout

CHECKOUT = (
    Path(__file__).resolve().parent.parent.parent
)  # src/carnet/cli.py -> the checkout (editable install)
DEFAULT_ADDRPORT = "127.0.0.1:8000"


def _run_offline(command: str, args: list[str]) -> int | None:
    """The offline verifiers, without Django: ``None`` for every other command."""
    if command == "verify_history":
        from carnet.audit.verify import build_parser, run

        options = build_parser().parse_args(args)
        return run(
            options.file,
            since=options.since,
            public_key=options.public_key,
            public_key_file=options.public_key_file,
            write=print,
        )
    if command == "verify_erasure_certificate":
        from carnet.spaces.certificate import main as verify_certificate

        return verify_certificate(args)
    return None


def addrport_of(args: list[str]) -> str:
    """The ``ADDR:PORT`` (or ``PORT``) positional argument of ``demo`` / ``serve``, else the default."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("addrport", nargs="?", default=DEFAULT_ADDRPORT)
    for option in ("--settings", "--pythonpath", "--verbosity", "-v"):
        parser.add_argument(option)
    known, _ = parser.parse_known_args(args)
    return str(known.addrport or DEFAULT_ADDRPORT)


def base_url_for(addrport: str) -> str:
    """The site address people reach when Carnet serves on ``addrport`` (as ``runserver`` reads it)."""
    host, _, port = addrport.rpartition(":")
    if not port.isdigit():
        return f"http://{DEFAULT_ADDRPORT}"
    host = host or "127.0.0.1"
    if host in {"0.0.0.0", "[::]", "::"}:  # noqa: S104 - every interface: links name this machine's loopback
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def prepare_environment(args: list[str], environ: MutableMapping[str, str], cwd: Path) -> list[str]:
    """Fill the defaults described in the module docstring; return what was decided, to be printed."""
    notes: list[str] = []
    command = args[0] if args else ""
    if command in {"demo", "serve"} and not environ.get("CARNET_BASE_URL"):
        environ["CARNET_BASE_URL"] = base_url_for(addrport_of(args[1:]))
        # The transparency log's name defaults to the site's address (audit.services.log_origin) and is
        # signed into every entry's index and head: it must not change with the port served on, or the
        # log's own check would find every earlier entry "moved". Keep the name the default address gives.
        environ.setdefault("CARNET_AUDIT_LOG_ORIGIN", f"{DEFAULT_ADDRPORT}/journal")
    if command == "demo":
        environ.setdefault("CARNET_DEMO", "1")
        outside = not environ.get("CARNET_DATA_DIR") and not (cwd / "var").is_dir() and not is_checkout(cwd)
        if outside and is_checkout(CHECKOUT):
            environ["CARNET_DATA_DIR"] = str(CHECKOUT / "var")
            notes.append(f"Carnet: the demo keeps its data in {CHECKOUT / 'var'} (CARNET_DATA_DIR chooses)")
    return notes


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    code = _run_offline(args[0], args[1:]) if args else None
    if code is not None:
        sys.exit(code)
    for note in prepare_environment(args, os.environ, Path.cwd()):
        print(note, file=sys.stderr)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carnet.config.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["carnet", *args])
    except ImproperlyConfigured as error:
        sys.exit(f"carnet: {error}")


if __name__ == "__main__":
    main()
