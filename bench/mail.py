"""Sending throughput: the outbox to a local SMTP relay, one worker.

    .venv/bin/python -m bench.mail [--messages 500] [--db sqlite,postgres] [--json]

Fills the outbox with composed messages (a realistic challenge email, text and HTML,
about 4 KB on the wire), starts an SMTP relay on 127.0.0.1 (aiosmtpd, accepting and
discarding), and runs `notifications.sender.send_pending` the way the worker does,
batch after batch, until the outbox is empty. Each message is the claim, the build,
MAIL/RCPT/DATA on a kept connection, and the 'sent' mark with the link blanking.
Prints messages a second. Target: at least 50 a second per worker.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

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
    with scratch(kind) as engine:
        prepare_database(engine)
        fill(engine, messages)
        port = free_port()
        relay = start_relay(port)
        settings = MailSettings(smtp_host="127.0.0.1", smtp_port=port, reply_domain="council.test",
                                mail_from="IRO disputes <disputes@council.test>")  # fmt: skip
        try:
            sent, started = 0, time.perf_counter()
            while sent < messages:
                report = send_pending(engine, now=NOW, settings=settings)
                if not report.sent:
                    raise RuntimeError(f"nothing sent: {report.errors[:3]}")
                sent += report.sent
            elapsed = time.perf_counter() - started
        finally:
            relay.terminate()
            relay.wait(timeout=10)
    return {"db": kind, "messages": sent, "seconds": round(elapsed, 2),
            "per_second": round(sent / elapsed, 1)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = [run(kind, args.messages) for kind in args.db.split(",")]
    for r in results:
        if not args.json:
            print(f"{r['db']:>8}: {r['messages']} messages in {r['seconds']} s = "
                  f"{r['per_second']} messages/s (target >= 50)")  # fmt: skip
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
