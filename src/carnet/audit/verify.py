"""Offline verification of a downloaded history (ARCHITECTURE invariant 3, SPEC R-TR-2/R-TR-3).

This module is importable **without Django** (it only uses ``hashlib``, ``json`` and ``cryptography``),
so a patient, a lawyer or an auditor can check a history file with the file alone::

    python -m carnet.audit.verify historique.json [--public-key BASE64]
    carnet verify-history historique.json [--public-key BASE64]      # same code, through Django

The server uses the very same functions to build the chain (``content_hash``, ``link_hash``,
``checkpoint_message``), so the two can never disagree on the format.

Chain format (``carnet-history/1``)
-----------------------------------
* ``content_hash = SHA-256(canonical JSON of the entry's fields)`` (sorted keys, no spaces, UTF-8);
* ``hash = SHA-256(prev_hash ‖ content_hash)`` (hex strings concatenated), ``prev_hash`` of entry 1 is
  64 zeros;
* a checkpoint signs ``carnet-checkpoint|<chain>|<seq>|<head_hash>`` with Ed25519.

An entry hidden from the viewer (R-MASK-6, R-MIN-5) is *redacted* in the file: it keeps only ``seq``,
``prev_hash``, ``content_hash`` and ``hash``. Its content cannot be re-hashed, but its link can:
``hash = SHA-256(prev_hash ‖ content_hash)`` still binds it to its neighbours, so removing, altering or
reordering entries around it is caught exactly as elsewhere, and nothing about it (time, author, object)
is revealed.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import itertools
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

FORMAT = "carnet-history/1"
GENESIS = "0" * 64

#: The fields of an entry covered by ``content_hash`` (the server's ``trace_fields``).
CONTENT_FIELDS: tuple[str, ...] = (
    "chain",
    "seq",
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
)
LINK_FIELDS: tuple[str, ...] = ("prev_hash", "content_hash", "hash")

# Problem kinds (stable codes, also used by ``carnet.audit.selectors.chain_verify``).
ALTERED = "altered"  # the entry's content or hash does not match what it claims
MISSING = "missing"  # a gap in the sequence: entries were removed
REORDERED = "reordered"  # entries out of order, or linked to another entry than their predecessor
BROKEN_LINK = "broken_link"  # prev_hash points to no entry we know of
APPENDED = "appended"  # an entry after the signed checkpoint (not covered by the proof)
CHECKPOINT_MISMATCH = "checkpoint_mismatch"  # the entry at the checkpoint is not the signed head
BAD_SIGNATURE = "bad_signature"  # the checkpoint's signature does not verify with the key
NO_CHECKPOINT = "no_checkpoint"  # nothing signed: the file proves nothing
MALFORMED = "malformed"  # the file cannot be read as a history

_MESSAGES: dict[str, tuple[str, str]] = {
    ALTERED: ("entrée modifiée", "entry altered"),
    MISSING: ("entrée(s) supprimée(s)", "entry/entries removed"),
    REORDERED: ("entrées réordonnées", "entries reordered"),
    BROKEN_LINK: ("chaînage rompu", "broken link"),
    APPENDED: (
        "entrée ajoutée après le point de contrôle signé",
        "entry appended after the signed checkpoint",
    ),
    CHECKPOINT_MISMATCH: (
        "l'entrée ne correspond pas à la tête signée",
        "entry does not match the signed head",
    ),
    BAD_SIGNATURE: ("signature du point de contrôle invalide", "invalid checkpoint signature"),
    NO_CHECKPOINT: ("aucun point de contrôle signé", "no signed checkpoint"),
    MALFORMED: ("fichier illisible", "malformed file"),
}


@dataclass(frozen=True)
class Problem:
    """One finding. ``seq`` is the sequence number it is about (0 when it is about the whole file)."""

    seq: int
    problem: str
    detail: str = ""

    def describe(self) -> str:
        fr, en = _MESSAGES.get(self.problem, (self.problem, self.problem))
        where = f"seq {self.seq}" if self.seq else "fichier / file"
        suffix = f" — {self.detail}" if self.detail else ""
        return f"{where}: {fr} / {en}{suffix}"


@dataclass(frozen=True)
class Report:
    problems: tuple[Problem, ...]
    entries: int
    redacted: int
    checkpoint_seq: int | None
    key_id: str

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        head = [
            f"Entrées / entries: {self.entries} (masquées / redacted: {self.redacted})",
            f"Point de contrôle signé / signed checkpoint: seq {self.checkpoint_seq}, clé / key {self.key_id}",
        ]
        if self.ok:
            return [*head, "RÉSULTAT : historique intègre / RESULT: history verified"]
        return [
            *head,
            *(p.describe() for p in self.problems),
            f"RÉSULTAT : {len(self.problems)} anomalie(s) / RESULT: {len(self.problems)} problem(s) found",
        ]


class MalformedHistory(ValueError):
    """The file is not a history this verifier understands."""


# --------------------------------------------------------------------------------------------------
# The chain format (shared with the server)
# --------------------------------------------------------------------------------------------------


def canonical_json(fields: dict[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(fields: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of an entry's content fields."""
    return hashlib.sha256(canonical_json(fields).encode()).hexdigest()


