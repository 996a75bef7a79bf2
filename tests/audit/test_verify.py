"""The downloaded history and its offline verification (invariant 3; R-TR-2, R-MASK-6, R-MIN-5).

Every tamper on the file is caught and pinpointed with the right seq; the command's exit codes; the
verifier runs without Django.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.management import call_command

from carnet.audit.services import history_export
from carnet.audit.verify import content_hash, content_of, link_hash, verify_document
from carnet.common.actors import Actor, ActorKind

from .conftest import add_trace

pytestmark = pytest.mark.django_db

PATIENT = 42
HOLDER = Actor(ActorKind.PATIENT, "holder-public-id", label="Claire MARTIN")
HIDDEN_DOC = "0b9f3c1e-hidden-doc"


def _download(hidden: set[str] | None = None, n: int = 5) -> dict[str, Any]:
    for i in range(n):
        add_trace(PATIENT, action="CONSULT", group="documents", object_type="document", object_id=f"doc-{i}")
    return history_export(actor=HOLDER, patient_id=PATIENT, hidden_object_ids=hidden or set())


def _problems(document: dict[str, Any], **kwargs: Any) -> set[tuple[int, str]]:
    return {(p.seq, p.problem) for p in verify_document(document, **kwargs).problems}


def _write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "historique.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_a_clean_download_verifies(clock) -> None:  # type: ignore[no-untyped-def]
    document = _download()
    report = verify_document(document)
    assert report.ok, report.lines()
    assert report.entries == 6 and report.checkpoint_seq == 6  # 5 consults + the download itself


def test_the_download_is_traced_and_covered_by_the_checkpoint(clock) -> None:  # type: ignore[no-untyped-def]
    document = _download()
    last = document["entries"][-1]
    assert last["action"] == "HISTORY_DOWNLOADED" and last["actor_kind"] == "PATIENT"
    assert document["checkpoint"]["seq"] == last["seq"]
    assert document["checkpoint"]["head_hash"] == last["hash"]


def test_an_edited_field_is_pinpointed(clock) -> None:  # type: ignore[no-untyped-def]
    document = _download()
    document["entries"][2]["actor_label"] = "Quelqu'un d'autre"
    assert _problems(document) == {(3, "altered")}


def test_an_edited_field_with_recomputed_hashes_is_caught_by_the_signed_checkpoint(clock) -> None:  # type: ignore[no-untyped-def]
    """An attacker who rehashes the whole chain after his edit still cannot forge the signed head."""
    document = _download()
    entries = document["entries"]
    entries[2]["action"] = "DOWNLOAD"
    prev = entries[1]["hash"]
    for entry in entries[2:]:
        entry["prev_hash"] = prev
        entry["content_hash"] = content_hash(content_of(entry))
        entry["hash"] = link_hash(prev, content_of(entry))
        prev = entry["hash"]
    assert _problems(document) == {(6, "checkpoint_mismatch")}


def test_a_removed_entry_is_pinpointed(clock) -> None:  # type: ignore[no-untyped-def]
    document = _download()
    del document["entries"][1]
    assert _problems(document) == {(2, "missing")}


def test_a_removed_last_entry_is_pinpointed(clock) -> None:  # type: ignore[no-untyped-def]
    document = _download()
    document["entries"].pop()
    assert _problems(document) == {(6, "missing")}


def test_two_reordered_entries_are_pinpointed(clock) -> None:  # type: ignore[no-untyped-def]
    document = _download()
    entries = document["entries"]
    entries[2], entries[3] = entries[3], entries[2]
    assert _problems(document) == {(3, "reordered")}


def test_two_entries_with_swapped_seq_numbers_are_pinpointed(clock) -> None:  # type: ignore[no-untyped-def]
    document = _download()
    entries = document["entries"]
    entries[2], entries[3] = entries[3], entries[2]
    entries[2]["seq"], entries[3]["seq"] = 3, 4
    problems = _problems(document)
    assert {(3, "reordered"), (4, "reordered")} <= problems


def test_a_forged_checkpoint_signature_is_caught(clock) -> None:  # type: ignore[no-untyped-def]
    document = _download()
    forged = Ed25519PrivateKey.generate().sign(b"carnet-checkpoint|p:42|6|" + b"0" * 64)
    document["checkpoint"]["signature"] = base64.b64encode(forged).decode()
    assert _problems(document) == {(6, "bad_signature")}


def test_a_file_re_signed_with_another_key_fails_against_the_trusted_key(clock) -> None:  # type: ignore[no-untyped-def]
    """The embedded key is self-asserted: ``--public-key`` with the operator's published key settles it."""
    document = _download()
    trusted = document["public_key"]
    impostor = Ed25519PrivateKey.generate()
    cp = document["checkpoint"]
    message = f"carnet-checkpoint|{cp['chain']}|{cp['seq']}|{cp['head_hash']}".encode()
    cp["signature"] = base64.b64encode(impostor.sign(message)).decode()
    document["public_key"] = base64.b64encode(
        impostor.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    ).decode()
    assert verify_document(document).ok  # consistent with itself...
    assert _problems(document, public_key_b64=trusted) == {(6, "bad_signature")}  # ...not with Carnet's key


