"""Measurement (issue 13): duplicate e-mails when the delivery worker is killed mid-burst.

    .venv/bin/python bench/outbox_kill.py [--rounds 10] [--messages 500] [--keep]

On PostgreSQL database ``carnet_bench_outbox_kill`` (created, migrated, dropped at the end unless
``--keep``), each round:

1. empties the outbox and queues ``--messages`` e-mails (as ``notify_many`` inserts them);
2. starts a real SMTP server on loopback (aiosmtpd, ``tests/notifications/faults.SmtpSink``) that records
   the ``Message-ID`` of everything it receives, and ``carnet worker`` in a subprocess pointed at it;
3. picks a random count k in [1, messages − 1] and sends SIGKILL to the worker as soon as the server has
   received k messages (polled every millisecond): the worker is then most likely between "the server
   stored message k" and "message k marked SENT" — the window where a kill can cause a duplicate — or a
   little further (the next claim, the next attempt);
4. counts the rows left ``SENDING`` (attempts in flight, in doubt), restarts the worker and waits until
   every row is SENT;
5. counts, at the SMTP server, messages received more than once, and checks that every duplicate carries
   the Message-ID stored for its row and was in doubt at the kill.

``tests/notifications/test_faults_kill.py`` kills at exactly the worst moment (the server stored the message
and holds its answer); here the moment is whatever the polling catches, across many rounds.
Results: ``bench/results/outbox_kill.{json,md}``.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    REPO,
    bench_env,
    drop_database,
    fresh_data_dir,
    machine,
    machine_md,
    remove_dir,
    setup_django,
    write_results,
)

DB = "carnet_bench_outbox_kill"


def _count(sql: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.fetchone()[0])


def _round(messages: int, env: dict[str, str], rng: random.Random) -> dict[str, Any]:
    from tests.notifications.faults import SmtpSink

    from carnet.common import clock
    from carnet.notifications.models import OutboxMessage

    OutboxMessage.objects.all().delete()
    now = clock.now()
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            channel="EMAIL",
            address=f"usager{n}@example.org",
            template="generic",
            params={"base_url": "https://carnet.example"},
            dedup_key=f"kill-{n}",
            created_at=now,
        )
        for n in range(messages)
    )
    kill_at = rng.randint(1, messages - 1)
    started = time.monotonic()
    with SmtpSink() as sink:
        worker_env = {**env, "CARNET_EMAIL_PORT": str(sink.port)}
        command = [sys.executable, "-m", "carnet.cli", "worker", "--interval", "0.2"]
        first = subprocess.Popen(command, cwd=REPO, env=worker_env, stdout=subprocess.DEVNULL)
        while len(sink.received) < kill_at:
            if time.monotonic() - started > 120:
                first.kill()
                raise RuntimeError("the worker did not reach the kill point")
            time.sleep(0.001)
        first.send_signal(signal.SIGKILL)
        first.wait()
        received_at_kill = len(sink.received)
        in_doubt = {row[0] for row in OutboxMessage.objects.filter(state="SENDING").values_list("message_id")}
        second = subprocess.Popen(command, cwd=REPO, env=worker_env, stdout=subprocess.DEVNULL)
        try:
            while _count("SELECT COUNT(*) FROM notifications_outboxmessage WHERE state = 'SENT'") < messages:
                if time.monotonic() - started > 300:
                    raise RuntimeError("the restarted worker did not deliver everything")
                time.sleep(0.1)
        finally:
            second.kill()
            second.wait()
        counts = sink.counts()
    stored = set(OutboxMessage.objects.values_list("message_id", flat=True))
    duplicates = {mid: n - 1 for mid, n in counts.items() if n > 1}
    return {
        "messages": messages,
        "kill_at_received": kill_at,
        "received_at_kill": received_at_kill,
        "in_doubt": len(in_doubt),
        "duplicates": sum(duplicates.values()),
        "duplicates_in_doubt": set(duplicates) <= in_doubt,
        "all_delivered": set(counts) == stored and len(stored) == messages,
        "seconds": round(time.monotonic() - started, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    data_dir = fresh_data_dir("outbox-kill")
    setup_django(DB, data_dir)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CARNET_")},
        **bench_env(DB, data_dir),
        "CARNET_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "CARNET_EMAIL_HOST": "127.0.0.1",
        "CARNET_EMAIL_TIMEOUT": "5",
        "CARNET_LOCAL_OUTBOX": "0",
        "CARNET_OUTBOX_LEASE_SECONDS": "2",
        "CARNET_BASE_URL": "https://carnet.example",
        "CARNET_LOG_LEVEL": "ERROR",
    }
    rng = random.Random(args.seed)
    rounds = []
    try:
        for number in range(args.rounds):
            result = _round(args.messages, env, rng)
            rounds.append(result)
            print(f"round {number + 1}: {result}", flush=True)
    finally:
        from django.db import connection

        connection.close()
        if not args.keep:
            drop_database(DB)
            remove_dir(data_dir)
    sent = sum(r["messages"] for r in rounds)
    duplicates = sum(r["duplicates"] for r in rounds)
    summary = {
        "rounds": len(rounds),
        "messages": sent,
        "kills": len(rounds),
        "in_doubt": sum(r["in_doubt"] for r in rounds),
        "duplicates": duplicates,
        "duplicate_rate": duplicates / sent if sent else 0.0,
        "every_message_delivered": all(r["all_delivered"] for r in rounds),
        "every_duplicate_was_in_doubt": all(r["duplicates_in_doubt"] for r in rounds),
    }
    m = machine()
    table = "\n".join(
        f"| {i + 1} | {r['kill_at_received']} | {r['in_doubt']} | {r['duplicates']} | {r['seconds']} |"
        for i, r in enumerate(rounds)
    )
    markdown = f"""# Outbox: worker killed mid-burst (issue 13)

{machine_md(m)}

{summary["rounds"]} rounds of {args.messages} e-mails, one `kill -9` per round as soon as the SMTP
server has received a random k-th message (the moment a duplicate is possible), then a restarted worker. Every message delivered at least once: {summary["every_message_delivered"]};
every duplicate was an attempt recorded in doubt (SENDING) at the kill, with the same Message-ID:
{summary["every_duplicate_was_in_doubt"]}.

**{duplicates} duplicate(s) for {sent} e-mails ({summary["duplicate_rate"]:.3%}), {summary["in_doubt"]} attempt(s)
in doubt over {summary["kills"]} kills.**

| round | killed after (received) | in doubt | duplicates | seconds |
|---|---|---|---|---|
{table}
"""
    write_results("outbox_kill", {"machine": m, "summary": summary, "rounds": rounds}, markdown)
    print(markdown)


if __name__ == "__main__":
    main()
