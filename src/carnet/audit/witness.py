"""A reference witness for Carnet's transparency log — a separate process with its own key and storage.

**No Django import**: it is meant to run elsewhere (in production: another organisation, another
machine), and only knows the log's public key::

    carnet witness-serve --host 127.0.0.1 --port 8765 --data /var/lib/carnet-witness
    python -m carnet.audit.witness --host 127.0.0.1 --port 8765 --data DIR --log-public-key B64

Protocol (modelled on the C2SP ``tlog-witness`` "add-checkpoint" exchange, in JSON):

* ``POST /add-head`` ``{"tree_head": {...}, "old_size": M, "consistency_proof": [hex, ...]}``: the
  witness checks the head's signature with the log key, that ``M`` is the size of the last head it
  cosigned (else ``409 {"size": its size}``, and the log retries with a proof from that size), and the
  RFC 9162 consistency proof from its last head to the new one. Only then does it append the head to its
  own append-only file and answer ``200 {"witness", "key_id", "time", "signature"}``: an Ed25519
  cosignature over ``verify.cosignature_message``. A head that is not consistent with what it saw is
  refused (``422``) and kept in ``refused.jsonl`` as evidence; a head smaller than its last one gets
  ``409`` (the log went back in time).
* ``GET /latest``: the last head it cosigned, with its cosignature. ``GET /public-key``: its key.

Storage in ``--data``: ``witness.key`` (its Ed25519 seed, mode 0600, created on first start),
``heads.jsonl`` (every head it cosigned, appended and fsynced, never rewritten), ``refused.jsonl``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from carnet.audit import merkle
from carnet.audit.verify import (
    MalformedHistory,
    check_head,
    cosignature_message,
    head_message_of,
    head_signed_by,
    key_id_of,
)

MAX_BODY = 64 * 1024


class Witness:
    """The witness's state: its key, its append-only head file, one lock for every decision."""

    def __init__(self, data: Path, *, log_public_key: str, name: str = "carnet-reference-witness") -> None:
        self.data = data
        self.name = name
        self.log_public_key = log_public_key
        data.mkdir(parents=True, exist_ok=True)
        key_path = data / "witness.key"
        if not key_path.exists():
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(base64.b64encode(os.urandom(32)).decode())
        self._key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(key_path.read_text().strip()))
        raw = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public_key = base64.b64encode(raw).decode()
        self.key_id = key_id_of(self.public_key)
        self.heads = data / "heads.jsonl"
        self.refused = data / "refused.jsonl"
        self._lock = threading.Lock()

    def latest(self) -> dict[str, Any] | None:
        """The last head this witness cosigned (``{"tree_head": ..., "cosignature": ...}``)."""
        if not self.heads.exists():
            return None
        last = None
        with self.heads.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    last = line
        return json.loads(last) if last else None

    def _append(self, path: Path, record: dict[str, Any]) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, (json.dumps(record, sort_keys=True) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def _cosign(self, head: dict[str, Any]) -> dict[str, Any]:
        now = int(time.time())
        signature = self._key.sign(cosignature_message(self.name, now, head_message_of(head)))
        return {
            "witness": self.name,
            "key_id": self.key_id,
            "time": now,
            "signature": base64.b64encode(signature).decode(),
        }

    def add(self, request: Any) -> tuple[int, dict[str, Any]]:
        """Check and cosign a new head; returns ``(HTTP status, JSON body)``."""
        try:
            head = request["tree_head"]
            check_head(head, "tree_head")
            old_size = int(request.get("old_size", 0))
            proof = [bytes.fromhex(h) for h in request.get("consistency_proof", [])]
        except (MalformedHistory, KeyError, TypeError, ValueError) as exc:
            return HTTPStatus.BAD_REQUEST, {"error": f"malformed request: {exc}"}
        if not head_signed_by(head, self.log_public_key):
            return HTTPStatus.FORBIDDEN, {"error": "the head is not signed by the log's key"}
        with self._lock:
            latest = self.latest()
            seen = latest["tree_head"] if latest else None
            seen_size = int(seen["size"]) if seen else 0
            if seen is not None and int(head["size"]) < seen_size:
                return HTTPStatus.CONFLICT, {"size": seen_size, "error": "older than the last head seen"}
            if old_size != seen_size:
                return HTTPStatus.CONFLICT, {"size": seen_size}
            if seen is not None:
                if seen["origin"] != head["origin"]:
                    return HTTPStatus.FORBIDDEN, {"error": "another log"}
                consistent = merkle.verify_consistency(
                    seen_size,
                    int(head["size"]),
                    bytes.fromhex(seen["root_hash"]),
                    bytes.fromhex(head["root_hash"]),
                    proof,
                )
                if not consistent:
                    self._append(self.refused, {"tree_head": head, "last_seen": seen})
                    return HTTPStatus.UNPROCESSABLE_ENTITY, {
                        "error": "inconsistent with the last head seen",
                        "size": seen_size,
                    }
                if int(head["size"]) == seen_size:
                    return HTTPStatus.OK, self._cosign(seen)
            cosignature = self._cosign(head)
            self._append(self.heads, {"tree_head": head, "cosignature": cosignature})
            return HTTPStatus.OK, cosignature


def _handler(witness: Witness) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "carnet-witness/1"

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/latest":
                self._send(HTTPStatus.OK, witness.latest() or {})
            elif self.path == "/public-key":
                self._send(
                    HTTPStatus.OK,
                    {"witness": witness.name, "public_key": witness.public_key, "key_id": witness.key_id},
                )
            else:
                self._send(HTTPStatus.NOT_FOUND, {"error": "not found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if self.path != "/add-head" or not 0 < length <= MAX_BODY:
                self._send(HTTPStatus.BAD_REQUEST, {"error": "POST /add-head with a JSON body"})
                return
            try:
                request = json.loads(self.rfile.read(length))
            except json.JSONDecodeError:
                self._send(HTTPStatus.BAD_REQUEST, {"error": "not JSON"})
                return
            status, body = witness.add(request)
            self._send(status, body)

        def log_message(self, format: str, *args: Any) -> None:
            sys.stderr.write(f"witness: {self.command} {self.path} {args[1] if len(args) > 1 else ''}\n")

    return Handler


def serve(*, host: str, port: int, data: Path, log_public_key: str, name: str, out: Any = None) -> None:
    """Serve until interrupted. Prints ``listening on HOST:PORT`` once bound (``--port 0``: any free port)."""
    witness = Witness(data, log_public_key=log_public_key, name=name)
    server = ThreadingHTTPServer((host, port), _handler(witness))
    write = out or sys.stdout.write
    write(f"witness {witness.name} key {witness.key_id} listening on {host}:{server.server_address[1]}\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Reference witness of Carnet's transparency log.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--data", required=True, help="directory for the witness's key and append-only heads")
    parser.add_argument("--name", default="carnet-reference-witness")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser("python -m carnet.audit.witness")
    parser.add_argument("--log-public-key", required=True, help="the log's Ed25519 public key (base64)")
    args = parser.parse_args(argv)
    serve(
        host=args.host,
        port=args.port,
        data=Path(args.data),
        log_public_key=args.log_public_key,
        name=args.name,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
