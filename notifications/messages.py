"""Messages from workflow events: the outbox records, in the event's transaction,
that an email is due; the sender composes and renders it (`notifications.composing`).

`on_events` is a unit-of-work listener (handed in by `api.wiring.build`). For each
event it decides who must hear about it (`notifications.recipients`) and writes one
outbox row per recipient holding what the transaction knows: the challenge as the
event left it, the event, whether the message carries an answer link. Nothing is
looked up for the text or rendered: a person's action, or a sweep's batch, pays for
a few rows, not for templates. Each row's `dedupe_key` (challenge, event number,
kind, recipient) is unique and the insert skips a key already there, so a listener
that runs twice for the same events writes nothing more.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, select

from notifications.attachments import Attachment, add_attachments, check_attachments
from notifications.links import expire_ended_stages
from notifications.recipients import Lookup, Outgoing, Recipient, ladder_for, plan, unique
from notifications.rendering import render
from notifications.settings import MailSettings, get_mail_settings
from notifications.tables import OutboxMessage, OutboxStatus
from workflow.domain import Challenge, NewEvent
from workflow.prepared import Prepared
from workflow.replay import encode
from workflow.rows import connection_of
from workflow.states import State
from workflow.tables import Person, utc_now

__all__ = ["add_message", "ladder_for", "on_events", "queue_message"]

_OUTBOX: sa.Table = SQLModel.metadata.tables["mail_outbox"]
# Built once per dialect: an INSERT that skips a dedupe key already written.
_INSERTS: dict[str, sa.Insert] = {
    "postgresql": postgresql.insert(_OUTBOX).on_conflict_do_nothing(index_elements=["dedupe_key"]),
    "sqlite": sqlite.insert(_OUTBOX).on_conflict_do_nothing(index_elements=["dedupe_key"]),
}

_ROW_KEYS = ("message_id", "dedupe_key", "kind", "challenge_id", "event_seq", "recipient_id",
             "to_address", "copied", "subject", "body_text", "body_html", "headers", "secrets",
             "status", "attempts", "next_attempt_at", "created_at", "due")  # fmt: skip
_INSERT_ROWS = {name: Prepared(insert, _ROW_KEYS) for name, insert in _INSERTS.items()}


def on_events(session: Session, appended: list[tuple[Challenge, list[NewEvent]]]) -> None:
    """The unit of work's listener: record the emails that what was appended makes due."""
    settings = get_mail_settings()
    lookup = Lookup(session, {challenge.child_id for challenge, _ in appended})
    rows: list[dict[str, Any]] = []
    moved: list[tuple[Challenge, datetime]] = []
    wall = utc_now()  # one reading for the call: a batch's rows share their moment
    for challenge, events in appended:
        # The event's own clock when it is ahead of ours (a test, a sweep catching up).
        now = max([wall, *(e.occurred_at for e in events)])
        if _may_end_a_stage(events):
            moved.append((challenge, now))
        first_seq = challenge.version - len(events) + 1
        for offset, event in enumerate(events):
            rows.extend(due_rows(lookup, settings, challenge, first_seq + offset, event, now))
    if moved:
        expire_ended_stages(session, moved)
    if rows:
        connection = connection_of(session)
        _INSERT_ROWS[connection.dialect.name].insert_rows(connection, rows)


def _may_end_a_stage(events: list[NewEvent]) -> bool:
    """A new challenge has no tokens yet; a recording action moves nothing."""
    return any(
        e.from_state != State.NEW and (e.from_state != e.to_state or "stage_key" in e.changes
                                       or "stage_started_at" in e.changes)
        for e in events
    )  # fmt: skip


def due_rows(
    lookup: Lookup,
    settings: MailSettings,
    challenge: Challenge,
    seq: int,
    event: NewEvent,
    now: datetime,
) -> list[dict[str, Any]]:
    """One outbox row per person who must hear of `event`, each still to be composed."""
    outgoing = plan(lookup, challenge, event)
    if outgoing is None:
        return []
    state = snapshot(challenge, event)
    return [
        _due_row(settings, challenge, seq, outgoing, recipient, state, now)
        for recipient in unique(outgoing.recipients)
    ]


