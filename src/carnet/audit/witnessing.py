"""Signed heads go to witnesses the application cannot rewrite (invariant 3; ADR 0007).

Two kinds, both optional settings (docs/configuration.md):

* ``CARNET_AUDIT_WITNESS_URL`` + ``CARNET_AUDIT_WITNESS_PUBLIC_KEY``: an independent witness speaking the
  protocol of ``witness.py`` (the reference one is ``carnet witness-serve``). After each new head is
  committed, ``witness_push()`` (task ``audit.witness_push``, also run every worker cycle) sends it with
  a consistency proof from the last head that witness cosigned, checks the cosignature with the
  witness's key, and stores it (``WitnessCosignature``).
* ``CARNET_AUDIT_WITNESS_FILE``: a file the heads are appended to (one JSON line each, fsynced), for the
  embedded mode. It only protects anything if the application cannot rewrite it: in a deployment it
  lives on append-only storage (``chattr +a``, an object-lock bucket), written by this process, never
  truncated. Before appending, the new head is checked consistent with the file's last one.

``witness_compare()`` is the server check's side: every head a witness holds must be one the database
holds, with the same root.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings

from . import merkle
from .log import consistency_proofs, head_bytes, head_dict, latest_head
from .models import TreeHead, WitnessCosignature
from .verify import cosignature_message, key_id_of, verify_signature
from .witness_file import witness_file, witness_file_heads

log = logging.getLogger("carnet.audit.witness")

TIMEOUT = 5.0


def _setting(name: str) -> str:
    return str(getattr(settings, name, "") or "")


# --------------------------------------------------------------------------------------------------
# The append-only file
# --------------------------------------------------------------------------------------------------


def _file_append(head: TreeHead) -> bool:
    path = witness_file()
    if path is None:
        return False
    heads = witness_file_heads()
    if heads:
        last = heads[-1]
        if int(last["size"]) >= head.size:
            return False
        proof = [bytes.fromhex(h) for h in consistency_proofs([int(last["size"])], head.size)[0]]
        if not merkle.verify_consistency(
            int(last["size"]),
            head.size,
            bytes.fromhex(last["root_hash"]),
            bytes.fromhex(head.root_hash),
            proof,
        ):
            log.error(
                "witness file: head %d is not consistent with the file's last head; not appended", head.size
            )
            return False
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, (json.dumps(head_dict(head), sort_keys=True) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return True


# --------------------------------------------------------------------------------------------------
# The independent witness (HTTP)
# --------------------------------------------------------------------------------------------------


def _request(url: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 (an operator-configured http(s) URL)
        url, data=data, headers={"Content-Type": "application/json"}, method="POST" if data else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except json.JSONDecodeError:
            return exc.code, {}


def _witness_key() -> str:
    return _setting("CARNET_AUDIT_WITNESS_PUBLIC_KEY")


def _store_cosignature(head: TreeHead, answer: dict[str, Any]) -> WitnessCosignature | None:
    key = _witness_key()
    try:
        message = cosignature_message(str(answer["witness"]), int(answer["time"]), head_bytes(head))
        valid = verify_signature(key, str(answer["signature"]), message)
    except (KeyError, TypeError, ValueError):
        valid = False
    if not valid:
        log.error("witness: the cosignature of head %d does not verify with the witness key", head.size)
        return None
    cosignature, _ = WitnessCosignature.objects.get_or_create(
        tree_size=head.size,
        witness_key_id=key_id_of(key),
        defaults={
            "witness": str(answer["witness"])[:200],
            "time": int(answer["time"]),
            "signature": answer["signature"],
        },
    )
    return cosignature


def _push(url: str, head: TreeHead) -> WitnessCosignature | None:
    kid = key_id_of(_witness_key())
    done = WitnessCosignature.objects.filter(witness_key_id=kid, tree_size=head.size).first()
    if done is not None:
        return done
    last = (
        WitnessCosignature.objects.filter(witness_key_id=kid, tree_size__lt=head.size)
        .order_by("-tree_size")
        .values_list("tree_size", flat=True)
        .first()
    ) or 0
    for _attempt in range(2):
        proof = consistency_proofs([last], head.size)[0] if 0 < last <= head.size else []
        status, answer = _request(
            url.rstrip("/") + "/add-head",
            {"tree_head": head_dict(head), "old_size": last, "consistency_proof": proof},
        )
        if status == 200:
            return _store_cosignature(head, answer)
        if status == 409 and isinstance(answer.get("size"), int) and answer["size"] <= head.size:
            last = int(answer["size"])  # the witness has another last head: prove from that one
            continue
        log.error(
            "witness refused head %d (HTTP %s): %s", head.size, status, str(answer.get("error", ""))[:200]
        )
        return None
    return None


def witness_push() -> int:
    """Send the latest signed head to the configured witnesses; return how many cosigned or stored it."""
    head = latest_head()
    if head is None:
        return 0
    done = 0
    try:
        if _file_append(head):
            done += 1
    except OSError as exc:
        log.error("witness file: %s", exc)
    url = _setting("CARNET_AUDIT_WITNESS_URL")
    if url:
        if not _witness_key():
            log.error("witness: CARNET_AUDIT_WITNESS_PUBLIC_KEY is not set; heads are not sent")
        else:
            try:
                if _push(url, head) is not None:
                    done += 1
            except (OSError, ValueError) as exc:
                log.error("witness unreachable: %s", type(exc).__name__)
    return done


# --------------------------------------------------------------------------------------------------
# The server check's comparison
# --------------------------------------------------------------------------------------------------


def _compare_head(seen: dict[str, Any], by_size: dict[int, TreeHead], source: str) -> str | None:
    size = int(seen.get("size", -1))
    ours = by_size.get(size)
    if ours is None:
        return (
            f"{source}: tête de taille {size} inconnue de la base / head of size {size} not in the database"
        )
    if ours.root_hash != seen.get("root_hash") or ours.signature != seen.get("signature"):
        return f"{source}: tête de taille {size} différente / head of size {size} differs"
    return None


def witness_compare(by_size: dict[int, TreeHead]) -> list[str]:
    """Problems between the witnesses' heads and the database's (empty = they agree)."""
    problems: list[str] = []
    for seen in witness_file_heads():
        found = _compare_head(seen, by_size, "fichier témoin / witness file")
        if found:
            problems.append(found)
    key = _witness_key()
    for cosignature in WitnessCosignature.objects.filter(witness_key_id=key_id_of(key)) if key else []:
        head = by_size.get(cosignature.tree_size)
        message = (
            cosignature_message(cosignature.witness, cosignature.time, head_bytes(head)) if head else b""
        )
        if head is None or not verify_signature(key, cosignature.signature, message):
            problems.append(
                f"cosignature de la taille {cosignature.tree_size} invalide / invalid cosignature"
            )
    url = _setting("CARNET_AUDIT_WITNESS_URL")
    if url:
        try:
            status, latest = _request(url.rstrip("/") + "/latest")
        except (OSError, ValueError) as exc:
            return [*problems, f"témoin injoignable / witness unreachable ({type(exc).__name__})"]
        witnessed = latest.get("tree_head") if status == 200 else None
        if isinstance(witnessed, dict):
            found = _compare_head(witnessed, by_size, "témoin / witness")
            if found:
                problems.append(found)
    return problems
