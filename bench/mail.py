"""Sending throughput: the outbox to a local SMTP relay, one worker.

    .venv/bin/python -m bench.mail [--messages 500] [--db sqlite,postgres] [--json]

Fills the outbox with composed messages (a realistic challenge email, text and HTML,
about 4 KB on the wire), starts an SMTP relay on 127.0.0.1 (aiosmtpd, accepting and
discarding), and runs `notifications.sender.send_pending` the way the worker does,
batch after batch, until the outbox is empty. Each message is the claim, the build,
MAIL/RCPT/DATA on a kept connection, and the 'sent' mark with the link blanking.
Beside it, on a second outbox filled alike, a plain floor does the same work per batch
(`bench/mail_floor.py`: claim, read, build, send over one connection, mark 'sent' twenty
at a time); the two take turns batch by batch, each first every other batch. Prints
messages a second for each, the per-batch median and range, and the ratio. Target: at
least 50 a second per worker.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bench.mail_floor import PlainSender
from bench.sweep import scratch
from notifications.sender import send_pending
from notifications.settings import MailSettings
from workflow.runtime import prepare_database

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
TEXT = ("Dear Sam Worker,\n\nImogen Reviewer, Independent Reviewing Officer, has raised a "
        "challenge that needs your response.\n\nWhat is wrong:\nThe review decided on a "
        "health assessment by 1 November; none is booked.\n\n") * 6  # fmt: skip


def start_relay(port: int) -> subprocess.Popen[bytes]:
    """A relay in its own process, as postfix would be: aiosmtpd's discarding Sink."""
    relay = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
         "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return relay
        except OSError:
            time.sleep(0.1)
    relay.kill()
    raise RuntimeError("the relay did not start")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fill(engine: Engine, count: int) -> None:
    table = SQLModel.metadata.tables["mail_outbox"]
    rows = [
        {
            "message_id": f"<bench.{uuid.uuid4().hex}@council.test>",
            "dedupe_key": f"bench:{n}", "kind": "stage_opened", "to_address": f"p{n}@council.test",
            "copied": False, "subject": f"[IRO-2026-{n:04d}] A challenge needs your response",
            "body_text": TEXT, "body_html": "<p>" + TEXT.replace("\n\n", "</p><p>") + "</p>",
            "headers": {"Reply-To": "disputes@council.test"}, "secrets": [],
            "status": "pending", "attempts": 0, "next_attempt_at": NOW, "created_at": NOW,
        }
        for n in range(count)
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(sa.insert(table), rows)


def run(kind: str, messages: int) -> dict[str, Any]:
    """The project's sender and the plain floor on two outboxes, batch by batch in turn."""
    with scratch(kind) as ours, scratch(kind) as floor_engine:
        for engine in (ours, floor_engine):
            prepare_database(engine)
            fill(engine, messages)
        port = free_port()
        relay = start_relay(port)
        settings = MailSettings(smtp_host="127.0.0.1", smtp_port=port, reply_domain="council.test",
                                mail_from="IRO disputes <disputes@council.test>")  # fmt: skip
        floor = PlainSender(floor_engine, "127.0.0.1", port, settings.mail_from,
                            settings.mail_batch_size)  # fmt: skip

        def project() -> int:
            report = send_pending(ours, now=NOW, settings=settings)
            if not report.sent and report.errors:
                raise RuntimeError(f"nothing sent: {report.errors[:3]}")
            return report.sent

        sides: dict[str, Callable[[], int]] = {"project": project, "plain": lambda: floor.step(NOW)}
        batches: dict[str, list[float]] = {"project": [], "plain": []}
        sent_by = {"project": 0, "plain": 0}
        seconds_by = {"project": 0.0, "plain": 0.0}
        try:
            order, active = list(sides), set(sides)
            while active:
                order.reverse()  # each goes first every other batch
                for label in [o for o in order if o in active]:
                    started = time.perf_counter()
                    sent = sides[label]()
                    elapsed = time.perf_counter() - started
                    if not sent:
                        active.discard(label)
                        continue
                    batches[label].append(sent / elapsed)
                    sent_by[label] += sent
                    seconds_by[label] += elapsed
        finally:
            floor.close()
            relay.terminate()
            relay.wait(timeout=10)
    result: dict[str, Any] = {"db": kind}
    for label in sides:
        sent, seconds = sent_by[label], seconds_by[label]
        if sent != messages:
            raise SystemExit(f"{label} sent {sent} of {messages}")
        b = batches[label]
        result[label] = {"messages": sent, "seconds": round(seconds, 2),
                         "per_second": round(sent / seconds, 1),
                         "batch_median": round(statistics.median(b), 1),
                         "batch_range": [round(min(b), 1), round(max(b), 1)]}  # fmt: skip
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = [run(kind, args.messages) for kind in args.db.split(",")]
    for r in results:
        if not args.json:
            ours, floor = r["project"], r["plain"]
            print(f"{r['db']:>8}: project {ours['per_second']} messages/s (batches median "
                  f"{ours['batch_median']}, {ours['batch_range'][0]}-{ours['batch_range'][1]}); "
                  f"plain {floor['per_second']}/s ({floor['batch_median']}, "
                  f"{floor['batch_range'][0]}-{floor['batch_range'][1]}); ratio "
                  f"{floor['per_second'] / ours['per_second']:.1f}x (target >= 50/s; load "
                  f"{os.getloadavg()[0]:.1f})")  # fmt: skip
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