def link_from_content_hash(prev_hash: str, digest: str) -> str:
    return hashlib.sha256((prev_hash + digest).encode()).hexdigest()


def link_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """``SHA-256(prev_hash ‖ content_hash(fields))``: the hash of one link of a chain."""
    return link_from_content_hash(prev_hash, content_hash(fields))


def checkpoint_message(chain: str, seq: int, head_hash: str) -> bytes:
    return f"carnet-checkpoint|{chain}|{seq}|{head_hash}".encode()


def key_id_of(public_key_b64: str) -> str:
    return hashlib.sha256(public_key_b64.encode()).hexdigest()[:16]


def content_of(entry: dict[str, Any]) -> dict[str, Any]:
    return {name: entry.get(name) for name in CONTENT_FIELDS}


# --------------------------------------------------------------------------------------------------
# Verification of a sequence of entries (used on files and, by chain_verify, on the database)
# --------------------------------------------------------------------------------------------------


def verify_entries(entries: Sequence[dict[str, Any]]) -> list[Problem]:
    """Recompute every link of ``entries`` (in the order given) and pinpoint what is wrong.

    Each entry has ``seq``, ``prev_hash``, ``hash`` and either its content fields (then ``content_hash``
    is recomputed, and compared with the one given, if any) or ``redacted: true`` with ``content_hash``.
    """
    problems: list[Problem] = []
    hash_to_seq = {str(e.get("hash")): int(e["seq"]) for e in entries}

    # 1. Order as given: sequence numbers must strictly increase.
    for before, after in itertools.pairwise(entries):
        if int(after["seq"]) <= int(before["seq"]):
            problems.append(
                Problem(int(after["seq"]), REORDERED, f"seq {after['seq']} après / after seq {before['seq']}")
            )

    # 2. Links, in sequence order.
    expected_prev = GENESIS
    prev_seq = 0
    for entry in sorted(entries, key=lambda e: int(e["seq"])):
        seq = int(entry["seq"])
        if seq == prev_seq:
            problems.append(Problem(seq, REORDERED, "numéro en double / duplicate seq"))
            continue
        gap = seq != prev_seq + 1
        if gap:
            missing = f"{prev_seq + 1}" if seq == prev_seq + 2 else f"{prev_seq + 1}–{seq - 1}"
            problems.append(
                Problem(
                    prev_seq + 1,
                    MISSING,
                    f"absentes / missing: {missing} (entre / between {prev_seq} et {seq})",
                )
            )
        prev_hash = str(entry.get("prev_hash", ""))
        if entry.get("redacted"):
            digest = str(entry.get("content_hash", ""))
            content_ok = True
        else:
            digest = content_hash(content_of(entry))
            given = entry.get("content_hash")
            content_ok = given is None or given == digest
        linked_ok = link_from_content_hash(prev_hash, digest) == entry.get("hash")
        other = hash_to_seq.get(prev_hash)
        if not gap and prev_hash != expected_prev and other is not None and other != seq:
            problems.append(Problem(seq, REORDERED, f"chaînée à la seq {other} / linked to seq {other}"))
        elif not content_ok or not linked_ok:
            problems.append(Problem(seq, ALTERED, "empreinte recalculée différente / hash mismatch"))
        elif not gap and prev_hash != expected_prev:
            problems.append(
                Problem(
                    seq,
                    BROKEN_LINK,
                    f"prev_hash ne pointe pas vers la seq {prev_seq} / prev_hash does not point to seq {prev_seq}",
                )
            )
        expected_prev = str(entry.get("hash", ""))
        prev_seq = seq
    return problems


# --------------------------------------------------------------------------------------------------
# Verification of a whole downloaded file
# --------------------------------------------------------------------------------------------------


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise MalformedHistory(message)


