"""Where Carnet keeps its data (``CARNET_DATA_DIR``), decided before anything is written there.

Importable without Django settings: ``carnet.cli`` asks it before the settings load.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def is_checkout(folder: Path) -> bool:
    """A Carnet source tree (where ``run.py demo`` keeps its ``./var``)."""
    return (folder / "pyproject.toml").is_file() and (folder / "src/carnet/config/settings.py").is_file()


def resolve_data_dir(configured: str, cwd: Path) -> Path:
    """``CARNET_DATA_DIR``, else ``./var`` when it exists or ``cwd`` is a Carnet checkout; else refuse.

    The data directory holds the embedded database and the generated secret, master and log-signing
    keys: a ``carnet`` command run from another folder must not quietly start a new installation there,
    with new keys, that nobody will find again."""
    if configured:
        return Path(configured).resolve()
    default = cwd / "var"
    if default.is_dir() or is_checkout(cwd):
        return default.resolve()
    raise ImproperlyConfigured(
        f"no data directory: CARNET_DATA_DIR is not set, and {cwd} is neither a Carnet checkout nor holds "
        "a ./var folder. Set CARNET_DATA_DIR to the folder holding Carnet's database and keys (it is "
        "created if missing), or run the command from the Carnet checkout."
    )
