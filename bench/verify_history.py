"""Benchmark: offline verification of a downloaded history against raw SHA-256 throughput, same run.

    .venv/bin/python bench/verify_history.py [--entries 20000] [--rounds 3] [--keep]

1. Sanity (on PostgreSQL): 500 traces are written with ``carnet.audit.services.trace``, sequenced and
   downloaded with ``carnet.audit.export.history_export``; the file must verify with the log's key, and
   its entries must have exactly the keys of the generated ones below (so the big file is in the server's
   format, not an imitation).
2. A ``carnet-history/2`` history of N entries (default 20,000) is built in memory with the server's own
   functions: a global log where the patient's entries are one leaf in three (the others are other
   patients', absent from the file, as in production), each entry with its signed entry timestamp
   (Ed25519) and its RFC 9162 inclusion proof into the signed head.
3. Measured: ``verify_document`` (verify only, file already parsed) and read + parse + verify (what
   ``carnet verify-history`` runs); plus one timed run of the real command line
   ``python -m carnet.audit.verify FILE --public-key KEY`` (includes interpreter start-up).
4. Baseline, same run, same payloads: ``hashlib.sha256`` over the N leaves already encoded (one hash per
   entry, nothing else). Also reported: the "minimal verifier" (leaf hash + inclusion proof, no signature)
   and the JSON parse alone, to split where the time goes.

Figures: entries verified per second; ratio = verifier rate / raw SHA-256 rate.
"""

from __future__ import annotations

import argparse
import base64
import gc
import hashlib
import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    REPO,
    drop_database,
    fresh_data_dir,
    machine,
    machine_md,
    median,
    remove_dir,
    setup_django,
    write_results,
)

DB = "carnet_bench_verify"
ACTIONS = [
    ("DOCUMENT_LIST", "documents", "record"),
    ("CONSULT", "documents", "document"),
    ("DOWNLOAD", "documents", "document"),
    ("DEPOSIT", "documents", "document"),
    ("LOGIN", "general", ""),
    ("MASK", "documents", "document"),
]


