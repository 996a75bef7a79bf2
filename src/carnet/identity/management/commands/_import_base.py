"""Shared plumbing of ``import_persons`` and ``import_professionals``: arguments, errors, summary."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from carnet.identity.importers import ImportFileError, ImportResult


class ImportCommand(BaseCommand):
    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "file", type=Path, help="CSV file (UTF-8, header line; see docs/subsystems/identity.md)"
        )
        parser.add_argument(
            "--report", type=Path, default=None, help="rejects report (default: FILE.rejects.csv)"
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def run_import(self, options: dict[str, Any]) -> ImportResult:  # pragma: no cover - overridden
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("Fichier introuvable : %(path)s") % {"path": path})
        try:
            result = self.run_import(options)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        except KeyboardInterrupt as exc:
            raise CommandError(
                _("Import interrompu : aucune ligne n'a été enregistrée."), returncode=130
            ) from exc
        except CommandError:
            raise
        except Exception as exc:
            # Never print the exception's text: a database error may quote a row's values (a NIR).
            raise CommandError(
                _("Import interrompu par une erreur (%(kind)s) : aucune ligne n'a été enregistrée.")
                % {"kind": type(exc).__name__}
            ) from exc
        self.stdout.write(self.summary(result))

    def summary(self, result: ImportResult) -> str:
        text = _(
            "Import terminé : %(created)s créé(s), %(updated)s mis à jour, %(unchanged)s inchangé(s), "
            "%(rejected)s rejeté(s). Rapport des rejets : %(report)s"
        ) % {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "rejected": result.rejected,
            "report": result.report_path,
        }
        return text
