"""Benchmark: encrypted ingestion (deposit) against raw disk write speed, in the same run.

    .venv/bin/python bench/deposit.py [--rounds 3] [--quick] [--keep]

Measured path: ``carnet.records.services.document_deposit`` by a professional (RPPS actor) on
PostgreSQL: scope + policy decision, content sniffing, SHA-256, AES-256-GCM under the patient key,
encrypted file written to ``DATA_DIR/blobs``, ``Blob`` + ``Document`` rows and the ``DEPOSIT`` trace in
one transaction. Contents are PDFs generated in memory (a valid PDF whose single image stream is random,
i.e. incompressible like a scanned JPEG) of 100 KB, 1 MB and 4 MB.

Baselines, measured in the same run on the same data directory, with the same bytes:

* ``write+fsync``: open/write/fsync/close one file per document (what a durable blob store pays);
* ``write`` (page cache): open/write/close, no fsync (what ``blob_put`` actually does today);
* ``dd``: ``dd bs=1M conv=fdatasync`` sequential write of 256 MiB (the disk's streaming speed).

Rounds alternate baseline and deposit per size; the median round is reported. Ratio = deposit MB/s
divided by baseline MB/s (1.0 = as fast as the raw disk).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    drop_database,
    fresh_data_dir,
    machine,
    machine_md,
    median,
    remove_dir,
    setup_django,
    write_results,
)

DB = "carnet_bench_deposit"
MB = 1_000_000  # figures in MB/s (10^6 bytes), as disks are rated
SIZES = {"100KB": 100 * 1024, "1MB": 1024 * 1024, "4MB": 4 * 1024 * 1024}
COUNTS = {"100KB": 150, "1MB": 40, "4MB": 12}


def make_pdf(size: int, seed: int) -> bytes:
    """A valid one-page PDF of exactly ``size`` bytes whose image XObject holds random bytes."""
    rnd = hashlib.sha256(str(seed).encode()).digest()

    def build(payload_len: int) -> bytes:
        payload = os.urandom(payload_len - 32) + rnd if payload_len >= 32 else os.urandom(payload_len)
        objs = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 4 0 R >> >>"
            b" /Contents 5 0 R >>",
            b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8"
            b" /Filter /DCTDecode /Length "
            + str(len(payload)).encode()
            + b" >>\nstream\n"
            + payload
            + b"\nendstream",
            b"<< /Length 32 >>\nstream\nq 595 0 0 842 0 0 cm /Im1 Do Q\n\nendstream",
        ]
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for i, body in enumerate(objs, start=1):
            offsets.append(len(out))
            out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
        for off in offsets:
            out += f"{off:010d} 00000 n \n".encode()
        out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
        return bytes(out)

    overhead = len(build(64)) - 64
    pdf = build(size - overhead)
    # The /Length digits may shift the size by a byte or two: adjust once.
    pdf = build(size - overhead - (len(pdf) - size)) if len(pdf) != size else pdf
    return pdf


def dd_write(directory: Path, mib: int = 256) -> float:
    """MB/s of ``dd if=/dev/zero bs=1M count=mib conv=fdatasync`` into ``directory``."""
    target = directory / "dd.bin"
    start = time.perf_counter()
    proc = subprocess.run(
        ["dd", "if=/dev/zero", f"of={target}", "bs=1M", f"count={mib}", "conv=fdatasync"],
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - start
    target.unlink(missing_ok=True)
    match = re.search(r"(\d+) bytes .* copied, ([\d.]+) s", proc.stderr)
    if match:
        return int(match.group(1)) / float(match.group(2)) / MB
    return mib * 1024 * 1024 / elapsed / MB


def raw_write(directory: Path, contents: list[bytes], *, fsync: bool) -> float:
    """MB/s of writing each content to its own file (one file per document), optionally fsynced."""
    directory.mkdir(parents=True, exist_ok=True)
    total = sum(len(c) for c in contents)
    start = time.perf_counter()
    for i, content in enumerate(contents):
        path = directory / f"raw-{i}.bin"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, content)
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
    elapsed = time.perf_counter() - start
    for i in range(len(contents)):
        (directory / f"raw-{i}.bin").unlink(missing_ok=True)
    return total / elapsed / MB


def crypto_only(contents: list[bytes]) -> float:
    """MB/s of SHA-256 + AES-256-GCM in memory (the CPU part of ``blob_put``), for the breakdown."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aes = AESGCM(AESGCM.generate_key(bit_length=256))
    total = sum(len(c) for c in contents)
    start = time.perf_counter()
    for content in contents:
        hashlib.sha256(content).hexdigest()
        aes.encrypt(os.urandom(12), content, b"blob-id")
    return total / (time.perf_counter() - start) / MB


def world() -> tuple[Any, Any]:
    from tests.factories import PersonFactory, ProfessionalFactory

    from carnet.common import clock
    from carnet.common.actors import Actor, ActorKind
    from carnet.spaces.models import HealthSpace, SpaceStatus

    patient = PersonFactory()
    now = clock.now()
    HealthSpace.objects.create(
        person=patient, status=SpaceStatus.ACTIVATED, status_changed_at=now, created_at=now, activated_at=now
    )
    pro = ProfessionalFactory(profession_code="G15_10", specialty_code="G15_10/SM54")
    return patient, Actor(ActorKind.PROFESSIONAL, pro.rpps, label=pro.display_name)


