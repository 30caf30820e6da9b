"""A message that did not go: back-off, giving up with an admin alert, an admin's retry."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from notifications.settings import MailSettings
from notifications.tables import MailAlert, OutboxMessage, OutboxStatus
from notifications.transport import PermanentFailure

if TYPE_CHECKING:
    from notifications.sender import SendReport

log = logging.getLogger("iro_disputes.mail")

BACKOFF_SECONDS = (60, 300, 900, 1800, 3600, 7200, 14400)


def record_failure(
    engine: Engine,
    row_id: int,
    claim: str,
    error: Exception,
    settings: MailSettings,
    report: SendReport,
    now: datetime,
) -> None:
    """A message the relay refused, or lost the connection under: retried with back-off,
    or given up on (permanent, or out of attempts) with an admin alert."""
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
            log.error("mail failed: given up", extra={"outbox_id": row_id, "kind": row.kind,
                      "attempts": row.attempts, "error": str(error)[:300]})  # fmt: skip
        else:
            row.status = OutboxStatus.PENDING.value
            row.next_attempt_at = now + timedelta(seconds=backoff(row.attempts))
            report.retrying += 1
            log.warning("mail to retry", extra={"outbox_id": row_id, "kind": row.kind,
                        "attempts": row.attempts, "error": str(error)[:300],
                        "next_attempt_at": row.next_attempt_at.isoformat()})  # fmt: skip
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
