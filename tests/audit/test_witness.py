"""Signed heads go to a witness the application cannot rewrite (invariant 3; ADR 0007).

The reference witness runs as its own process (``python -m carnet.audit.witness``, what
``carnet witness-serve`` runs), on loopback, with its own key and storage; tests start and stop it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from carnet.audit.log import head_dict, latest_head, log_sequence
from carnet.audit.models import WitnessCosignature
from carnet.audit.services import public_key_b64
from carnet.audit.witness_file import witness_file_heads
from carnet.audit.witnessing import witness_compare, witness_push

from .conftest import add_trace, guard_dropped

pytestmark = pytest.mark.django_db

SRC = str(Path(__file__).resolve().parents[2] / "src")


@pytest.fixture
def witness(tmp_path: Path, settings: Any) -> Iterator[dict[str, Any]]:
    """A reference witness process on 127.0.0.1 (any free port), stopped after the test."""
    data = tmp_path / "witness"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "carnet.audit.witness",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data",
            str(data),
            "--log-public-key",
            public_key_b64(),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={"PYTHONPATH": SRC},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "listening on 127.0.0.1:" in line, line
        url = "http://" + line.rsplit(" ", 1)[1].strip()
        key = json.loads((data / "witness.key").exists() and _get(url + "/public-key"))["public_key"]
        settings.CARNET_AUDIT_WITNESS_URL = url
        settings.CARNET_AUDIT_WITNESS_PUBLIC_KEY = key
        yield {"url": url, "data": data, "key": key}
    finally:
        process.terminate()
        process.wait(timeout=10)


def _get(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode())


def _post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    from carnet.audit.witnessing import _request

    return _request(url + "/add-head", body)


def _grow(n: int, patient_id: int = 7) -> None:
    for i in range(n):
        add_trace(patient_id, action=f"act{i}")
    log_sequence()


def test_the_witness_cosigns_each_new_head_after_checking_consistency(
    clock: Any, witness: dict[str, Any]
) -> None:
    _grow(3)
    assert witness_push() == 1
    _grow(4)
    assert witness_push() == 1
    sizes = list(WitnessCosignature.objects.order_by("tree_size").values_list("tree_size", flat=True))
    assert sizes == [3, 7]
    seen = [
        json.loads(line)["tree_head"]["size"]
        for line in (witness["data"] / "heads.jsonl").read_text().splitlines()
    ]
    assert seen == [3, 7]
    from carnet.audit.models import TreeHead

    assert witness_compare({h.size: h for h in TreeHead.objects.all()}) == []


def test_the_witness_refuses_a_head_inconsistent_with_what_it_saw(
    clock: Any, witness: dict[str, Any]
) -> None:
    """The attacker deletes an entry and makes the server re-sign the log (the reset attack): the new
    head, properly signed by the log key, is refused by the witness, which keeps it as evidence."""
    from carnet.audit.models import Trace

    from .test_attack import _reset_log

    _grow(3)
    assert witness_push() == 1
    with guard_dropped():
        Trace.objects.filter(action="act1")._raw_delete(Trace.objects.db)
        _reset_log()
        _grow(2, patient_id=8)
        assert witness_push() == 0
    assert not WitnessCosignature.objects.filter(tree_size=4).exists()
    assert (witness["data"] / "heads.jsonl").read_text().count("\n") == 1
    refused = [json.loads(line) for line in (witness["data"] / "refused.jsonl").read_text().splitlines()]
    assert refused[0]["tree_head"]["size"] == 4 and refused[0]["last_seen"]["size"] == 3


def test_the_witness_refuses_a_consistency_proof_that_does_not_hold(
    clock: Any, witness: dict[str, Any]
) -> None:
    _grow(3)
    witness_push()
    _grow(2)
    head = latest_head()
    assert head is not None
    status, answer = _post(
        witness["url"], {"tree_head": head_dict(head), "old_size": 3, "consistency_proof": ["ab" * 32]}
    )
    assert status == 422 and "inconsistent" in answer["error"]
    assert (witness["data"] / "refused.jsonl").exists()


def test_the_witness_tells_the_log_which_head_it_last_saw(clock: Any, witness: dict[str, Any]) -> None:
    """409 with its size, and the log proves from there (the protocol of C2SP tlog-witness)."""
    _grow(3)
    witness_push()
    with guard_dropped():
        WitnessCosignature.objects.all()._raw_delete(WitnessCosignature.objects.db)  # the log forgot it
        _grow(2)
        assert witness_push() == 1
    assert WitnessCosignature.objects.get().tree_size == 5


def test_the_witness_refuses_a_head_not_signed_by_the_log(clock: Any, witness: dict[str, Any]) -> None:
    _grow(2)
    head = latest_head()
    assert head is not None
    forged = dict(head_dict(head), root_hash="cd" * 32)
    status, _ = _post(witness["url"], {"tree_head": forged, "old_size": 0, "consistency_proof": []})
    assert status == 403


def test_the_server_check_compares_with_the_witness(clock: Any, witness: dict[str, Any]) -> None:
    _grow(3)
    witness_push()
    from carnet.audit.checks import log_verify

    assert log_verify().ok
    from .test_attack import _reset_log

    with guard_dropped():
        _reset_log()
        clock.advance(seconds=5)
        log_sequence()  # the same size, signed again at another time: not the head the witness holds
        report = log_verify()
    assert any(p.problem == "witness" for p in report.problems)


def test_an_unreachable_witness_does_not_stop_the_log(clock: Any, settings: Any) -> None:
    settings.CARNET_AUDIT_WITNESS_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.CARNET_AUDIT_WITNESS_PUBLIC_KEY = public_key_b64()
    _grow(2)
    assert witness_push() == 0 and latest_head() is not None


def test_the_witness_file_gets_each_new_head_once(clock: Any, settings: Any, tmp_path: Path) -> None:
    settings.CARNET_AUDIT_WITNESS_FILE = str(tmp_path / "heads.jsonl")
    _grow(2)
    witness_push()
    witness_push()
    _grow(1)
    witness_push()
    assert [h["size"] for h in witness_file_heads()] == [2, 3]


def test_the_witness_serve_command_is_the_reference_witness(tmp_path: Path) -> None:
    """``carnet witness-serve`` runs the same server (checked through its argument parser)."""
    with pytest.raises(SystemExit):
        call_command("witness_serve", "--help")
