"""The floor beside `bench.mail`: the sender's work for one batch as plain as it can be.

Per batch, as `notifications.sender.send_pending` does: claim up to `batch` due rows for a
fresh claim id (lease, attempt charged) and commit; read what the message needs; build a
text and HTML `multipart/alternative` message with the same headers; send each over one
SMTP connection for the batch; and commit 'sent' (time, the relay's reply, lease cleared)
for up to MARK_EVERY messages at once with one `executemany`, only where the claim is
still ours. A DB-API cursor, statements written once, nothing else read.
"""

from __future__ import annotations

import json
import smtplib
import uuid
from datetime import UTC, datetime, timedelta
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime
from typing import Any

from sqlalchemy.engine import Engine

from notifications.sender import MARK_EVERY

_PG_CLAIM = """
WITH due AS (
    SELECT id FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= %(now)s
    ORDER BY next_attempt_at LIMIT %(n)s FOR UPDATE SKIP LOCKED)
UPDATE mail_outbox m SET status = 'sending', lease_until = %(lease)s, claim = %(claim)s,
    attempts = m.attempts + 1
FROM due WHERE m.id = due.id
RETURNING m.id, m.message_id, m.to_address, m.subject, m.body_text, m.body_html, m.headers,
    m.created_at"""


class PlainSender:
    def __init__(self, engine: Engine, host: str, port: int, sender: str, batch: int) -> None:
        self.raw = engine.raw_connection()
        self.pg = engine.dialect.name == "postgresql"
        self.p = "%s" if self.pg else "?"
        self.host, self.port, self.sender, self.batch = host, port, sender, batch
        p = self.p
        self.mark = (f"UPDATE mail_outbox SET status = 'sent', sent_at = {p}, lease_until = NULL, "
                     f"smtp_reply = {p}, last_error = NULL WHERE id = {p} AND claim = {p}")  # fmt: skip

    def close(self) -> None:
        self.raw.close()

    def step(self, now: datetime) -> int:
        """One batch; how many were sent (0: nothing was due)."""
        claim = uuid.uuid4().hex
        rows = self._claim(now, claim)
        if not rows:
            return 0
        marks: list[tuple[Any, ...]] = []
        cur = self.raw.cursor()
        with smtplib.SMTP(self.host, self.port) as smtp:
            for row_id, message_id, to, subject, text, html, headers, created in rows:
                message = self._build(message_id, to, subject, text, html, headers, created)
                refused = smtp.sendmail(self.sender, [to], message.as_string())
                if refused:
                    raise SystemExit(f"the relay refused {to}")
                marks.append((self._t(now), "250 OK", row_id, claim))
                if len(marks) >= MARK_EVERY:
                    self._mark(cur, marks)
                    marks = []
        self._mark(cur, marks)
        return len(rows)

    def _claim(self, now: datetime, claim: str) -> list[tuple[Any, ...]]:
        cur, lease = self.raw.cursor(), now + timedelta(minutes=5)
        if self.pg:
            cur.execute(_PG_CLAIM, {"now": now, "n": self.batch, "lease": lease, "claim": claim})
            rows = list(cur.fetchall())
            self.raw.commit()
            return rows
        cur.execute("BEGIN IMMEDIATE")
        cur.execute("SELECT id FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= ? "
                    f"ORDER BY next_attempt_at LIMIT {self.batch}", (self._t(now),))  # fmt: skip
        ids = [r[0] for r in cur.fetchall()]
        if not ids:
            self.raw.commit()
            return []
        marks = ", ".join("?" * len(ids))
        cur.execute(f"UPDATE mail_outbox SET status = 'sending', lease_until = ?, claim = ?, "
                    f"attempts = attempts + 1 WHERE id IN ({marks}) RETURNING id, message_id, "
                    f"to_address, subject, body_text, body_html, headers, created_at",
                    (self._t(lease), claim, *ids))  # fmt: skip
        rows = list(cur.fetchall())
        self.raw.commit()
        return rows

    def _build(self, message_id: str, to: str, subject: str, text: str, html: str,
               headers: Any, created: Any) -> MIMEMultipart:  # fmt: skip
        message = MIMEMultipart("alternative")
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        created = datetime.fromisoformat(created) if isinstance(created, str) else created
        message["Date"], message["Message-ID"] = format_datetime(created), message_id
        for header, value in (json.loads(headers) if isinstance(headers, str) else headers).items():
            message[header] = value
        message.attach(MIMEText(text, "plain", "utf-8"))
        message.attach(MIMEText(html, "html", "utf-8"))
        return message

    def _mark(self, cur: Any, marks: list[tuple[Any, ...]]) -> None:
        if not marks:
            return
        if not self.pg:
            cur.execute("BEGIN IMMEDIATE")
        cur.executemany(self.mark, marks)
        self.raw.commit()

    def _t(self, moment: datetime) -> Any:
        if self.pg:
            return moment
        moment = moment.astimezone(UTC)
        return f"{moment:%Y-%m-%d %H:%M:%S}.{moment.microsecond:06d}"
