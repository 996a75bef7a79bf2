"""Offline verification of a downloaded history (ARCHITECTURE invariant 3, SPEC R-TR-1/R-TR-2/R-TR-3).

This module is importable **without Django** (it only uses ``hashlib``, ``json``, ``cryptography`` and
``carnet.audit.merkle``), so a patient, a lawyer or an auditor can check a history file with the file
and the operator's public key alone::

    python -m carnet.audit.verify NEW.json [--since OLD.json] --public-key BASE64
    carnet verify-history NEW.json [--since OLD.json] --public-key-file carnet-log.pub

The server builds the log with the very same functions (``leaf_text``, ``sct_message``,
``head_message``), and the HTML verifier (``verifier/``) implements the same checks in JavaScript; its
browser test runs them on the same tampered files as this module's tests.

The format (``carnet-history/2``, docs/subsystems/audit.md; ADR 0007)
-------------------------------------------------------------------
* Every trace is one leaf of ONE global log (RFC 9162 hashing, ``merkle.py``); its ``leaf`` is the
  canonical JSON of its content (``LEAF_FIELDS``: sorted keys, no spaces, UTF-8), hashed as
  ``SHA-256(0x00 ‖ leaf)``. The file carries the leaf text itself, so the verifier hashes exactly
  the bytes the server hashed.
* A **signed entry timestamp** (Ed25519 over ``sct_message(leaf hash)``) was given to the entry when it
  was written, before it had a place in the tree (the analogue of Certificate Transparency's SCT).
* A **signed tree head** (``head_message``: origin, size, root, timestamp) covers every entry of the
  file through its **inclusion proof** (RFC 9162 §2.1.3).
* **Previous heads** this viewer was given come with a **consistency proof** to the new head
  (§2.1.4): nothing that they covered has changed since.
* Entries the viewer must not see are **absent**, not redacted: in a global log a missing leaf index is
  indistinguishable from another patient's entry.

A trusted public key is required: the key embedded in the file is informative only (whoever rewrote
the file could have put his own key there). Exit codes: 0 verified, 1 problems found, 2 unreadable file
or no trusted key.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from carnet.audit import merkle

FORMAT = "carnet-history/2"

#: The content of a trace covered by its leaf hash (the server's ``services.leaf_content``).
LEAF_FIELDS: tuple[str, ...] = (
    "patient_id",
    "at",
    "actor_kind",
    "actor_id",
    "actor_label",
    "action",
    "group",
    "object_type",
    "object_id",
    "mode",
    "reason",
    "outcome",
    "details",
    "nonce",
)

SCT_DOMAIN = "carnet-log/v1 signed-entry-timestamp"
HEAD_DOMAIN = "carnet-log/v1 tree-head"
LEAF_INDEX_DOMAIN = "carnet-log/v1 leaf-index"
COSIGNATURE_DOMAIN = "carnet-log/v1 cosignature"

# Problem kinds (stable codes; the server's check and the HTML verifier use the same ones).
ALTERED = "altered"  # the entry's content no longer gives the leaf hash Carnet signed
BAD_ENTRY_SIGNATURE = "bad_entry_signature"  # the signed entry timestamp does not verify
NOT_IN_LOG = "not_in_log"  # the inclusion proof does not lead to the signed root
REORDERED = "reordered"  # leaf indexes not increasing, or the same index twice
BEYOND_HEAD = "beyond_head"  # an entry after the signed head (not covered by it)
OTHER_PATIENT = "other_patient"  # an entry of another patient's history
BAD_HEAD_SIGNATURE = "bad_head_signature"  # the tree head is not signed by the trusted key
INCONSISTENT = "inconsistent"  # a previous head is not a prefix of the new one
NOT_EXTENDED = "not_extended"  # the new file does not prove that it extends the older one
SHRUNK = "shrunk"  # the new log is smaller than the older one
REMOVED = "removed"  # an entry of the older file is no longer in the new one
CHANGED = "changed"  # an entry of the older file has another content in the new one
REWRITTEN = "rewritten"  # the log changed before the older head, in entries this history does not show
OLD_FILE = "old_file"  # the older file does not verify itself
MALFORMED = "malformed"

_MESSAGES: dict[str, tuple[str, str]] = {
    ALTERED: ("entrée modifiée", "entry altered"),
    BAD_ENTRY_SIGNATURE: ("horodatage signé de l'entrée invalide", "invalid signed entry timestamp"),
    NOT_IN_LOG: ("entrée absente du journal signé", "entry not in the signed log"),
    REORDERED: ("entrées réordonnées", "entries reordered"),
    BEYOND_HEAD: ("entrée postérieure à la tête signée", "entry beyond the signed head"),
    OTHER_PATIENT: ("entrée d'un autre historique", "entry of another history"),
    BAD_HEAD_SIGNATURE: ("signature de la tête du journal invalide", "invalid tree head signature"),
    INCONSISTENT: ("tête précédente incohérente", "previous head inconsistent"),
    NOT_EXTENDED: (
        "le nouveau fichier ne prouve pas qu'il prolonge l'ancien",
        "the new file does not prove that it extends the older one",
    ),
    SHRUNK: ("le journal a rétréci", "the log shrank"),
    REMOVED: ("entrée supprimée depuis l'ancien fichier", "entry removed since the older file"),
    CHANGED: ("entrée modifiée depuis l'ancien fichier", "entry changed since the older file"),
    REWRITTEN: (
        "le journal a été réécrit avant l'ancienne tête",
        "the log was rewritten before the older head",
    ),
    OLD_FILE: ("l'ancien fichier ne se vérifie pas", "the older file does not verify"),
    MALFORMED: ("fichier illisible", "malformed file"),
}


@dataclass(frozen=True)
class Problem:
    """One finding. ``index`` is the leaf index it is about (``None`` when about the whole file);
    ``at`` and ``action`` name the entry (from the older file when the new one lost it)."""

    index: int | None
    problem: str
    detail: str = ""
    at: str = ""
    action: str = ""

    def describe(self) -> str:
        fr, en = _MESSAGES.get(self.problem, (self.problem, self.problem))
        suffix = f" — {self.detail}" if self.detail else ""
        return f"{where(self.index, self.at, self.action)}: {fr} / {en}{suffix}"


def where(index: int | None, at: str = "", action: str = "") -> str:
    if index is None:
        return "fichier / file"
    named = f" ({at}, {action})" if at or action else ""
    return f"entrée / entry {index}{named}"


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    entries: int = 0
    tree_size: int | None = None
    key_id: str = "-"
    previous_heads: int = 0
    since_size: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_changed(self) -> Problem | None:
        """The first changed entry: the lowest leaf index with a problem (``None`` if none is named)."""
        named = [p for p in self.problems if p.index is not None]
        return min(named, key=lambda p: p.index or 0) if named else None

    def lines(self) -> list[str]:
        head = [
            f"Entrées / entries: {self.entries}",
            f"Tête signée / signed head: taille / size {self.tree_size}, clé / key {self.key_id}",
            f"Têtes précédentes vérifiées / previous heads checked: {self.previous_heads}",
        ]
        if self.since_size is not None:
            head.append(f"Depuis l'ancien fichier / since the older file: taille / size {self.since_size}")
        if self.ok:
            return [*head, "RÉSULTAT : historique intègre / RESULT: history verified"]
        lines = [*head, *(p.describe() for p in self.problems)]
        first = self.first_changed
        if first is not None:
            lines.append(
                f"Première entrée modifiée / first changed entry: {where(first.index, first.at, first.action)}"
            )
        count = len(self.problems)
        return [*lines, f"RÉSULTAT : {count} anomalie(s) / RESULT: {count} problem(s) found"]


class MalformedHistory(ValueError):
    """The file is not a history this verifier understands."""


# --------------------------------------------------------------------------------------------------
# The format (shared with the server)
# --------------------------------------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def leaf_text(content: dict[str, Any]) -> str:
    """The leaf of a trace: the canonical JSON of exactly ``LEAF_FIELDS``."""
    return canonical_json({name: content.get(name) for name in LEAF_FIELDS})


def leaf_hash_of(text: str) -> bytes:
    return merkle.leaf_hash(text.encode())


def sct_message(leaf_hash: bytes) -> bytes:
    """What a signed entry timestamp signs: the domain, then the leaf hash (which covers ``at``)."""
    return f"{SCT_DOMAIN}\n{leaf_hash.hex()}\n".encode()


def leaf_index_message(origin: str, index: int, leaf_hash: bytes) -> bytes:
    """What the sequencer signs when it gives a leaf its index (checked by the server, not in files)."""
    return f"{LEAF_INDEX_DOMAIN}\n{origin}\n{index}\n{leaf_hash.hex()}\n".encode()


def head_message(origin: str, size: int, root_hash: bytes, timestamp_ms: int) -> bytes:
    """What a signed tree head signs (text, so that any language rebuilds it byte for byte)."""
    return f"{HEAD_DOMAIN}\n{origin}\n{size}\n{root_hash.hex()}\n{timestamp_ms}\n".encode()


def cosignature_message(witness: str, time_s: int, head: bytes) -> bytes:
    """What a witness signs when it cosigns a head it checked (``witness.py``)."""
    return f"{COSIGNATURE_DOMAIN}\n{witness}\ntime {time_s}\n".encode() + head


def key_id_of(public_key_b64: str) -> str:
    return hashlib.sha256(public_key_b64.encode()).hexdigest()[:16]


def verify_signature(public_key_b64: str, signature_b64: str, message: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64, validate=True))
        key.verify(base64.b64decode(signature_b64, validate=True), message)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def head_message_of(head: dict[str, Any]) -> bytes:
    return head_message(
        str(head["origin"]), int(head["size"]), bytes.fromhex(head["root_hash"]), int(head["timestamp"])
    )


def head_signed_by(head: dict[str, Any], public_key_b64: str) -> bool:
    return verify_signature(public_key_b64, str(head.get("signature", "")), head_message_of(head))


# --------------------------------------------------------------------------------------------------
# The shape of a file
# --------------------------------------------------------------------------------------------------


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise MalformedHistory(message)


def _is_hex32(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 64:
        return False
    try:
        bytes.fromhex(value)
    except ValueError:
        return False
    return True


def check_head(head: Any, name: str) -> None:
    _require(isinstance(head, dict), f"missing '{name}'")
    _require(isinstance(head.get("origin"), str), f"'{name}' has no 'origin'")
    _require(isinstance(head.get("size"), int) and head["size"] >= 0, f"'{name}' has no valid 'size'")
    _require(_is_hex32(head.get("root_hash")), f"'{name}' has no valid 'root_hash'")
    _require(isinstance(head.get("timestamp"), int), f"'{name}' has no valid 'timestamp'")
    _require(isinstance(head.get("signature"), str), f"'{name}' has no 'signature'")


def _check_proof(proof: Any, name: str) -> None:
    _require(isinstance(proof, list) and all(_is_hex32(h) for h in proof), f"{name} is not a list of hashes")


def check_shape(document: Any) -> None:
    _require(isinstance(document, dict), "the file is not a JSON object")
    _require(document.get("format") == FORMAT, f"unknown format (expected {FORMAT!r})")
    _require(isinstance(document.get("patient_id"), int), "missing 'patient_id'")
    check_head(document.get("tree_head"), "tree_head")
    entries = document.get("entries")
    _require(isinstance(entries, list), "missing 'entries'")
    for i, entry in enumerate(entries):
        _require(isinstance(entry, dict), f"entry #{i} is not an object")
        _require(
            isinstance(entry.get("leaf_index"), int) and entry["leaf_index"] >= 0,
            f"entry #{i} has no valid 'leaf_index'",
        )
        _require(isinstance(entry.get("leaf"), str), f"entry #{i} has no 'leaf'")
        sct = entry.get("signed_entry_timestamp")
        _require(
            isinstance(sct, dict) and isinstance(sct.get("signature"), str),
            f"entry #{i} has no 'signed_entry_timestamp'",
        )
        _check_proof(entry.get("inclusion_proof"), f"entry #{i} 'inclusion_proof'")
    previous = document.get("previous_heads", [])
    _require(isinstance(previous, list), "'previous_heads' is not a list")
    for i, item in enumerate(previous):
        _require(isinstance(item, dict), f"previous head #{i} is not an object")
        check_head(item.get("tree_head"), f"previous head #{i}")
        _check_proof(item.get("consistency_proof"), f"previous head #{i} 'consistency_proof'")


# --------------------------------------------------------------------------------------------------
# Verification of one file, then of a newer file against an older one
# --------------------------------------------------------------------------------------------------


def _content(entry: dict[str, Any]) -> dict[str, Any] | None:
    try:
        content = json.loads(entry["leaf"])
    except json.JSONDecodeError:
        return None
    return content if isinstance(content, dict) else None


def entry_names(entry: dict[str, Any]) -> tuple[str, str]:
    """(date, action) of an entry as written in its leaf, for the report."""
    content = _content(entry) or {}
    return str(content.get("at", "")), str(content.get("action", ""))


def _verify_entries(document: dict[str, Any], key: str, problems: list[Problem]) -> None:
    head = document["tree_head"]
    size, root = int(head["size"]), bytes.fromhex(head["root_hash"])
    previous = -1
    for entry in document["entries"]:
        index = int(entry["leaf_index"])
        at, action = entry_names(entry)

        def report(
            kind: str, detail: str = "", index: int = index, at: str = at, action: str = action
        ) -> None:
            problems.append(Problem(index, kind, detail, at, action))

        if index <= previous:
            report(REORDERED, f"après / after {previous}")
        previous = max(previous, index)
        content = _content(entry)
        digest = leaf_hash_of(entry["leaf"])
        if content is None:
            report(ALTERED, "contenu illisible / unreadable content")
            continue
        if content.get("patient_id") != document["patient_id"]:
            report(OTHER_PATIENT)
        given = entry.get("leaf_hash")
        if given is not None and given != digest.hex():
            report(ALTERED, "empreinte recalculée différente / leaf hash mismatch")
            continue
        sct = entry["signed_entry_timestamp"]
        if not verify_signature(key, str(sct.get("signature", "")), sct_message(digest)):
            report(ALTERED, "ne correspond plus à ce que Carnet a signé / no longer what Carnet signed")
            continue
        if index >= size:
            report(BEYOND_HEAD, f"taille / size {size}")
            continue
        proof = [bytes.fromhex(h) for h in entry["inclusion_proof"]]
        if not merkle.verify_inclusion(index, size, digest, proof, root):
            report(NOT_IN_LOG, "preuve d'inclusion invalide / invalid inclusion proof")


def _verify_previous_heads(document: dict[str, Any], key: str, problems: list[Problem]) -> int:
    head = document["tree_head"]
    size, root = int(head["size"]), bytes.fromhex(head["root_hash"])
    checked = 0
    for item in document.get("previous_heads", []):
        old = item["tree_head"]
        old_size = int(old["size"])
        if not head_signed_by(old, key):
            problems.append(Problem(None, INCONSISTENT, f"taille / size {old_size}: signature"))
            continue
        proof = [bytes.fromhex(h) for h in item["consistency_proof"]]
        if old_size > size or not merkle.verify_consistency(
            old_size, size, bytes.fromhex(old["root_hash"]), root, proof
        ):
            problems.append(Problem(None, INCONSISTENT, f"taille / size {old_size}"))
            continue
        checked += 1
    return checked


def verify_document(document: Any, *, public_key_b64: str) -> Report:
    """Verify a parsed history file against a **trusted** public key (never the file's own).

    Raises ``MalformedHistory`` when the file is not a history at all, ``ValueError`` without a key.
    """
    if not public_key_b64:
        raise ValueError("a trusted public key is required")
    check_shape(document)
    head = document["tree_head"]
    report = Report(
        entries=len(document["entries"]), tree_size=int(head["size"]), key_id=key_id_of(public_key_b64)
    )
    if head.get("origin") != document.get("origin", head.get("origin")):
        report.problems.append(Problem(None, BAD_HEAD_SIGNATURE, "autre journal / other log"))
    if not head_signed_by(head, public_key_b64):
        detail = ""
        if head.get("key_id") and head.get("key_id") != report.key_id:
            detail = f"signée par la clé / signed by key {head.get('key_id')}"
        report.problems.append(Problem(None, BAD_HEAD_SIGNATURE, detail))
    _verify_entries(document, public_key_b64, report.problems)
    report.previous_heads = _verify_previous_heads(document, public_key_b64, report.problems)
    return report


def _same_head(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(a.get(k) == b.get(k) for k in ("origin", "size", "root_hash", "timestamp", "signature"))


def verify_since(new: Any, old: Any, *, public_key_b64: str) -> Report:
    """Verify ``new`` and that it extends ``old`` (an earlier download of the same history).

    ``new`` must carry ``old``'s head among its previous heads with a consistency proof (the server
    records every head it gives, ADR 0007); when it does not, or when the proof fails, the entries of
    both files are compared to name the first one that changed.
    """
    report = verify_document(new, public_key_b64=public_key_b64)
    try:
        old_report = verify_document(old, public_key_b64=public_key_b64)
    except MalformedHistory as exc:
        raise MalformedHistory(f"older file: {exc}") from exc
    for p in old_report.problems:
        report.problems.append(Problem(p.index, OLD_FILE, f"{p.problem} {p.detail}".strip(), p.at, p.action))
    old_head, new_head = old["tree_head"], new["tree_head"]
    old_size = int(old_head["size"])
    report.since_size = old_size
    if old["patient_id"] != new["patient_id"] or old_head.get("origin") != new_head.get("origin"):
        report.problems.append(Problem(None, NOT_EXTENDED, "autre historique / another history"))
        return report
    if old_size > int(new_head["size"]):
        report.problems.append(Problem(None, SHRUNK, f"{old_size} → {new_head['size']}"))
    consistent = proof_failed = False
    if _same_head(old_head, new_head):
        consistent = True
    else:
        carried = [i for i in new.get("previous_heads", []) if _same_head(i["tree_head"], old_head)]
        if carried:
            proof = [bytes.fromhex(h) for h in carried[0]["consistency_proof"]]
            consistent = merkle.verify_consistency(
                old_size,
                int(new_head["size"]),
                bytes.fromhex(old_head["root_hash"]),
                bytes.fromhex(new_head["root_hash"]),
                proof,
            )
            if not consistent:
                proof_failed = True
                report.problems.append(Problem(None, INCONSISTENT, f"taille / size {old_size}"))
        else:
            report.problems.append(Problem(None, NOT_EXTENDED))
    named = _compare_entries(new, old, old_size, report.problems)
    if proof_failed and not named:  # the log changed, but in entries this history does not show
        report.problems.append(Problem(None, REWRITTEN))
    return report


def _compare_entries(
    new: dict[str, Any], old: dict[str, Any], old_size: int, problems: list[Problem]
) -> bool:
    """Name every entry of ``old`` (covered by its head) that ``new`` lost or changed; True if any."""
    new_by_index = {int(e["leaf_index"]): e for e in new["entries"]}
    found = False
    for entry in sorted(old["entries"], key=lambda e: int(e["leaf_index"])):
        index = int(entry["leaf_index"])
        if index >= old_size:
            continue
        at, action = entry_names(entry)
        other = new_by_index.get(index)
        if other is None:
            problems.append(Problem(index, REMOVED, "", at, action))
            found = True
        elif leaf_hash_of(other["leaf"]) != leaf_hash_of(entry["leaf"]):
            new_at, new_action = entry_names(other)
            detail = (
                f"maintenant / now: {new_at}, {new_action}" if (new_at, new_action) != (at, action) else ""
            )
            problems.append(Problem(index, CHANGED, detail, at, action))
            found = True
    return found


# --------------------------------------------------------------------------------------------------
# Files and command line (no Django needed)
# --------------------------------------------------------------------------------------------------

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_UNREADABLE = 2

NO_TRUSTED_KEY = (
    "clé publique de confiance requise (--public-key ou --public-key-file, obtenue auprès de Carnet par un "
    "autre canal) : la clé contenue dans le fichier ne prouve rien / a trusted public key is required "
    "(--public-key or --public-key-file, obtained from Carnet through another channel): the key inside the "
    "file proves nothing"
)


def load(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedHistory(str(exc)) from exc


def read_public_key(*, value: str | None, path: str | None) -> str | None:
    """The trusted key from ``--public-key`` or ``--public-key-file`` (first non-comment line)."""
    if value:
        return value.strip()
    if path:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip() and not line.lstrip().startswith("#"):
                    return line.strip()
    return None


def _valid_key(key: str) -> bool:
    try:
        return len(base64.b64decode(key, validate=True)) == 32
    except (ValueError, binascii.Error):
        return False


def run(
    path: str,
    *,
    since: str | None,
    public_key: str | None,
    public_key_file: str | None,
    write: Callable[[str], Any],
) -> int:
    """Verify ``path`` (and that it extends ``since``); write the report line by line; return the exit code."""
    try:
        key = read_public_key(value=public_key, path=public_key_file)
    except OSError as exc:
        write(f"{NO_TRUSTED_KEY} ({exc})")
        return EXIT_UNREADABLE
    if not key or not _valid_key(key):
        write(NO_TRUSTED_KEY)
        return EXIT_UNREADABLE
    try:
        new = load(path)
        report = (
            verify_since(new, load(since), public_key_b64=key)
            if since
            else verify_document(new, public_key_b64=key)
        )
    except MalformedHistory as exc:
        write(f"{_MESSAGES[MALFORMED][0]} / {_MESSAGES[MALFORMED][1]}: {exc}")
        return EXIT_UNREADABLE
    for line in report.lines():
        write(line)
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def build_parser(prog: str = "carnet verify-history") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Vérifie hors ligne un historique Carnet téléchargé / verify a downloaded Carnet history.",
    )
    parser.add_argument("file", help="historique .json / the downloaded history")
    parser.add_argument("--since", default=None, help="un historique téléchargé plus tôt / an older download")
    parser.add_argument(
        "--public-key", default=None, help="clé publique de Carnet (base64) / Carnet's public key"
    )
    parser.add_argument(
        "--public-key-file", default=None, help="fichier contenant cette clé / a file holding it"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser("python -m carnet.audit.verify").parse_args(argv)
    return run(
        args.file,
        since=args.since,
        public_key=args.public_key,
        public_key_file=args.public_key_file,
        write=print,
    )


if __name__ == "__main__":
    sys.exit(main())