def deposit_run(patient: Any, actor: Any, contents: list[bytes]) -> float:
    from carnet.records.services import document_deposit

    total = sum(len(c) for c in contents)
    start = time.perf_counter()
    for content in contents:
        document_deposit(
            actor=actor,
            patient_id=patient.pk,
            content=content,
            filename="compte-rendu.pdf",
            declared_media_type="application/pdf",
            type_code="11488-4",
            title="Compte rendu de consultation",
        )
    return total / (time.perf_counter() - start) / MB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a few documents per size (smoke run)")
    parser.add_argument("--keep", action="store_true", help="keep the database and data directory")
    args = parser.parse_args()

    data_dir = fresh_data_dir("deposit")
    setup_django(DB, data_dir)
    from django.conf import settings
    from django.db import connection

    patient, actor = world()
    raw_dir = Path(settings.DATA_DIR) / "blobs" / "raw-baseline"
    counts = {k: (3 if args.quick else v) for k, v in COUNTS.items()}
    rows: list[dict[str, Any]] = []
    try:
        # Warm-up: first deposit creates the patient key, caches, code paths.
        deposit_run(patient, actor, [make_pdf(SIZES["100KB"], 0)])
        dd_rounds: list[float] = []
        for label, size in SIZES.items():
            contents = [make_pdf(size, i) for i in range(counts[label])]
            assert all(len(c) == size and c.startswith(b"%PDF-") for c in contents)
            rounds: dict[str, list[float]] = {"deposit": [], "fsync": [], "write": [], "crypto": []}
            for _ in range(args.rounds):
                rounds["fsync"].append(raw_write(raw_dir, contents, fsync=True))
                rounds["write"].append(raw_write(raw_dir, contents, fsync=False))
                rounds["crypto"].append(crypto_only(contents))
                rounds["deposit"].append(deposit_run(patient, actor, contents))
                dd_rounds.append(dd_write(raw_dir))
            dep = median(rounds["deposit"])
            row = {
                "size": label,
                "bytes": size,
                "documents_per_round": len(contents),
                "rounds": args.rounds,
                "deposit_mb_s": round(dep, 1),
                "deposit_docs_s": round(dep * MB / size, 1),
                "raw_write_fsync_mb_s": round(median(rounds["fsync"]), 1),
                "raw_write_pagecache_mb_s": round(median(rounds["write"]), 1),
                "crypto_only_mb_s": round(median(rounds["crypto"]), 1),
                "ratio_vs_write_fsync": round(dep / median(rounds["fsync"]), 3),
                "ratio_vs_write_pagecache": round(dep / median(rounds["write"]), 3),
                "all_rounds": {k: [round(x, 1) for x in v] for k, v in rounds.items()},
            }
            rows.append(row)
            print(
                f"{label:>6}: deposit {row['deposit_mb_s']} MB/s ({row['deposit_docs_s']} docs/s) | "
                f"write+fsync {row['raw_write_fsync_mb_s']} | write {row['raw_write_pagecache_mb_s']} | "
                f"crypto {row['crypto_only_mb_s']} | ratio {row['ratio_vs_write_fsync']} / "
                f"{row['ratio_vs_write_pagecache']}",
                flush=True,
            )
        dd = median(dd_rounds)
        for row in rows:
            row["dd_seq_mb_s"] = round(dd, 1)
            row["ratio_vs_dd"] = round(row["deposit_mb_s"] / dd, 3)
        print(f"dd sequential (bs=1M, conv=fdatasync, 256 MiB): {dd:.1f} MB/s (median of {len(dd_rounds)})")
    finally:
        connection.close()
        if not args.keep:
            drop_database(DB)
            remove_dir(data_dir)

    m = machine()
    data = {
        "benchmark": "deposit",
        "machine": m,
        "measured": "carnet.records.services.document_deposit (professional, PDF) on PostgreSQL",
        "baselines": ["write+fsync per file", "write per file (page cache)", "dd bs=1M conv=fdatasync"],
        "results": rows,
    }
    lines = [
        "# Deposit: encrypted ingestion vs raw disk write (same run)",
        "",
        machine_md(m),
        "",
        "| size | docs/round | deposit MB/s | docs/s | write+fsync MB/s | write (page cache) MB/s | dd MB/s "
        "| ratio vs fsync | ratio vs page cache | ratio vs dd | SHA-256+AES-GCM only MB/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['size']} | {r['documents_per_round']} | {r['deposit_mb_s']} | {r['deposit_docs_s']} "
        f"| {r['raw_write_fsync_mb_s']} | {r['raw_write_pagecache_mb_s']} | {r['dd_seq_mb_s']} "
        f"| {r['ratio_vs_write_fsync']} | {r['ratio_vs_write_pagecache']} | {r['ratio_vs_dd']} "
        f"| {r['crypto_only_mb_s']} |"
        for r in rows
    ]
    if not args.quick:
        write_results("deposit", data, "\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
