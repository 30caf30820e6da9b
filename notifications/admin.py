"""What an admin sees and does about mail: failed messages, alerts, quarantine."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from notifications.answer import answer_params
from notifications.send_failures import retry_failed
from notifications.tables import (
    InboundMail,
    InboundStatus,
    MailAlert,
    OutboxMessage,
    OutboxStatus,
)
from workflow.tables import ChallengeRecord

__all__ = ["MailOverview", "mail_overview", "resolve_alert", "retry_failed"]


@dataclass(frozen=True)
class Suggestion:
    """What the assign form starts with: the challenge we matched and the text as read."""

    reference: str
    response: str
    actions: str
    target_date: str


@dataclass(frozen=True)
class MailOverview:
    failed: list[OutboxMessage]
    alerts: list[MailAlert]
    quarantine: list[InboundMail]
    pending: int
    suggestions: dict[int, Suggestion] = field(default_factory=dict)
    # Each failed message's subject, or for one never composed (the sender writes the
    # subject when it sends) what kind of message it is and about which challenge.
    subjects: dict[int, str] = field(default_factory=dict)


# The kinds of message a challenge's events cause, in words, for a message not yet written.
KIND_WORDS = {
    "stage_opened": "Challenge raised or escalated",
    "reminder": "Reminder: response due",
    "decision_awaited": "No response in time: decision needed",
    "response_received": "Response received",
    "resolved": "Challenge resolved",
    "withdrawn": "Challenge withdrawn",
    "cap_passed": "Over the working day limit",
}
NOT_WRITTEN = "(written when sent)"


def subjects_shown(session: Session, rows: list[OutboxMessage]) -> dict[int, str]:
    """The subject of each row, or "[IRO-2026-0012] Response received (written when sent)"
    for a row whose email has not been composed yet."""
    ids = {r.challenge_id for r in rows if r.due is not None and r.challenge_id is not None}
    found = session.exec(
        select(ChallengeRecord.id, ChallengeRecord.reference).where(
            col(ChallengeRecord.id).in_(ids)
        )
    ).all()
    references: dict[int | None, str] = {id_: ref for id_, ref in found}
    shown: dict[int, str] = {}
    for row in rows:
        assert row.id is not None
        if row.due is None:
            shown[row.id] = row.subject
            continue
        words = KIND_WORDS.get(row.kind, row.kind.replace("_", " ").capitalize())
        reference = references.get(row.challenge_id)
        shown[row.id] = f"{f'[{reference}] ' if reference else ''}{words} {NOT_WRITTEN}"
    return shown


def mail_overview(session: Session, limit: int = 200, now: datetime | None = None) -> MailOverview:
    failed = session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.FAILED.value)
        .order_by(col(OutboxMessage.created_at).desc())
        .limit(limit)
    ).all()
    alerts = session.exec(
        select(MailAlert)
        .where(col(MailAlert.resolved_at).is_(None))
        .order_by(col(MailAlert.created_at).desc())
        .limit(limit)
    ).all()
    quarantine = session.exec(
        select(InboundMail)
        .where(InboundMail.status == InboundStatus.QUARANTINED.value)
        .order_by(col(InboundMail.received_at).desc())
        .limit(limit)
    ).all()
    pending = session.execute(
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(col(OutboxMessage.status).in_([OutboxStatus.PENDING.value, "sending"]))
    ).scalar_one()
    return MailOverview(
        list(failed), list(alerts), list(quarantine), int(pending),
        suggestions(session, list(quarantine), now or datetime.now(UTC)),
        subjects_shown(session, list(failed)),
    )  # fmt: skip


def suggestions(session: Session, rows: list[InboundMail], now: datetime) -> dict[int, Suggestion]:
    ids = {r.challenge_id for r in rows if r.challenge_id is not None}
    references = dict(
        session.exec(
            select(ChallengeRecord.id, ChallengeRecord.reference).where(col(ChallengeRecord.id).in_(ids))
        ).all()
    ) if ids else {}  # fmt: skip
    found = {}
    for row in rows:
        assert row.id is not None
        params = answer_params(row.reply_text, now)
        found[row.id] = Suggestion(
            reference=references.get(row.challenge_id or -1, ""),
            response=str(params["response"]),
            actions=str(params["actions"]) if params["actions"] != params["response"] else "",
            target_date=str(params["target_date"] or ""),
        )
    return found


def resolve_alert(engine: Engine, alert_id: int, now: datetime) -> bool:
    with Session(engine) as session:
        result = session.execute(
            sa.update(MailAlert)
            .where(col(MailAlert.id) == alert_id, col(MailAlert.resolved_at).is_(None))
            .values(resolved_at=now)
        )
        session.commit()
        return bool(result.rowcount)  # type: ignore[attr-defined]
