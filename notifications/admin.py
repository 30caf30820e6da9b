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
