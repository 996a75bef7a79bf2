#!/usr/bin/env python3
"""Carnet's two entry points for a fresh machine with only Python 3.11.

    python3.11 run.py demo   # venv + install + migrate SQLite + demo population + serve (default :8000)
    python3.11 run.py test   # venv + test dependencies + Debian chromium (if root) + the whole suite

Everything lands in ./.venv and ./var; run it again at will (each step is idempotent).
Extra arguments after ``test`` go to pytest (e.g. ``python3.11 run.py test -k lifecycle``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
CHROMIUM = "/usr/bin/chromium"


def sh(*cmd: str, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)


def ensure_venv(extras: str) -> None:
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"Carnet needs Python 3.11 (this is {sys.version.split()[0]}): run it with python3.11")
    if not (BIN / "python").exists():
        sh(sys.executable, "-m", "venv", str(VENV))
    stamp = VENV / f".installed-{extras or 'base'}"
    pyproject = ROOT / "pyproject.toml"
    if not stamp.exists() or stamp.stat().st_mtime < pyproject.stat().st_mtime:
        sh(str(BIN / "python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        target = f".[{extras}]" if extras else "."
        sh(str(BIN / "python"), "-m", "pip", "install", "--quiet", "-e", target)
        stamp.touch()


def ensure_chromium() -> None:
    """Browser tests drive Debian's chromium (no browser download at run time)."""
    if Path(CHROMIUM).exists():
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        sh("apt-get", "update", "-qq", env=env)
        sh("apt-get", "install", "-y", "-qq", "chromium", "fonts-dejavu-core", env=env)
    else:
        print("! /usr/bin/chromium is missing and this user cannot install it: browser tests will fail.")


def demo(args: list[str]) -> None:
    ensure_venv("")
    env = {**os.environ, "CARNET_DEMO": "1"}
    sh(str(BIN / "carnet"), "demo", *args, env=env)


def test(args: list[str]) -> None:
    ensure_venv("test")
    ensure_chromium()
    sh(str(BIN / "python"), "-m", "pytest", *args)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {"demo", "test"}:
        sys.exit(__doc__)
    {"demo": demo, "test": test}[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
