"""Bulk imports of the insurance register (persons) and the health directory (professionals).

Formats and behaviour are documented in ``docs/subsystems/identity.md``. In short:

* the file is streamed (``csv`` reader over the open file, rows handled in batches of 1000): memory
  stays constant whatever the size — identifiers already seen in the file are kept in a temporary
  database table, rows waiting for a parent (R-ID-4) and ids of created persons in temporary files;
* the whole import is ONE transaction: a crash (any exception, Ctrl-C) rolls everything back;
  a row that fails validation is only *rejected* and written to the rejects report (line, field,
  reason, masked identifier — never a NIR in clear);
* it is idempotent: re-running the same file creates nothing and counts rows as ``unchanged``;
* every created or updated person is traced (``PERSON_REGISTERED`` / ``PERSON_UPDATED``), in the
  import's transaction, exactly as ``services.person_register`` does.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from carnet.common.actors import Actor
from carnet.common.errors import DomainError

from . import services
from .models import Person, Professional
from .selectors import name_key
from .services import Outcome

BATCH_SIZE = 1000


class Inform(Protocol):
    """What informs a newly imported person (``spaces.services.space_inform``)."""

    def __call__(self, *, person: Person, actor: Actor) -> object: ...


PERSON_COLUMNS = (
    "ins_matricule",
    "ins_oid",
    "birth_name",
    "first_names",
    "birth_date",
    "sex",
    "birth_place_cog",
    "email",
    "phone",
    "vitale_serial",
    "insured_under",
)
PERSON_REQUIRED = PERSON_COLUMNS[:7]
PERSON_OPTIONAL = ("used_name",)

PROFESSIONAL_COLUMNS = (
    "rpps",
    "last_name",
    "first_name",
    "profession_code",
    "specialty_code",
    "email",
    "phone",
    "finess",
    "organisation_name",
    "facility_type_code",
    "place_name",
    "address",
    "city",
)
PROFESSIONAL_REQUIRED = PROFESSIONAL_COLUMNS[:4]

REPORT_HEADER = ("line", "field", "reason", "identifier")


class ImportFileError(Exception):
    """The file cannot be imported at all (unreadable, missing columns): nothing was written."""


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    informed: int = 0
    report_path: Path | None = None

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged + self.rejected

    def count(self, outcome: Outcome) -> None:
        setattr(self, str(outcome), getattr(self, str(outcome)) + 1)


def mask_identifier(value: str) -> str:
    """Keep the first 7 characters (sex, year, month, department) and hide the rest: ``2800575********``."""
    compact = "".join((value or "").split())
    return compact[:7] + "*" * max(len(compact) - 7, 0) if len(compact) > 7 else "*" * len(compact)


def default_report_path(path: Path) -> Path:
    return path.with_name(path.name + ".rejects.csv")


# --- plumbing ----------------------------------------------------------------------------------


class _RejectsReport:
    """The rejects CSV, written as rows are rejected (streamed, never held in memory)."""

    def __init__(self, handle: IO[str], *, mask: bool) -> None:
        self.writer = csv.writer(handle)
        self.writer.writerow(REPORT_HEADER)
        self.mask = mask

    def reject(self, line: int, identifier: str, errors: dict[str, list[str]]) -> None:
        shown = mask_identifier(identifier) if self.mask else identifier.strip()
        for name, messages in errors.items():
            for message in messages:
                self.writer.writerow((line, name, str(message), shown))


class _SeenKeys:
    """Identifiers already met in this file, with their line and a fingerprint of their data.

    Kept in a temporary table (one per connection, dropped at the end) so a file of millions of
    rows does not need millions of keys in memory; looked up one batch at a time.
    """

    TABLE = "carnet_import_seen"

    def __init__(self) -> None:
        self.cursor = connection.cursor()
        self.cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {self.TABLE} "
            "(k VARCHAR(128) PRIMARY KEY, line INTEGER NOT NULL, fp VARCHAR(64) NOT NULL)"
        )
        self.cursor.execute(f"DELETE FROM {self.TABLE}")  # noqa: S608

    def lookup(self, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
        if not keys:
            return {}
        placeholders = ", ".join(["%s"] * len(keys))
        self.cursor.execute(
            f"SELECT k, line, fp FROM {self.TABLE} WHERE k IN ({placeholders})",  # noqa: S608
            list(keys),
        )
        return {k: (line, fp) for k, line, fp in self.cursor.fetchall()}

    def add(self, items: Sequence[tuple[str, int, str]]) -> None:
        if items:
            self.cursor.executemany(f"INSERT INTO {self.TABLE} (k, line, fp) VALUES (%s, %s, %s)", items)  # noqa: S608

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.cursor.execute(f"DROP TABLE IF EXISTS {self.TABLE}")
        self.cursor.close()


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def _open_rows(path: Path, required: Sequence[str]) -> tuple[IO[str], csv.DictReader[str]]:
    """Open a CSV (UTF-8, with or without BOM; ``,`` or ``;``) and check its header."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ImportFileError(_("Le fichier %(name)s ne peut pas être lu.") % {"name": path.name}) from exc
    try:
        header = handle.readline()
        delimiter = ";" if header.count(";") > header.count(",") else ","
        handle.seek(0)
        reader = csv.DictReader(handle, delimiter=delimiter)
        columns = [c.strip() for c in (reader.fieldnames or [])]
        reader.fieldnames = columns
    except (UnicodeDecodeError, csv.Error) as exc:
        handle.close()
        raise ImportFileError(_("Le fichier n'est pas un CSV encodé en UTF-8.")) from exc
    missing = [c for c in required if c not in columns]
    if missing:
        handle.close()
        raise ImportFileError(
            _("Colonnes obligatoires absentes : %(columns)s.") % {"columns": ", ".join(missing)}
        )
    return handle, reader


