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
send; losing a challenge email is worse than a rare duplicate.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from notifications.attachments import Attachment, attachments_for
from notifications.composing import compose_due
from notifications.settings import MailSettings, get_mail_settings
from notifications.tables import MailAlert, OutboxMessage, OutboxStatus
from notifications.transport import (
    Connection,
    ConnectionLost,
    PermanentFailure,
    SmtpTransport,
    TemporaryFailure,
    Transport,
)
from workflow.tables import utc_now

BACKOFF_SECONDS = (60, 300, 900, 1800, 3600, 7200, 14400)


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
    errors: list[str] = field(default_factory=list)


def claim_due(engine: Engine, now: datetime, limit: int, lease: timedelta) -> tuple[str, list[int]]:
    """Mark up to `limit` due rows 'sending' under a fresh claim id, and commit."""
    claim = uuid.uuid4().hex
    due = sa.or_(
        sa.and_(
            col(OutboxMessage.status) == OutboxStatus.PENDING.value,
            col(OutboxMessage.next_attempt_at) <= now,
        ),
        # A sender died holding these: its lease is up, so they are due again.
        sa.and_(
            col(OutboxMessage.status) == OutboxStatus.SENDING.value,
            col(OutboxMessage.lease_until) <= now,
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
                    lease_until=now + lease,
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
) -> SendReport:
    """Send every due outbox row once; one SMTP connection per batch."""
    settings = settings or get_mail_settings()
    transport = transport or SmtpTransport(settings)
    now = now or utc_now()
    report = SendReport()
    claim, ids = claim_due(
        engine, now, settings.mail_batch_size, timedelta(seconds=settings.mail_lease_seconds)
    )
    if not ids:
        return report
    try:
        with transport.connect() as connection:
            for row_id in ids:
                _send_one(engine, connection, row_id, claim, settings, report, now)
    except (TemporaryFailure, PermanentFailure) as error:
        # Could not connect at all: every claimed row not yet handled goes back to retry.
        for row_id in ids:
            _failed(engine, row_id, claim, TemporaryFailure(str(error)), settings, report, now)
    return report


def _send_one(
    engine: Engine,
    connection: Connection,
    row_id: int,
    claim: str,
    settings: MailSettings,
    report: SendReport,
    now: datetime,
) -> None:
    with Session(engine) as session:
        row = session.get(OutboxMessage, row_id)
        if row is None or row.claim != claim or row.status != OutboxStatus.SENDING.value:
            return
        if row.due is not None:  # recorded as due by the event; composed here, once
            composed = compose_due(session, row, settings, now)
            session.commit()
            if not composed:
                report.failed += 1
                return
        message = build_email(row, settings, attachments_for(session, row_id))
    try:
        reply = connection.send(message)
    except (TemporaryFailure, PermanentFailure) as error:
        _failed(engine, row_id, claim, error, settings, report, now)
        if isinstance(error, ConnectionLost):
            raise
        return
    mark_sent(engine, row_id, claim, reply, now)
    report.sent += 1


def mark_sent(
    engine: Engine, row_id: int, claim: str, reply: str, now: datetime | None = None
) -> None:
    """Record delivery to the server, and blank the live links kept in the body."""
    with Session(engine) as session:
        row = session.get(OutboxMessage, row_id)
        if row is None or row.claim != claim:
            return
        text, html = row.body_text, row.body_html
        for secret in row.secrets:
            text = text.replace(secret, "(link removed after sending)")
            html = html.replace(secret, "(link removed after sending)")
        row.body_text, row.body_html, row.secrets = text, html, []
        row.status, row.sent_at, row.lease_until = OutboxStatus.SENT.value, now or utc_now(), None
        row.smtp_reply, row.last_error = reply[:500], None
        session.add(row)
        session.commit()


def _failed(
    engine: Engine,
    row_id: int,
    claim: str,
    error: Exception,
    settings: MailSettings,
    report: SendReport,
    now: datetime,
) -> None:
    with Session(engine) as session:
        row = session.get(OutboxMessage, row_id)
        if row is None or row.claim != claim or row.status != OutboxStatus.SENDING.value:
            return
        row.last_error, row.lease_until = str(error)[:2000], None
        give_up = isinstance(error, PermanentFailure) or row.attempts >= settings.mail_max_attempts
        if give_up:
            row.status = OutboxStatus.FAILED.value
            session.add(
                MailAlert(
                    kind="send_failed",
                    message=f"Gave up sending '{row.subject}' to {row.to_address} after "
                    f"{row.attempts} attempt(s): {error}",
                    outbox_id=row.id,
                    challenge_id=row.challenge_id,
                    created_at=now,
                )
            )
            report.failed += 1
        else:
            row.status = OutboxStatus.PENDING.value
            row.next_attempt_at = now + timedelta(seconds=backoff(row.attempts))
            report.retrying += 1
        report.errors.append(str(error))
        session.add(row)
        session.commit()


def backoff(attempts: int) -> int:
    return BACKOFF_SECONDS[min(max(attempts, 1), len(BACKOFF_SECONDS)) - 1]


def retry_failed(engine: Engine, row_id: int, now: datetime) -> bool:
    """An admin's 'try again' on a failed message."""
    with Session(engine) as session:
        result = session.execute(
            sa.update(OutboxMessage)
            .where(col(OutboxMessage.id) == row_id)
            .where(col(OutboxMessage.status) == OutboxStatus.FAILED.value)
            .values(status=OutboxStatus.PENDING.value, next_attempt_at=now, attempts=0)
        )
        session.commit()
        return bool(result.rowcount)  # type: ignore[attr-defined]
