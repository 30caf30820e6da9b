"""Delivering the outbox: a transport interface, an SMTP adapter, and the sender loop.

The loop claims due rows like a job queue (FOR UPDATE SKIP LOCKED on PostgreSQL;
SQLite's BEGIN IMMEDIATE serialises writers), marks them 'sending' with a lease
and a claim id, commits, sends, then marks them 'sent' (or schedules a retry).

The boundary SMTP leaves open: if the process dies after the server accepted
the message but before 'sent' is committed, the row's lease runs out and the
message is sent again, with the SAME Message-ID. SMTP has no idempotent submit,
so this is at-least-once; the stable Message-ID lets receiving systems (and our
sink) recognise the copy. The window is the few milliseconds between the
server's 250 reply and our commit. The alternative, never re-sending a row
found in 'sending', would lose messages whenever the crash came before the
send; losing a challenge email is worse than a rare duplicate. 'sent' is committed
for several messages at once (`sent_marks`), so the window is at most MARK_EVERY
messages or MARK_SECONDS.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from notifications.attachments import Attachment, attachments_of
from notifications.composing import compose_due
from notifications.send_failures import record_failure
from notifications.sent_marks import Sent, mark_sent_batch
from notifications.settings import MailSettings, MailTransport, get_mail_settings
from notifications.staleness import cancel_stale
from notifications.tables import OutboxAttachment, OutboxMessage, OutboxStatus
from notifications.transport import (
    Connection,
    ConnectionLost,
    PermanentFailure,
    SmtpTransport,
    TemporaryFailure,
    Transport,
)
from workflow.tables import utc_now

# One line per message sent, retried or given up on (ids only: no addresses in the logs);
# the fields go in `extra`, which the process's log set-up renders as keys.
log = logging.getLogger("iro_disputes.mail")

# Fresh connections one run may open after a connection drops under a message.
MAX_RECONNECTS = 3
# 'sent' is committed for up to this many messages at once, or after this long.
MARK_EVERY = 20
MARK_SECONDS = 1.0


# -- the message on the wire -------------------------------------------------


def build_email(
    row: OutboxMessage, settings: MailSettings, attachments: Sequence[Attachment] = ()
) -> EmailMessage:
    """multipart/alternative (text and HTML); with attachments, multipart/mixed holding
    that alternative first and then each file."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    name, address = parseaddr(row.to_address)
    message["To"] = str(Address(display_name=name, addr_spec=address))
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = row.message_id
    for header, value in row.headers.items():
        message[header] = value
    message.set_content(row.body_text)
    message.add_alternative(row.body_html, subtype="html")
    for a in attachments:
        message.add_attachment(a.content, maintype=a.maintype, subtype=a.subtype,
                               filename=a.filename)  # fmt: skip
    return message


# -- the sender loop --------------------------------------------------------


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    deferred: int = 0  # claimed but not tried (no connection): due again, uncharged
    cancelled: int = 0  # stale reminders not sent
    errors: list[str] = field(default_factory=list)

    def merge(self, other: SendReport) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.deferred += other.deferred
        self.cancelled += other.cancelled
        self.errors += other.errors


def claim_due(
    engine: Engine,
    now: datetime,
    limit: int,
    lease: timedelta,
    clock: Callable[[], datetime] = utc_now,
) -> tuple[str, list[int]]:
    """Mark up to `limit` rows due at `now` 'sending' under a fresh claim id, and commit.

    The lease runs on the real clock (`clock`), never on `now`: a drill run with
    `--now` next month must not hold rows for a month against the live senders."""
    claim = uuid.uuid4().hex
    real_now = clock()
    due = sa.or_(
        sa.and_(
            col(OutboxMessage.status) == OutboxStatus.PENDING.value,
            col(OutboxMessage.next_attempt_at) <= now,
        ),
        # A sender died holding these: its lease is up, so they are due again.
        sa.and_(
            col(OutboxMessage.status) == OutboxStatus.SENDING.value,
            col(OutboxMessage.lease_until) <= real_now,
        ),
    )
    with Session(engine) as session:
        query = (
            select(OutboxMessage.id).where(due).order_by(col(OutboxMessage.next_attempt_at))
        ).limit(limit)
        if engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = [i for i in session.exec(query).all() if i is not None]
        if ids:
            session.execute(
                sa.update(OutboxMessage)
                .where(col(OutboxMessage.id).in_(ids))
                .values(
                    status=OutboxStatus.SENDING.value,
                    lease_until=real_now + lease,
                    claim=claim,
                    attempts=OutboxMessage.attempts + 1,
                )
            )
        session.commit()
    return claim, ids


