"""What an admin sees and does about mail: failed messages, alerts, quarantine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from notifications.sender import retry_failed
from notifications.tables import (
    InboundMail,
    InboundStatus,
    MailAlert,
    OutboxMessage,
    OutboxStatus,
)

__all__ = ["MailOverview", "mail_overview", "resolve_alert", "retry_failed"]


@dataclass(frozen=True)
class MailOverview:
    failed: list[OutboxMessage]
    alerts: list[MailAlert]
    quarantine: list[InboundMail]
    pending: int


def mail_overview(session: Session, limit: int = 200) -> MailOverview:
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
    return MailOverview(list(failed), list(alerts), list(quarantine), int(pending))


def resolve_alert(engine: Engine, alert_id: int, now: datetime) -> bool:
    with Session(engine) as session:
        result = session.execute(
            sa.update(MailAlert)
            .where(col(MailAlert.id) == alert_id, col(MailAlert.resolved_at).is_(None))
            .values(resolved_at=now)
        )
        session.commit()
        return bool(result.rowcount)  # type: ignore[attr-defined]
