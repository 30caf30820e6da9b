"""Each email sent, retried or given up on is logged once, by id (no addresses in logs)."""

from __future__ import annotations

import logging
from datetime import timedelta

from notifications.sender import send_pending

FIELDS = ("outbox_id", "kind", "attempts", "error", "smtp_reply")


def _mail_lines(caplog) -> list[dict]:
    return [{"event": r.getMessage(), **{k: getattr(r, k) for k in FIELDS if hasattr(r, k)}}
            for r in caplog.records if r.name == "iro_disputes.mail"]  # fmt: skip


def test_sent_retried_and_failed_are_each_one_line(runtime, raised, smtp_server, now, caplog):
    caplog.set_level(logging.INFO, logger="iro_disputes.mail")
    smtp_server.behaviour.replies = ["451 4.3.0 Try again later"]
    send_pending(runtime.engine, now=now)
    [retry] = _mail_lines(caplog)
    assert retry["event"] == "mail to retry" and retry["attempts"] == 1 and "451" in retry["error"]
    caplog.clear()
    send_pending(runtime.engine, now=now + timedelta(hours=1))
    [sent] = _mail_lines(caplog)
    assert sent["event"] == "mail sent" and sent["outbox_id"] == retry["outbox_id"]
    assert "council.test" not in str(sent) + str(retry)


def test_a_message_given_up_on_is_logged_as_an_error(runtime, raised, smtp_server, now, caplog):
    caplog.set_level(logging.INFO, logger="iro_disputes.mail")
    smtp_server.behaviour.replies = ["550 5.1.1 No such mailbox"]
    send_pending(runtime.engine, now=now)
    [failed] = [r for r in caplog.records if r.name == "iro_disputes.mail"]
    assert failed.levelno == logging.ERROR
    assert failed.getMessage() == "mail failed: given up" and "550" in failed.error