def snapshot(c: Challenge, event: NewEvent) -> dict[str, Any]:
    """What a message says that may change later, as the event left it."""
    challenge = encode(
        {
            "state": c.state,
            "stage_key": c.stage_key,
            "stage_started_at": c.stage_started_at,
            "due_at": c.due_at,
            "cap_due_at": c.cap_due_at,
            "outcome": c.outcome,
            "responder_id": c.responder_id,
        }
    )
    return {
        "challenge": challenge,
        "event": {
            "kind": event.kind,
            "occurred_at": event.occurred_at.isoformat(),
            "details": encode(event.details),
        },
    }


def _due_row(
    settings: MailSettings,
    c: Challenge,
    seq: int,
    outgoing: Outgoing,
    recipient: Recipient,
    state: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    person = recipient.person
    answers = recipient.answers and not recipient.copied
    return {
        "message_id": _message_id(settings),
        "dedupe_key": f"c{c.id}:{seq}:{outgoing.kind}:{person.id}",
        "kind": outgoing.kind,
        "challenge_id": c.id,
        "event_seq": seq,
        "recipient_id": person.id,
        "to_address": person.email,
        "copied": recipient.copied,
        "subject": "",
        "body_text": "",
        "body_html": "",
        "headers": headers(settings, c.reference),
        "secrets": [],
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "due": {**state, "answers": answers, "extra": outgoing.extra},
    }


def _message_id(settings: MailSettings) -> str:
    return f"<iro-disputes.{_RANDOM_IDS.take()}@{settings.message_id_domain}>"


class _RandomIds:
    """128 random bits as 32 hex digits each, drawn from the OS 256 at a time: a sweep's
    batch queues hundreds of emails (0.3 µs each, against 1.4 µs for `uuid4().hex`).
    A forked process starts with none, so two processes never hand out the same."""

    _AT_ONCE = 256

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._left: list[str] = []
        os.register_at_fork(after_in_child=self._left.clear)

    def take(self) -> str:
        with self._lock:
            if not self._left:
                drawn = os.urandom(16 * self._AT_ONCE).hex()
                self._left.extend(drawn[i : i + 32] for i in range(0, len(drawn), 32))
            return self._left.pop()


_RANDOM_IDS = _RandomIds()


def headers(
    settings: MailSettings, reference: str | None, reply_to: str | None = None
) -> dict[str, str]:
    found = {
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
        "Reply-To": reply_to or f"{settings.reply_local}@{settings.reply_domain}",
    }
    if reference is not None:
        found["X-IRO-Disputes-Reference"] = reference
    return found


def add_message(
    session: Session,
    settings: MailSettings,
    *,
    kind: str,
    key: str,
    to: Person,
    subject: str,
    text: str,
    html: str,
    now: datetime,
    challenge: Challenge | None = None,
    seq: int | None = None,
    copied: bool = False,
    reply_to: str | None = None,
    secrets: list[str] | None = None,
    attachments: Sequence[Attachment] = (),
) -> OutboxMessage:
    """Add one message to the outbox in `session`: the caller's transaction commits it.

    Attachments are checked first (`AttachmentRefused`, `AttachmentTooLarge`), so a
    refused message writes nothing."""
    check_attachments(key, attachments, settings)
    message_id = _message_id(settings)
    row = OutboxMessage(
        message_id=message_id,
        dedupe_key=key,
        kind=kind,
        challenge_id=challenge.id if challenge else None,
        event_seq=seq,
        recipient_id=to.id,
        to_address=to.email,
        copied=copied,
        subject=subject[:400],
        body_text=text,
        body_html=html,
        headers=headers(settings, challenge.reference if challenge else None, reply_to),
        secrets=secrets or [],
        status=OutboxStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    add_attachments(session, row, attachments)
    return row


def queue_message(
    session: Session,
    settings: MailSettings,
    *,
    kind: str,
    key: str,
    to: Person,
    context: dict[str, Any],
    now: datetime,
    attachments: Sequence[Attachment] = (),
) -> OutboxMessage | None:
    """Render `kind`'s templates with `context` and queue the message with its attachments,
    in the caller's session and transaction. None when `key` is already in the outbox: one
    message per cause, however often the caller runs."""
    if session.exec(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)).first():
        return None
    rendered = render(kind, context, settings.mail_templates_dir)
    return add_message(session, settings, kind=kind, key=key, to=to, subject=rendered.subject,
                       text=rendered.text, html=rendered.html, now=now,
                       attachments=attachments)  # fmt: skip