def _check_shape(document: Any) -> None:
    _require(isinstance(document, dict), "the file is not a JSON object")
    _require(document.get("format") == FORMAT, f"unknown format (expected {FORMAT!r})")
    _require(isinstance(document.get("chain"), str), "missing 'chain'")
    entries = document.get("entries")
    _require(isinstance(entries, list), "missing 'entries'")
    for i, entry in enumerate(entries):
        _require(isinstance(entry, dict), f"entry #{i} is not an object")
        _require(isinstance(entry.get("seq"), int) and entry["seq"] > 0, f"entry #{i} has no valid 'seq'")
        for name in ("prev_hash", "hash"):
            _require(isinstance(entry.get(name), str), f"entry #{i} has no '{name}'")
        if entry.get("redacted"):
            _require(isinstance(entry.get("content_hash"), str), f"redacted entry #{i} has no 'content_hash'")


def _verify_signature(public_key_b64: str, signature_b64: str, message: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64, validate=True))
        key.verify(base64.b64decode(signature_b64, validate=True), message)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def verify_document(document: Any, *, public_key_b64: str | None = None) -> Report:
    """Verify a parsed history file. ``public_key_b64`` (trusted, e.g. published by the operator)
    overrides the key embedded in the file; without it the embedded key is used.

    Raises ``MalformedHistory`` when the file is not a history at all.
    """
    _check_shape(document)
    chain: str = document["chain"]
    entries: list[dict[str, Any]] = document["entries"]
    problems = verify_entries(entries)
    for entry in entries:
        if not entry.get("redacted") and entry.get("chain") != chain:
            problems.append(Problem(int(entry["seq"]), ALTERED, "chaîne différente / other chain"))

    key = public_key_b64 or str(document.get("public_key") or "")
    checkpoint = document.get("checkpoint")
    checkpoint_seq: int | None = None
    if not isinstance(checkpoint, dict):
        problems.append(Problem(0, NO_CHECKPOINT))
    else:
        checkpoint_seq = int(checkpoint.get("seq") or 0)
        head_hash = str(checkpoint.get("head_hash", ""))
        message = checkpoint_message(str(checkpoint.get("chain", "")), checkpoint_seq, head_hash)
        if checkpoint.get("chain") != chain:
            problems.append(Problem(checkpoint_seq, BAD_SIGNATURE, "autre chaîne / other chain"))
        elif not key or not _verify_signature(key, str(checkpoint.get("signature", "")), message):
            problems.append(Problem(checkpoint_seq, BAD_SIGNATURE))
        by_seq = {int(e["seq"]): e for e in entries}
        head = by_seq.get(checkpoint_seq)
        if head is None:
            problems.append(
                Problem(checkpoint_seq, MISSING, "l'entrée signée est absente / the signed entry is missing")
            )
        elif head.get("hash") != head_hash:
            problems.append(Problem(checkpoint_seq, CHECKPOINT_MISMATCH))
        problems.extend(Problem(seq, APPENDED) for seq in sorted(s for s in by_seq if s > checkpoint_seq))
    return Report(
        problems=tuple(_dedupe(problems)),
        entries=len(entries),
        redacted=sum(1 for e in entries if e.get("redacted")),
        checkpoint_seq=checkpoint_seq,
        key_id=key_id_of(key) if key else "-",
    )


def _dedupe(problems: Iterable[Problem]) -> list[Problem]:
    seen: set[tuple[int, str]] = set()
    out: list[Problem] = []
    for p in problems:
        if (p.seq, p.problem) not in seen:
            seen.add((p.seq, p.problem))
            out.append(p)
    return out


def verify_file(path: str, *, public_key_b64: str | None = None) -> Report:
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedHistory(str(exc)) from exc
    return verify_document(document, public_key_b64=public_key_b64)


# --------------------------------------------------------------------------------------------------
# Command line (no Django needed)
# --------------------------------------------------------------------------------------------------

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_UNREADABLE = 2


def run(path: str, public_key_b64: str | None, write: Any) -> int:
    """Verify ``path``, write the report line by line with ``write``; return the exit code."""
    try:
        report = verify_file(path, public_key_b64=public_key_b64)
    except MalformedHistory as exc:
        write(f"{_MESSAGES[MALFORMED][0]} / {_MESSAGES[MALFORMED][1]}: {exc}")
        return EXIT_UNREADABLE
    for line in report.lines():
        write(line)
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="carnet verify-history",
        description="Vérifie hors ligne un historique Carnet téléchargé / verify a downloaded Carnet history.",
    )
    parser.add_argument("file", help="historique .json")
    parser.add_argument("--public-key", default=None, help="clé publique Ed25519 de confiance (base64)")
    args = parser.parse_args(argv)
    return run(args.file, args.public_key, print)


if __name__ == "__main__":
    sys.exit(main())
