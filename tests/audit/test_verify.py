"""The downloaded history and its offline verification (invariant 3; R-TR-2, R-MASK-6, R-MIN-5; ADR 0007).

Every tampered file of ``tampering.py`` is caught with exactly the expected findings (the browser test
of the HTML verifier runs the same cases); the command needs a trusted key, checks ``--since``, names the
first changed entry and exits 0/1/2; the verifier runs without Django.
"""

from __future__ import annotations

import base64
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

from carnet.audit import merkle
from carnet.audit.export import history_export
from carnet.audit.services import public_key_b64
from carnet.audit.verify import MalformedHistory, verify_document, verify_since

from . import tampering
from .conftest import add_trace

pytestmark = pytest.mark.django_db


def _findings(case: tampering.Case) -> set[tampering.Finding]:
    try:
        report = (
            verify_since(case.new, case.old, public_key_b64=public_key_b64())
            if case.old is not None
            else verify_document(case.new, public_key_b64=public_key_b64())
        )
    except MalformedHistory:
        return {(None, "malformed")}
    return {(p.index, p.problem) for p in report.problems}


def _write(tmp_path: Path, name: str, document: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_every_tampered_file_is_caught_with_the_expected_findings(clock: Any) -> None:
    for case in tampering.cases(clock):
        assert _findings(case) == case.expected, case.name


def test_the_first_changed_entry_is_named(clock: Any) -> None:
    for case in tampering.cases(clock):
        if case.first_changed is None or case.expected == {(None, "malformed")}:
            continue
        report = (
            verify_since(case.new, case.old, public_key_b64=public_key_b64())
            if case.old is not None
            else verify_document(case.new, public_key_b64=public_key_b64())
        )
        first = report.first_changed
        assert first is not None and first.index == case.first_changed, case.name
        assert first.action in {"CONSULT", "DOWNLOAD", "HISTORY_DOWNLOADED"}, (
            case.name
        )  # as the file says now
        assert first.at.startswith("2026-01-"), case.name


def test_a_clean_download_covers_every_entry_of_the_patient_and_nothing_else(clock: Any) -> None:
    document = tampering.download()
    contents = [json.loads(e["leaf"]) for e in document["entries"]]
    assert {c["patient_id"] for c in contents} == {tampering.PATIENT}
    assert [c["action"] for c in contents] == ["CONSULT"] * 4 + ["HISTORY_DOWNLOADED"]
    indexes = [e["leaf_index"] for e in document["entries"]]
    assert indexes == [0, 2, 4, 6, 8]  # the other patients' leaves are in between, absent
    assert document["tree_head"]["size"] == 9


def test_the_download_is_traced_and_covered_by_the_head(clock: Any) -> None:
    document = tampering.download()
    last = document["entries"][-1]
    assert json.loads(last["leaf"])["action"] == "HISTORY_DOWNLOADED"
    assert last["leaf_index"] == document["tree_head"]["size"] - 1


def test_a_newer_download_carries_the_heads_given_before_with_consistency_proofs(clock: Any) -> None:
    old, new = tampering.two_downloads(clock)
    assert [p["tree_head"] for p in new["previous_heads"]] == [old["tree_head"]]
    report = verify_since(new, old, public_key_b64=public_key_b64())
    assert report.ok and report.previous_heads == 1 and report.since_size == old["tree_head"]["size"]


def test_the_previous_heads_are_the_viewer_s_own(clock: Any) -> None:
    """A legal representative's download does not carry the heads given to the other parent."""
    tampering.download()
    other = tampering.Actor(tampering.ActorKind.LEGAL_REPRESENTATIVE, "other-parent", label="Hugo MARTIN")
    document = history_export(actor=other, patient_id=tampering.PATIENT, hidden_object_ids=set())
    assert document["previous_heads"] == []


def test_a_hidden_entry_is_absent_and_its_leaf_looks_like_another_patient_s(clock: Any) -> None:
    """R-MASK-6 / R-MIN-5 and issue item 2: nothing in the file betrays that a hidden item exists."""
    add_trace(tampering.PATIENT, action="CONSULT", object_type="document", object_id="doc-a")
    add_trace(
        tampering.PATIENT,
        action="DEPOSIT",
        object_type="document",
        object_id="hidden-doc",
        details={"title": "Compte rendu"},
    )
    add_trace(999, action="CONSULT")
    add_trace(tampering.PATIENT, action="CONSULT", object_type="document", object_id="doc-b")
    document = history_export(
        actor=tampering.HOLDER, patient_id=tampering.PATIENT, hidden_object_ids={"hidden-doc"}
    )
    text = json.dumps(document, ensure_ascii=False)
    assert (
        "hidden-doc" not in text
        and "Compte rendu" not in text
        and "DEPOSIT" not in text
        and "redact" not in text
    )
    assert [e["leaf_index"] for e in document["entries"]] == [0, 3, 4]  # 1 (hidden) and 2 (other) alike
    assert verify_document(document, public_key_b64=public_key_b64()).ok


def test_proofs_follow_rfc_9162_for_every_size(clock: Any) -> None:
    """The stored tree and its proofs agree with RFC 9162's definitions computed from the leaves."""
    leaves = [merkle.leaf_hash(str(i).encode()) for i in range(33)]

    def mth(items: list[bytes]) -> bytes:
        if not items:
            return merkle.EMPTY_ROOT
        if len(items) == 1:
            return items[0]
        k = 1
        while k * 2 < len(items):
            k *= 2
        return merkle.node_hash(mth(items[:k]), mth(items[k:]))

    store: dict[int, bytes] = {}

    def read(indexes: Any) -> list[bytes]:
        return [store[i] for i in indexes]

    for n, leaf in enumerate(leaves):
        base = merkle.stored_hash_index(0, n)
        for offset, value in enumerate(merkle.stored_hashes_for_leaf(n, leaf, read)):
            store[base + offset] = value
    for size in range(1, 34):
        root = merkle.tree_hash(size, read)
        assert root == mth(leaves[:size])
        for i in range(size):
            assert merkle.verify_inclusion(i, size, leaves[i], merkle.inclusion_proof(i, size, read), root)
        for m in range(1, size + 1):
            proof = merkle.consistency_proof(m, size, read)
            assert merkle.verify_consistency(m, size, mth(leaves[:m]), root, proof)
            if m < size:
                assert not merkle.verify_consistency(m, size, mth(leaves[1 : m + 1]), root, proof)


# --- the command --------------------------------------------------------------------------------------


def test_the_command_exits_0_on_a_clean_file_with_the_trusted_key(
    clock: Any, tmp_path: Path, capsys: Any
) -> None:
    path = _write(tmp_path, "historique.json", tampering.download())
    call_command("verify_history", str(path), public_key=public_key_b64())
    assert "RÉSULTAT : historique intègre / RESULT: history verified" in capsys.readouterr().out


def test_the_command_reads_the_key_from_a_file(clock: Any, tmp_path: Path, capsys: Any) -> None:
    path = _write(tmp_path, "historique.json", tampering.download())
    key_file = tmp_path / "carnet-log.pub"
    key_file.write_text(f"# Carnet log key\n{public_key_b64()}\n", encoding="utf-8")
    call_command("verify_history", str(path), public_key_file=str(key_file))
    assert "historique intègre" in capsys.readouterr().out


def test_the_command_refuses_to_trust_only_the_key_inside_the_file(
    clock: Any, tmp_path: Path, capsys: Any
) -> None:
    path = _write(tmp_path, "historique.json", tampering.download())
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_history", str(path))
    assert exit_info.value.code == 2
    assert "la clé contenue dans le fichier ne prouve rien" in capsys.readouterr().out


def test_the_command_exits_1_and_names_the_first_changed_entry(
    clock: Any, tmp_path: Path, capsys: Any
) -> None:
    case = next(c for c in tampering.cases(clock) if c.name == "entry removed, since older")
    assert case.old is not None
    new, old = _write(tmp_path, "new.json", case.new), _write(tmp_path, "old.json", case.old)
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_history", str(new), since=str(old), public_key=public_key_b64())
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert (
        f"Première entrée modifiée / first changed entry: entrée / entry {case.first_changed} (2026-01-05"
        in out
    )
    assert "CONSULT)" in out


def test_the_command_exits_1_with_a_key_that_is_not_carnet_s(clock: Any, tmp_path: Path) -> None:
    path = _write(tmp_path, "historique.json", tampering.download())
    other = base64.b64encode(
        Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    ).decode()
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_history", str(path), public_key=other)
    assert exit_info.value.code == 1


def test_the_command_exits_2_on_an_unreadable_file(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "historique.json"
    path.write_text("{ not json", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_history", str(path), public_key=public_key_b64())
    assert exit_info.value.code == 2
    assert "fichier illisible" in capsys.readouterr().out


def test_the_command_exits_2_on_a_first_format_file(tmp_path: Path, capsys: Any) -> None:
    path = _write(tmp_path, "old-format.json", {"format": "carnet-history/1", "entries": []})
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_history", str(path), public_key=public_key_b64())
    assert exit_info.value.code == 2


def test_the_log_public_key_command_prints_the_key_to_publish(capsys: Any) -> None:
    call_command("log_public_key", with_id=True)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == public_key_b64() and out[1].startswith("key_id ")


def test_the_verifier_runs_with_the_files_alone_without_django(clock: Any, tmp_path: Path) -> None:
    """Offline: a fresh interpreter, no settings, no database, imports no Django at all."""
    old, new = tampering.two_downloads(clock)
    good, older = _write(tmp_path, "new.json", new), _write(tmp_path, "old.json", old)
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "CARNET"))}
    env["PYTHONPATH"] = src
    script = (
        "import sys; from carnet.audit.verify import main; code = main(sys.argv[1:]); "
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), 'django imported'; "
        "sys.exit(code)"
    )
    key = ["--public-key", public_key_b64()]
    ok = subprocess.run(
        [sys.executable, "-c", script, str(good), "--since", str(older), *key],
        env=env,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    new["entries"][0]["leaf"] = new["entries"][0]["leaf"].replace("CONSULT", "DOWNLOAD")
    bad = _write(tmp_path, "tampered.json", new)
    ko = subprocess.run(
        [sys.executable, "-c", script, str(bad), *key], env=env, capture_output=True, text=True
    )
    assert ko.returncode == 1 and "entrée / entry 0" in ko.stdout