def send_pending(
    engine: Engine,
    transport: Transport | None = None,
    now: datetime | None = None,
    settings: MailSettings | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> SendReport:
    """Send every due outbox row once, over as few connections as the relay allows.

    A fault belongs to the message in flight: a dropped or timed-out connection
    charges that one message an attempt, and the rest of the batch goes on over a
    fresh connection. Rows never tried (the relay cannot be reached at all) go back
    uncharged and due, for the next run."""
    settings = settings or get_mail_settings()
    transport = transport or transport_for(settings)
    now = now or utc_now()
    report = SendReport()
    lease = timedelta(seconds=settings.mail_lease_seconds)
    claim, ids = claim_due(engine, now, settings.mail_batch_size, lease, clock)
    stale = cancel_stale(engine, ids, claim, report)
    ready = _prepare(engine, [i for i in ids if i not in stale], claim, settings, now, report)
    report.merge(_send_share(engine, transport, ready, claim, settings, now))
    return report


@dataclass
class _Ready:
    row: OutboxMessage  # detached, as composed
    has_files: bool  # read one message at a time when sent: a batch of reports stays small


def _prepare(
    engine: Engine,
    ids: list[int],
    claim: str,
    settings: MailSettings,
    now: datetime,
    report: SendReport,
) -> list[_Ready]:
    """Read and compose the claimed rows in one transaction, committed before
    anything is sent (a re-send after a crash sends the same text and links)."""
    if not ids:
        return []
    with Session(engine) as session:
        rows = {r.id: r for r in session.exec(select(OutboxMessage).where(
            col(OutboxMessage.id).in_(ids), col(OutboxMessage.claim) == claim,
            col(OutboxMessage.status) == OutboxStatus.SENDING.value))}  # fmt: skip
        composed = [
            rows[i] for i in ids if i in rows and _composed(session, rows[i], settings, now)
        ]
        report.failed += sum(1 for i in ids if i in rows) - len(composed)
        session.commit()
        with_files = set(session.exec(select(OutboxAttachment.outbox_id).where(
            col(OutboxAttachment.outbox_id).in_([r.id for r in composed]))))  # fmt: skip
        ready = [_Ready(r, r.id in with_files) for r in composed]
        session.expunge_all()
    return ready


def _composed(session: Session, row: OutboxMessage, settings: MailSettings, now: datetime) -> bool:
    """Composed now if the event only recorded it as due; False if its template broke."""
    return row.due is None or compose_due(session, row, settings, now)


def _files(engine: Engine, row_id: int) -> list[Attachment]:
    with Session(engine) as session:
        return attachments_of(session, [row_id]).get(row_id, [])


class _Marks:
    """'sent' recorded for several messages in one commit (the commit is what a message
    costs on PostgreSQL). At most MARK_EVERY messages or MARK_SECONDS wait: a crash in
    that window re-sends them after the lease, under the same Message-IDs."""

    def __init__(self, engine: Engine, claim: str, now: datetime) -> None:
        self.engine, self.claim, self.now = engine, claim, now
        self.waiting: list[Sent] = []
        self.since = time.monotonic()

    def add(self, row: OutboxMessage, reply: str) -> None:
        self.waiting.append(Sent(row, reply))
        if len(self.waiting) >= MARK_EVERY or time.monotonic() - self.since >= MARK_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.waiting:
            mark_sent_batch(self.engine, self.claim, self.waiting, self.now)
        self.waiting, self.since = [], time.monotonic()


def _send_share(
    engine: Engine,
    transport: Transport,
    ready: list[_Ready],
    claim: str,
    settings: MailSettings,
    now: datetime,
) -> SendReport:
    """Send `ready` in order over one connection, opening a fresh one after a drop."""
    report, remaining, connections = SendReport(), list(ready), 0
    marks = _Marks(engine, claim, now)
    while remaining and connections <= MAX_RECONNECTS:
        connections += 1
        try:
            with transport.connect() as connection:
                while remaining:
                    item = remaining.pop(0)
                    if not _send_one(engine, connection, item, claim, settings, report, marks):
                        break  # that connection is gone: the rest go over a new one
        except (TemporaryFailure, PermanentFailure) as error:
            report.errors.append(f"cannot connect to the mail server: {error}")
            break
        finally:
            marks.flush()
    report.deferred += release(engine, [r.row.id for r in remaining if r.row.id], claim)
    return report


def transport_for(settings: MailSettings) -> Transport:
    if settings.mail_transport is MailTransport.NOTIFY:
        from notifications.notify import NotifyTransport

        return NotifyTransport(settings)
    return SmtpTransport(settings)


def release(engine: Engine, ids: list[int], claim: str) -> int:
    """Give back rows this run claimed but never tried: due again, no attempt charged."""
    if not ids:
        return 0
    with Session(engine) as session:
        result = session.execute(
            sa.update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids), col(OutboxMessage.claim) == claim)
            .where(col(OutboxMessage.status) == OutboxStatus.SENDING.value)
            .values(
                status=OutboxStatus.PENDING.value,
                lease_until=None,
                attempts=OutboxMessage.attempts - 1,
            )
        )
        session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]


def _send_one(
    engine: Engine,
    connection: Connection,
    item: _Ready,
    claim: str,
    settings: MailSettings,
    report: SendReport,
    marks: _Marks,
) -> bool:
    """Send one row; False when the connection failed under it (the row is charged)."""
    row_id = item.row.id or 0
    message = build_email(item.row, settings, _files(engine, row_id) if item.has_files else [])
    try:
        reply = connection.send(message)
    except (TemporaryFailure, PermanentFailure) as error:
        record_failure(engine, row_id, claim, error, settings, report, marks.now)
        return not isinstance(error, ConnectionLost)
    marks.add(item.row, reply)
    log.info("mail sent", extra={"outbox_id": row_id, "smtp_reply": reply[:80]})
    report.sent += 1
    return True