def generate(n: int, patient_id: int = 4242) -> dict[str, Any]:
    """A signed ``carnet-history/2`` document of ``n`` entries built with the server's functions."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from carnet.audit import merkle
    from carnet.audit.verify import FORMAT, head_message, key_id_of, leaf_hash_of, leaf_text, sct_message

    key = Ed25519PrivateKey.generate()
    pub = base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    store: dict[int, bytes] = {}

    def read(indexes: Any) -> list[bytes]:
        return [store[i] for i in indexes]

    mine: list[tuple[int, str, bytes]] = []
    size = 3 * n
    for index in range(size):
        seq = index // 3
        action, group, object_type = ACTIONS[seq % len(ACTIONS)]
        content = {
            "patient_id": patient_id if index % 3 == 0 else 9000 + index % 97,
            "at": (start + timedelta(seconds=37 * index)).isoformat(),
            "actor_kind": "PROFESSIONAL",
            "actor_id": f"{(seq * 7919) % 10**11:011d}",
            "actor_label": "Dr Anne DURAND",
            "action": action,
            "group": group,
            "object_type": object_type,
            "object_id": f"5f0c{seq:08x}-3b1e-4c2a-9d7e-{seq:012x}" if object_type == "document" else "",
            "mode": "NORMAL",
            "reason": "",
            "outcome": "ALLOW",
            "details": {"rule": "R-MAT-3", "count": seq % 40}
            if action == "DOCUMENT_LIST"
            else {"rule": "R-MAT-3"},
            "nonce": f"{index:032x}",
        }
        text = leaf_text(content)
        digest = leaf_hash_of(text)
        base = merkle.stored_hash_index(0, index)
        for offset, value in enumerate(merkle.stored_hashes_for_leaf(index, digest, read)):
            store[base + offset] = value
        if index % 3 == 0:
            mine.append((index, text, digest))
    root = merkle.tree_hash(size, read)
    proofs = merkle.resolve((merkle.inclusion_ranges(i, size) for i, _, _ in mine), read)
    entries = [
        {
            "leaf_index": index,
            "leaf": text,
            "leaf_hash": digest.hex(),
            "signed_entry_timestamp": {
                "key_id": key_id_of(pub),
                "signature": base64.b64encode(key.sign(sct_message(digest))).decode(),
            },
            "inclusion_proof": [h.hex() for h in proof],
        }
        for (index, text, digest), proof in zip(mine, proofs, strict=True)
    ]
    origin, ms = "bench.carnet.invalid/journal", 1_767_603_600_000
    head = {
        "origin": origin,
        "size": size,
        "root_hash": root.hex(),
        "timestamp": ms,
        "key_id": key_id_of(pub),
        "signature": base64.b64encode(key.sign(head_message(origin, size, root, ms))).decode(),
    }
    return {
        "format": FORMAT,
        "origin": origin,
        "patient_id": patient_id,
        "generated_at": start.isoformat(),
        "hashing": "RFC 9162: leaf = SHA-256(0x00 || leaf), node = SHA-256(0x01 || left || right)",
        "entries": entries,
        "tree_head": head,
        "previous_heads": [],
        "public_key": pub,
        "key_id": key_id_of(pub),
    }


def sanity_against_server(count: int = 500) -> dict[str, Any]:
    """Write ``count`` real traces on PostgreSQL, export them, verify; compare keys with ``generate``."""
    from django.db import transaction

    from carnet.audit.export import history_export
    from carnet.audit.services import public_key_b64, trace
    from carnet.audit.verify import verify_document
    from carnet.common.actors import Actor, ActorKind

    pro = Actor(ActorKind.PROFESSIONAL, "10000000001", label="Dr Anne DURAND")
    patient_id = 4242
    start = time.perf_counter()
    for batch in range(0, count, 100):
        with transaction.atomic():
            for i in range(batch, min(count, batch + 100)):
                trace(
                    actor=pro,
                    action="CONSULT",
                    patient_id=patient_id,
                    group="documents",
                    object_type="document",
                    object_id=f"doc-{i}",
                    mode="NORMAL",
                    details={"rule": "R-MAT-3"},
                )
    write_s = time.perf_counter() - start
    holder = Actor(ActorKind.PATIENT, "holder", label="Usager", person_id=patient_id)
    exported = json.loads(
        json.dumps(history_export(actor=holder, patient_id=patient_id, hidden_object_ids={"doc-3"}))
    )
    report = verify_document(exported, public_key_b64=public_key_b64())
    generated = generate(100)
    server_keys = {tuple(sorted(e)) for e in exported["entries"]}
    generated_keys = {tuple(sorted(e)) for e in generated["entries"]}
    return {
        "server_entries": report.entries,
        "server_hidden_left_out": count + 1 - report.entries,
        "server_file_verifies": report.ok,
        "same_entry_keys_as_generated": server_keys == generated_keys,
        "same_top_level_keys": set(exported) == set(generated),
        "trace_writes_per_s_single_connection": round(count / write_s, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    n = args.entries

    data_dir = fresh_data_dir("verify")
    setup_django(DB, data_dir)
    from django.db import connection

    from carnet.audit import merkle
    from carnet.audit.verify import leaf_hash_of, load, verify_document

    try:
        sanity = sanity_against_server()
    finally:
        connection.close()
        if not args.keep:
            drop_database(DB)
    print("sanity:", sanity, flush=True)

    t0 = time.perf_counter()
    document = generate(n)
    generate_s = time.perf_counter() - t0
    path = data_dir / "historique.json"
    path.write_text(json.dumps(document, ensure_ascii=False))
    file_mb = path.stat().st_size / 1e6
    key = document["public_key"]
    payloads = [e["leaf"].encode() for e in document["entries"]]
    payload_mb = sum(len(p) for p in payloads) / 1e6
    assert verify_document(document, public_key_b64=key).ok, "the generated history must verify"
    print(
        f"generated {n} entries in {generate_s:.1f} s; file {file_mb:.1f} MB; leaves {payload_mb:.1f} MB",
        flush=True,
    )

    def raw_sha() -> float:
        s = time.perf_counter()
        for p in payloads:
            hashlib.sha256(p).hexdigest()
        return time.perf_counter() - s

    def minimal() -> float:
        s = time.perf_counter()
        head = document["tree_head"]
        root, size = bytes.fromhex(head["root_hash"]), head["size"]
        for e in document["entries"]:
            proof = [bytes.fromhex(h) for h in e["inclusion_proof"]]
            assert merkle.verify_inclusion(e["leaf_index"], size, leaf_hash_of(e["leaf"]), proof, root)
        return time.perf_counter() - s

    def parse_only() -> float:
        s = time.perf_counter()
        with open(path, encoding="utf-8") as handle:
            json.load(handle)
        return time.perf_counter() - s

    def verify_doc() -> float:
        s = time.perf_counter()
        report = verify_document(document, public_key_b64=key)
        elapsed = time.perf_counter() - s
        assert report.ok and report.entries == n
        return elapsed

    def verify_whole_file() -> float:
        s = time.perf_counter()
        report = verify_document(load(str(path)), public_key_b64=key)
        elapsed = time.perf_counter() - s
        assert report.ok and report.entries == n
        return elapsed

    timings: dict[str, list[float]] = {
        k: [] for k in ("sha", "minimal", "parse", "verify_document", "verify_file")
    }
    for r in range(args.rounds):
        for name, fn in (
            ("sha", raw_sha),
            ("minimal", minimal),
            ("parse", parse_only),
            ("verify_document", verify_doc),
            ("verify_file", verify_whole_file),
        ):
            gc.collect()
            timings[name].append(fn())
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in timings.items()), flush=True)

    s = time.perf_counter()
    cli = subprocess.run(
        [sys.executable, "-m", "carnet.audit.verify", str(path), "--public-key", key],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    cli_s = time.perf_counter() - s
    cli_ok = cli.returncode == 0 and "RESULT: history verified" in cli.stdout
    if not args.keep:
        remove_dir(data_dir)

    rate = {k: n / median(v) for k, v in timings.items()}
    results = {
        "entries": n,
        "log_size": document["tree_head"]["size"],
        "file_mb": round(file_mb, 1),
        "canonical_payload_mb": round(payload_mb, 1),
        "rounds": args.rounds,
        "raw_sha256_entries_s": round(rate["sha"]),
        "raw_sha256_mb_s": round(payload_mb / median(timings["sha"]), 1),
        "minimal_verifier_entries_s": round(rate["minimal"]),
        "json_parse_entries_s": round(rate["parse"]),
        "verify_document_entries_s": round(rate["verify_document"]),
        "verify_file_entries_s": round(rate["verify_file"]),
        "ratio_verify_file_vs_sha256": round(rate["verify_file"] / rate["sha"], 3),
        "ratio_verify_document_vs_sha256": round(rate["verify_document"] / rate["sha"], 3),
        "ratio_minimal_vs_sha256": round(rate["minimal"] / rate["sha"], 3),
        "cli_seconds_including_startup": round(cli_s, 2),
        "cli_verified": cli_ok,
        "median_seconds": {k: round(median(v), 3) for k, v in timings.items()},
        "all_seconds": {k: [round(x, 3) for x in v] for k, v in timings.items()},
    }
    m = machine()
    data = {"benchmark": "verify_history", "machine": m, "sanity_against_server": sanity, "results": results}
    r = results
    md = f"""# History verification vs raw SHA-256 (same run)

