"""No stale mail: a reminder whose stage has moved on is not sent.

After downtime the deadline sweep catches up in due order, so a stage's reminder
can be queued moments before the same stage times out or is answered. At send
time a reminder is stale when anything has happened to its challenge since the
event that queued it; it is marked cancelled with the reason, never sent.
"""

from __future__ import annotations

from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from notifications.tables import OutboxMessage, OutboxStatus
from workflow.tables import ChallengeEvent

STALE_KINDS = ("reminder",)


class _Counts(Protocol):
    cancelled: int


def stale_ids(session: Session, ids: list[int]) -> list[int]:
    later = (
        sa.select(col(ChallengeEvent.id))
        .where(
            col(ChallengeEvent.challenge_id) == col(OutboxMessage.challenge_id),
            col(ChallengeEvent.seq) > col(OutboxMessage.event_seq),
        )
        .exists()
    )
    query = sa.select(col(OutboxMessage.id)).where(
        col(OutboxMessage.id).in_(ids), col(OutboxMessage.kind).in_(STALE_KINDS), later
    )
    return [int(i) for i in session.execute(query).scalars()]


def cancel_stale(engine: Engine, ids: list[int], claim: str, report: _Counts) -> set[int]:
    """Cancel the stale reminders among the rows this run claimed; their ids."""
    if not ids:
        return set()
    with Session(engine) as session:
        stale = stale_ids(session, ids)
        if stale:
            session.execute(
                sa.update(OutboxMessage)
                .where(col(OutboxMessage.id).in_(stale), col(OutboxMessage.claim) == claim)
                .values(
                    status=OutboxStatus.CANCELLED.value,
                    lease_until=None,
                    last_error="not sent: the stage moved on before it went",
                )
            )
            session.commit()
    report.cancelled += len(stale)
    return set(stale)