def test_an_entry_appended_after_the_checkpoint_is_pinpointed(clock) -> None:  # type: ignore[no-untyped-def]
    document = _download()
    last = document["entries"][-1]
    extra = {**copy.deepcopy(last), "seq": last["seq"] + 1, "action": "CONSULT", "prev_hash": last["hash"]}
    extra["content_hash"] = content_hash(content_of(extra))
    extra["hash"] = link_hash(last["hash"], content_of(extra))
    document["entries"].append(extra)
    assert _problems(document) == {(7, "appended")}


def test_a_file_without_checkpoint_is_not_verified(clock) -> None:  # type: ignore[no-untyped-def]
    document = _download()
    del document["checkpoint"]
    assert _problems(document) == {(0, "no_checkpoint")}


# --- redacted entries (R-MASK-6, R-MIN-5) ----------------------------------------------------------


def _download_with_hidden(clock: Any) -> dict[str, Any]:
    add_trace(PATIENT, action="CONSULT", group="documents", object_type="document", object_id="doc-a")
    add_trace(
        PATIENT,
        action="DEPOSIT",
        group="documents",
        object_type="document",
        object_id=HIDDEN_DOC,
        details={"title": "Compte rendu d'annonce"},
    )
    add_trace(PATIENT, action="CONSULT", group="documents", object_type="document", object_id="doc-b")
    return history_export(actor=HOLDER, patient_id=PATIENT, hidden_object_ids={HIDDEN_DOC})


def test_a_hidden_document_s_entry_is_redacted_and_reveals_nothing(clock) -> None:  # type: ignore[no-untyped-def]
    document = _download_with_hidden(clock)
    redacted = document["entries"][1]
    assert redacted["redacted"] is True
    assert set(redacted) == {"seq", "redacted", "prev_hash", "content_hash", "hash"}
    text = json.dumps(document, ensure_ascii=False)
    assert HIDDEN_DOC not in text and "Compte rendu" not in text and "DEPOSIT" not in text


def test_a_history_with_redacted_entries_still_verifies(clock) -> None:  # type: ignore[no-untyped-def]
    document = _download_with_hidden(clock)
    report = verify_document(document)
    assert report.ok, report.lines()
    assert report.redacted == 1


def test_an_edit_next_to_a_redacted_entry_is_still_caught(clock) -> None:  # type: ignore[no-untyped-def]
    """The redacted entry's hash binds its prev_hash, so the entry before it cannot be swapped silently."""
    document = _download_with_hidden(clock)
    entries = document["entries"]
    entries[0]["actor_label"] = "Autre"
    entries[0]["content_hash"] = content_hash(content_of(entries[0]))
    entries[0]["hash"] = link_hash(entries[0]["prev_hash"], content_of(entries[0]))
    entries[1]["prev_hash"] = entries[0]["hash"]  # the attacker re-links the redacted entry too
    assert _problems(document) == {(2, "altered")}


def test_a_removed_redacted_entry_is_pinpointed(clock) -> None:  # type: ignore[no-untyped-def]
    document = _download_with_hidden(clock)
    del document["entries"][1]
    assert _problems(document) == {(2, "missing")}


# --- the command --------------------------------------------------------------------------------------


def test_the_command_exits_0_on_a_clean_file(clock, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, _download())
    call_command("verify_history", str(path))
    assert "historique intègre" in capsys.readouterr().out


def test_the_command_exits_1_and_names_the_seq_of_a_tampered_entry(clock, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    document = _download()
    document["entries"][3]["reason"] = "forged"
    path = _write(tmp_path, document)
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_history", str(path))
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert "seq 4: entrée modifiée / entry altered" in out


def test_the_command_exits_1_with_a_wrong_trusted_key(clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, _download())
    other = base64.b64encode(
        Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    ).decode()
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_history", str(path), public_key=other)
    assert exit_info.value.code == 1


def test_the_command_exits_2_on_an_unreadable_file(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "historique.json"
    path.write_text("{ not json", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_history", str(path))
    assert exit_info.value.code == 2
    assert "fichier illisible" in capsys.readouterr().out


def test_the_verifier_runs_with_the_file_alone_without_django(clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Offline: a fresh interpreter, no settings, no database, imports no Django at all."""
    document = _download()
    good = _write(tmp_path, document)
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "CARNET"))}
    env["PYTHONPATH"] = src
    script = (
        "import sys; from carnet.audit.verify import main; code = main(sys.argv[1:]); "
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), 'django imported'; "
        "sys.exit(code)"
    )
    ok = subprocess.run([sys.executable, "-c", script, str(good)], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    document["entries"][0]["action"] = "forged"
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(document), encoding="utf-8")
    ko = subprocess.run([sys.executable, "-c", script, str(bad)], env=env, capture_output=True, text=True)
    assert ko.returncode == 1 and "seq 1" in ko.stdout