def _count_lines(path: Path) -> int:
    lines = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            lines += block.count(b"\n")
    return max(lines - 1, 0)


def _progress(path: Path, *, enabled: bool, label: str) -> Any:
    from tqdm import tqdm

    disabled = not enabled or not sys.stderr.isatty()
    total = None if disabled else _count_lines(path)
    return tqdm(
        total=total, unit=" lignes", desc=label, file=sys.stderr, disable=disabled, dynamic_ncols=True
    )


def _batches(reader: csv.DictReader[str]) -> Iterator[list[tuple[int, dict[str, str]]]]:
    batch: list[tuple[int, dict[str, str]]] = []
    for raw in reader:
        if not any((v or "").strip() for k, v in raw.items() if k is not None):
            continue  # blank line
        batch.append((reader.line_num, {k: (v or "") for k, v in raw.items() if k is not None}))
        if len(batch) >= BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def _error_dict(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": list(exc.messages)}


# --- persons -----------------------------------------------------------------------------------


class _PersonImport:
    def __init__(
        self, *, report: _RejectsReport, actor: Actor, created_ids: IO[str], deferred: IO[str]
    ) -> None:
        self.report = report
        self.actor = actor
        self.created_ids = created_ids
        self.deferred_file = deferred
        self.deferred = csv.writer(deferred)
        self.deferred_count = 0
        self.seen = _SeenKeys()
        self.result = ImportResult()

    def reject(self, line: int, raw: dict[str, str], errors: dict[str, list[str]]) -> None:
        self.report.reject(line, raw.get("ins_matricule", ""), errors)
        self.result.rejected += 1

    def _clean(self, raw: dict[str, str]) -> services.PersonData:
        return services.person_clean(**{c: raw.get(c, "") for c in (*PERSON_COLUMNS, *PERSON_OPTIONAL)})

    def process(self, batch: list[tuple[int, dict[str, str]]], *, final: bool) -> None:
        """Validate, de-duplicate and write one batch. ``final``: the deferred rows' second pass."""
        valid: list[tuple[int, dict[str, str], services.PersonData]] = []
        for line, raw in batch:
            try:
                valid.append((line, raw, self._clean(raw)))
            except ValidationError as exc:
                self.reject(line, raw, _error_dict(exc))
        if not final:
            valid = self._drop_duplicates(valid)
        keys = [data.ins_matricule for _line, _raw, data in valid]
        existing = {p.ins_matricule: p for p in Person.objects.filter(ins_matricule__in=keys)}
        # Adults (no parent) first, so that children of the same batch find their parent.
        self._write([(line, data, None) for line, _raw, data in valid if not data.insured_under], existing)
        children = [(line, raw, data) for line, raw, data in valid if data.insured_under]
        if not children:
            return
        parents = {
            p.ins_matricule: p
            for p in Person.objects.filter(
                ins_matricule__in={data.insured_under for _l, _r, data in children}
            )
        }
        ready: list[tuple[int, services.PersonData, Person | None]] = []
        for line, raw, data in children:
            parent = parents.get(data.insured_under)
            if parent is not None:
                ready.append((line, data, parent))
            elif not final:
                self.deferred.writerow([line, *(raw.get(c, "") for c in (*PERSON_COLUMNS, *PERSON_OPTIONAL))])
                self.deferred_count += 1
            else:
                self.reject(
                    line,
                    raw,
                    {"insured_under": [_("Aucun assuré n'est enregistré sous ce numéro d'ouvrant droit.")]},
                )
        self._write(ready, existing)

    def process_deferred(self) -> None:
        """Second pass over the children whose parent came later in the file (R-ID-4)."""
        self.deferred_file.seek(0)
        names = (*PERSON_COLUMNS, *PERSON_OPTIONAL)
        pending: list[tuple[int, dict[str, str]]] = []
        for row in csv.reader(self.deferred_file):
            pending.append((int(row[0]), dict(zip(names, row[1:], strict=True))))
            if len(pending) >= BATCH_SIZE:
                self.process(pending, final=True)
                pending = []
        if pending:
            self.process(pending, final=True)

    def _drop_duplicates(
        self, rows: list[tuple[int, dict[str, str], services.PersonData]]
    ) -> list[tuple[int, dict[str, str], services.PersonData]]:
        earlier = self.seen.lookup([data.ins_matricule for _l, _r, data in rows])
        kept = []
        for line, raw, data in rows:
            first = earlier.get(data.ins_matricule)
            if first is not None:
                message = _(
                    "Ce matricule INS figure déjà ligne %(line)s du fichier : "
                    "seule la première occurrence est importée."
                )
                self.reject(line, raw, {"ins_matricule": [message % {"line": first[0]}]})
                continue
            earlier[data.ins_matricule] = (line, "")
            kept.append((line, raw, data))
        self.seen.add([(data.ins_matricule, line, "") for line, _raw, data in kept])
        return kept

    def _write(
        self, rows: list[tuple[int, services.PersonData, Person | None]], existing: dict[str, Person]
    ) -> None:
        to_create: list[Person] = []
        for _line, data, parent in rows:
            person = existing.get(data.ins_matricule)
            if person is None:
                to_create.append(services.person_build(data, parent))
                continue
            changes = services.person_changes(person, data, parent)
            if changes:
                services.person_apply_changes(person=person, changes=changes, actor=self.actor)
                self.result.updated += 1
            else:
                self.result.unchanged += 1
        if not to_create:
            return
        created = Person.objects.bulk_create(to_create)
        for person in created:
            if person.pk is None:  # a backend that cannot return ids from a bulk insert
                person.pk = Person.objects.only("pk").get(ins_matricule=person.ins_matricule).pk
            services.person_trace(person=person, actor=self.actor, outcome=Outcome.CREATED)
            self.created_ids.write(f"{person.pk}\n")
            existing[person.ins_matricule] = person
        self.result.created += len(created)


def import_persons(
    path: Path | str,
    *,
    report_path: Path | str | None = None,
    inform: Inform | None = None,
    progress: bool = False,
    actor: Actor | None = None,
    on_informed: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import an insurance register extract (persons), see the module docstring.

    ``inform``: after the import committed, called for each new person, each call its own transaction
    (``spaces.services.space_inform``: R-LC-1..4, passed by ``carnet import-persons --inform``; identity
    sits below spaces and does not import it). A ``DomainError`` means "already informed" and is skipped.

    Raises ``ImportFileError`` when the file cannot be read or lacks a required column; any other
    exception (or KeyboardInterrupt) aborts the import with nothing written.
    """
    path = Path(path)
    report_path = Path(report_path) if report_path else default_report_path(path)
    actor = actor or Actor.insurance()
    handle, reader = _open_rows(path, PERSON_REQUIRED)
    with (
        handle,
        tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as created_ids,
        tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as deferred,
    ):
        with (
            _AtomicReport(report_path) as report_handle,
            _progress(path, enabled=progress, label=_("Import des assurés")) as bar,
            transaction.atomic(),
        ):
            job = _PersonImport(
                report=_RejectsReport(report_handle, mask=True),
                actor=actor,
                created_ids=created_ids,
                deferred=deferred,
            )
            try:
                for batch in _batches(reader):
                    job.process(batch, final=False)
                    bar.update(len(batch))
                job.process_deferred()
            finally:
                job.seen.close()
        result = job.result
        result.report_path = report_path
        if inform is not None:  # after the commit: each information is its own transaction
            created_ids.seek(0)
            result.informed = _inform(created_ids, inform, actor=actor, on_informed=on_informed)
    return result


def _inform(
    created_ids: IO[str], inform: Inform, *, actor: Actor, on_informed: Callable[[int], None] | None
) -> int:
    """R-LC-1..4: after the import committed, open the information window of each new person."""
    informed = 0
    ids: list[int] = []

    def flush() -> int:
        done = 0
        for person in Person.objects.filter(pk__in=ids).order_by("pk"):
            try:
                inform(person=person, actor=actor)
            except DomainError:
                continue  # already has a space
            done += 1
            if on_informed is not None:
                on_informed(person.pk)
        return done

    for line in created_ids:
        ids.append(int(line))
        if len(ids) >= BATCH_SIZE:
            informed += flush()
            ids = []
    if ids:
        informed += flush()
    return informed


class _AtomicReport:
    """The rejects report, written to a temporary file and moved in place only if the import commits."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(path.name + ".partial")
        self.handle: IO[str] | None = None

    def __enter__(self) -> IO[str]:
        self.handle = self.partial.open("w", encoding="utf-8", newline="")
        return self.handle

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        assert self.handle is not None
        self.handle.close()
        if exc_type is None:
            self.partial.replace(self.path)
        else:
            self.partial.unlink(missing_ok=True)


# --- professionals -----------------------------------------------------------------------------


@dataclass
class _ProfessionalImport:
    report: _RejectsReport
    actor: Actor
    seen: _SeenKeys = field(default_factory=_SeenKeys)
    result: ImportResult = field(default_factory=ImportResult)

    def reject(self, line: int, raw: dict[str, str], errors: dict[str, list[str]]) -> None:
        self.report.reject(line, raw.get("rpps", ""), errors)
        self.result.rejected += 1

    def _clean(self, raw: dict[str, str]) -> services.ProfessionalData:
        errors: dict[str, list[str]] = {}
        places = []
        try:
            place = services.practice_place_clean(
                name=raw.get("place_name", ""),
                address=raw.get("address", ""),
                city=raw.get("city", ""),
                finess=raw.get("finess", ""),
                organisation_name=raw.get("organisation_name", ""),
                facility_type_code=raw.get("facility_type_code", ""),
            )
            if place is not None:
                places.append(place)
        except ValidationError as exc:
            errors |= exc.message_dict
        try:
            data = services.professional_clean(
                rpps=raw.get("rpps", ""),
                last_name=raw.get("last_name", ""),
                first_name=raw.get("first_name", ""),
                profession_code=raw.get("profession_code", ""),
                specialty_code=raw.get("specialty_code", ""),
                email=raw.get("email", ""),
                phone=raw.get("phone", ""),
                practice_places=places,
            )
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
        if errors:
            raise ValidationError(errors)
        return data

    def _conflicts(self, rows: list[tuple[int, dict[str, str], services.ProfessionalData]]) -> list[Any]:
        """Reject a repeated (professional, place) row, or one that contradicts an earlier row."""
        keyed = []
        for line, raw, data in rows:
            identity = (data.last_name, data.first_name, data.profession_code, data.specialty_code)
            facts = [("id:" + data.rpps, _fingerprint(*identity, data.email, data.phone))]
            place = data.places[0] if data.places else None
            place_key = (
                f"pl:{data.rpps}|{name_key(place.name)}|{name_key(place.address)}"
                if place
                else f"pl:{data.rpps}|"
            )
            facts.append((place_key, ""))
            if place is not None and place.organisation is not None:
                org = place.organisation
                facts.append(("org:" + org.finess, _fingerprint(org.name, org.facility_type_code)))
            keyed.append((line, raw, data, facts))
        earlier = self.seen.lookup([k for *_rest, facts in keyed for k, _fp in facts])
        kept = []
        for line, raw, data, facts in keyed:
            problem: tuple[str, str] | None = None
            for key, fp in facts:
                first = earlier.get(key)
                if first is None:
                    continue
                if key.startswith("pl:"):
                    message = _(
                        "Ce professionnel et ce lieu d'exercice figurent déjà ligne %(line)s du fichier."
                    )
                    problem = ("rpps", message % {"line": first[0]})
                elif first[1] != fp:
                    name = "rpps" if key.startswith("id:") else "finess"
                    message = _(
                        "Ces données contredisent celles de la ligne %(line)s du fichier (même identifiant)."
                    )
                    problem = (name, message % {"line": first[0]})
                if problem:
                    break
            if problem:
                self.reject(line, raw, {problem[0]: [problem[1]]})
                continue
            new = [(k, line, fp) for k, fp in facts if k not in earlier]
            for k, _l, fp in new:
                earlier[k] = (line, fp)
            self.seen.add(new)
            kept.append((line, data))
        return kept

    def process(self, batch: list[tuple[int, dict[str, str]]]) -> None:
        valid = []
        for line, raw in batch:
            try:
                valid.append((line, raw, self._clean(raw)))
            except ValidationError as exc:
                self.reject(line, raw, _error_dict(exc))
        kept = self._conflicts(valid)
        known = {p.rpps: p for p in Professional.objects.filter(rpps__in={data.rpps for _l, data in kept})}
        for _line, data in kept:
            pro, outcome = services.professional_save(
                data=data, actor=self.actor, existing=known.get(data.rpps), lookup=False
            )
            known[data.rpps] = pro
            self.result.count(outcome)


def import_professionals(
    path: Path | str,
    *,
    report_path: Path | str | None = None,
    progress: bool = False,
    actor: Actor | None = None,
) -> ImportResult:
    """Import a health directory extract: one row per professional and practice place (see the docs)."""
    path = Path(path)
    report_path = Path(report_path) if report_path else default_report_path(path)
    handle, reader = _open_rows(path, PROFESSIONAL_REQUIRED)
    with (
        handle,
        _AtomicReport(report_path) as report_handle,
        _progress(path, enabled=progress, label=_("Import des professionnels")) as bar,
        transaction.atomic(),
    ):
        job = _ProfessionalImport(
            report=_RejectsReport(report_handle, mask=False), actor=actor or services.DIRECTORY_ACTOR
        )
        try:
            for batch in _batches(reader):
                job.process(batch)
                bar.update(len(batch))
        finally:
            job.seen.close()
    job.result.report_path = report_path
    return job.result
