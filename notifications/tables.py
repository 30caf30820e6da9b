"""Mail tables: the outbox and its attachments, link tokens, inbound mail and admin alerts.

Rows only. The outbox is written in the same transaction as the event that
causes each message; its unique `dedupe_key` means a listener that runs twice
for the same event never writes the same message twice.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from workflow.tables import JSONType, UTCDateTime

# SQL NULL (not JSON null) once composed, so "still due" is a plain IS NOT NULL.
DUE_TYPE = sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"  # a reminder whose stage moved on before it was sent


class InboundStatus(StrEnum):
    MATCHED = "matched"  # recorded on a challenge as a response
    QUARANTINED = "quarantined"  # kept for an admin, with the reason
    IGNORED = "ignored"  # auto-reply, bounce or loop: never moves a challenge
    ASSIGNED = "assigned"  # an admin attached it to a challenge by hand


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "mail_outbox"
    __table_args__ = (
        sa.Index("ix_mail_outbox_due", "status", "next_attempt_at"),
        sa.Index("ix_mail_outbox_challenge", "challenge_id", "event_seq"),
    )

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=250, unique=True)
    # challenge:seq:kind:recipient, or digest:week:recipient: one message per cause.
    dedupe_key: str = Field(max_length=250, unique=True)
    kind: str = Field(max_length=40)
    challenge_id: int | None = Field(default=None, foreign_key="challenge.id")
    event_seq: int | None = None
    recipient_id: int | None = Field(default=None, foreign_key="person.id")
    to_address: str = Field(max_length=320)
    copied: bool = False  # sent because the ladder copies this role
    subject: str = Field(max_length=400)
    body_text: str = Field(sa_type=sa.Text)
    body_html: str = Field(sa_type=sa.Text)
    headers: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    # Raw link tokens in the body; blanked once sent so the table never holds live links.
    secrets: list[str] = Field(default_factory=list, sa_type=JSONType)
    status: str = Field(default=OutboxStatus.PENDING.value, max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claim: str | None = Field(default=None, max_length=40)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    smtp_reply: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # An email that is due but not yet composed: what the event's transaction knew (the
    # challenge as the event left it, the event, whether it carries an answer link). The
    # sender renders subject and bodies from it, then clears it. None: already composed.
    due: dict[str, Any] | None = Field(default=None, sa_type=DUE_TYPE)


class OutboxAttachment(SQLModel, table=True):
    """A file sent with an outbox message, kept as bytes and read only when sending.

    Written in the same transaction as its message; `position` keeps the order."""

    __tablename__ = "mail_outbox_attachment"
    __table_args__ = (sa.Index("ix_mail_outbox_attachment_message", "outbox_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    outbox_id: int = Field(foreign_key="mail_outbox.id")
    position: int = 0
    filename: str = Field(max_length=255)
    media_type: str = Field(max_length=100)  # e.g. application/pdf
    size: int  # bytes, before transfer encoding
    content: bytes = Field(sa_type=sa.LargeBinary)


class LinkToken(SQLModel, table=True):
    """An opaque token, stored as its SHA-256, bound to one person, challenge, stage, action."""

    __tablename__ = "mail_link_token"
    __table_args__ = (sa.Index("ix_mail_link_token_stage", "challenge_id", "stage_key"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    purpose: str = Field(max_length=20)  # "link" (answer page) or "reply" (reply address)
    person_id: int = Field(foreign_key="person.id")
    challenge_id: int = Field(foreign_key="challenge.id")
    stage_key: str | None = Field(default=None, max_length=60)
    stage_started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    action: str = Field(max_length=30)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class InboundMail(SQLModel, table=True):
    """Every message that came in, raw, with what we did with it. Nothing is dropped."""

    __tablename__ = "mail_inbound"
    __table_args__ = (sa.Index("ix_mail_inbound_status", "status", "received_at"),)

    id: int | None = Field(default=None, primary_key=True)
    raw_sha256: str = Field(max_length=64, unique=True)
    raw: bytes = Field(sa_type=sa.LargeBinary)
    source: str = Field(max_length=20)  # imap, smtp, test
    received_at: datetime = Field(sa_type=UTCDateTime)
    message_id: str | None = Field(default=None, max_length=500, index=True)
    from_address: str = Field(default="", max_length=320)
    subject: str = Field(default="", max_length=1000)
    status: str = Field(max_length=20)
    reason: str = Field(default="", sa_type=sa.Text)
    matched_by: str | None = Field(default=None, max_length=20)
    challenge_id: int | None = Field(default=None, foreign_key="challenge.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    assigned_by_id: int | None = Field(default=None, foreign_key="person.id")
    reply_text: str = Field(default="", sa_type=sa.Text)


class MailAlert(SQLModel, table=True):
    """Something an admin must look at: a bounce, a message we gave up on."""

    __tablename__ = "mail_alert"
    __table_args__ = (sa.Index("ix_mail_alert_open", "resolved_at", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30)  # bounce, send_failed, no_address
    message: str = Field(sa_type=sa.Text)
    outbox_id: int | None = Field(default=None, foreign_key="mail_outbox.id")
    inbound_id: int | None = Field(default=None, foreign_key="mail_inbound.id")
    challenge_id: int | None = Field(default=None, foreign_key="challenge.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