{machine_md(m)}

History: {n:,} entries in a log of {r["log_size"]:,} leaves (the other patients' leaves absent), file {r["file_mb"]} MB, leaves {r["canonical_payload_mb"]} MB.
Sanity on PostgreSQL: a history written by `trace()` and exported by `history_export` verifies
({sanity["server_file_verifies"]}) and has the same entry keys as the generated one ({sanity["same_entry_keys_as_generated"]}).

| measure | entries/s | ratio vs raw SHA-256 | median s |
|---|---|---|---|
| raw SHA-256 over the leaves (baseline) | {r["raw_sha256_entries_s"]:,} ({r["raw_sha256_mb_s"]} MB/s) | 1.000 | {r["median_seconds"]["sha"]} |
| minimal verifier (leaf hash + inclusion proof, no signature) | {r["minimal_verifier_entries_s"]:,} | {r["ratio_minimal_vs_sha256"]} | {r["median_seconds"]["minimal"]} |
| JSON parse of the file alone | {r["json_parse_entries_s"]:,} | — | {r["median_seconds"]["parse"]} |
| `verify_document` (parsed file) | {r["verify_document_entries_s"]:,} | {r["ratio_verify_document_vs_sha256"]} | {r["median_seconds"]["verify_document"]} |
| **read + parse + `verify_document`** | **{r["verify_file_entries_s"]:,}** | **{r["ratio_verify_file_vs_sha256"]}** | {r["median_seconds"]["verify_file"]} |

`python -m carnet.audit.verify FILE` (the offline command, with interpreter start-up): {r["cli_seconds_including_startup"]} s, verified: {r["cli_verified"]}.
"""
    write_results("verify_history", data, md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
