"""Tampered history files, shared by the command-line tests (``test_verify.py``) and the browser test of
the HTML verifier (``tests/e2e/test_history_verifier.py``): both must find exactly the same problems.

Each case is what someone trying to break the promise would hand the verifier: an edited file, a file
re-signed with his own key, a newer download from a server whose log was rewritten, etc.
"""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from carnet.audit.export import history_export
from carnet.audit.verify import head_message_of, leaf_hash_of, sct_message
from carnet.common.actors import Actor, ActorKind

from .conftest import add_trace, other_patients_traces

PATIENT = 42
HOLDER = Actor(ActorKind.PATIENT, "holder-public-id", label="Claire MARTIN")

Finding = tuple[int | None, str]


@dataclass
class Case:
    name: str
    new: dict[str, Any]
    old: dict[str, Any] | None = None
    expected: set[Finding] = field(default_factory=set)
    first_changed: int | None = None  # the leaf index the report must name first


def download(n: int = 4) -> dict[str, Any]:
    """``n`` consultations of the patient, interleaved with other patients' entries, then a download."""
    for i in range(n):
        add_trace(PATIENT, action="CONSULT", group="documents", object_type="document", object_id=f"doc-{i}")
        other_patients_traces(1, first_patient=900 + i)
    return history_export(actor=HOLDER, patient_id=PATIENT, hidden_object_ids=set())


def two_downloads(clock: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    old = download()
    clock.advance(days=3)
    new = download(2)
    return old, new


def _resign_all(document: dict[str, Any], key: Ed25519PrivateKey) -> None:
    for entry in document["entries"]:
        digest = leaf_hash_of(entry["leaf"])
        entry["signed_entry_timestamp"]["signature"] = base64.b64encode(
            key.sign(sct_message(digest))
        ).decode()
    head = document["tree_head"]
    head["signature"] = base64.b64encode(key.sign(head_message_of(head))).decode()
    document["public_key"] = base64.b64encode(
        key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    ).decode()


def _edit_leaf(entry: dict[str, Any], **changes: Any) -> None:
    content = json.loads(entry["leaf"])
    content.update(changes)
    entry["leaf"] = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def cases(clock: Any) -> list[Case]:
    """Every tampered file, with the problems both verifiers must report. Needs the database."""
    old, new = two_downloads(clock)
    index = [e["leaf_index"] for e in new["entries"]]
    out = [
        Case("clean", copy.deepcopy(new)),
        Case("clean since older", copy.deepcopy(new), copy.deepcopy(old)),
    ]

    doc = copy.deepcopy(new)
    _edit_leaf(doc["entries"][1], action="DOWNLOAD")
    out.append(Case("edited field", doc, None, {(index[1], "altered")}, index[1]))

    doc = copy.deepcopy(new)
    _edit_leaf(doc["entries"][2], actor_label="Quelqu'un d'autre")
    doc["entries"][2]["leaf_hash"] = leaf_hash_of(doc["entries"][2]["leaf"]).hex()
    out.append(Case("edited field with recomputed leaf hash", doc, None, {(index[2], "altered")}, index[2]))

    doc = copy.deepcopy(new)
    entries = doc["entries"]
    entries[1], entries[2] = entries[2], entries[1]
    out.append(Case("two entries swapped in the file", doc, None, {(index[1], "reordered")}, index[1]))

    doc = copy.deepcopy(new)
    entries = doc["entries"]
    entries[1]["leaf_index"], entries[2]["leaf_index"] = entries[2]["leaf_index"], entries[1]["leaf_index"]
    entries[1], entries[2] = entries[2], entries[1]
    out.append(
        Case(
            "two entries given each other's place",
            doc,
            None,
            {(index[1], "not_in_log"), (index[2], "not_in_log")},
            index[1],
        )
    )

    doc = copy.deepcopy(new)
    forged = Ed25519PrivateKey.generate()
    doc["tree_head"]["signature"] = base64.b64encode(forged.sign(head_message_of(doc["tree_head"]))).decode()
    out.append(Case("forged head signature", doc, None, {(None, "bad_head_signature")}))

    doc = copy.deepcopy(new)
    _edit_leaf(doc["entries"][0], action="DOWNLOAD")
    doc["entries"][0]["leaf_hash"] = leaf_hash_of(doc["entries"][0]["leaf"]).hex()
    _resign_all(doc, Ed25519PrivateKey.generate())
    expected = {(None, "bad_head_signature")} | {(i, "altered") for i in index}
    out.append(Case("re-signed with another key", doc, None, expected, index[0]))

    doc = copy.deepcopy(new)
    extra = copy.deepcopy(doc["entries"][-1])
    extra["leaf_index"] = doc["tree_head"]["size"]
    doc["entries"].append(extra)
    out.append(
        Case(
            "entry appended beyond the head",
            doc,
            None,
            {(doc["tree_head"]["size"], "beyond_head")},
            doc["tree_head"]["size"],
        )
    )

    doc = copy.deepcopy(new)
    doc["previous_heads"][0]["tree_head"]["root_hash"] = "ab" * 32
    out.append(Case("previous head rewritten", doc, None, {(None, "inconsistent")}))

    doc = copy.deepcopy(new)
    removed = doc["entries"].pop(1)
    out.append(Case("entry removed, alone", doc))  # a missing leaf is like another patient's: only OLD tells
    out.append(
        Case(
            "entry removed, since older",
            doc,
            copy.deepcopy(old),
            {(removed["leaf_index"], "removed")},
            removed["leaf_index"],
        )
    )

    doc = copy.deepcopy(new)
    doc["previous_heads"] = []
    out.append(Case("older head not carried", doc, copy.deepcopy(old), {(None, "not_extended")}))

    doc = copy.deepcopy(new)
    del doc["tree_head"]
    out.append(Case("no head", doc, None, {(None, "malformed")}))
    return out
