"""The stage clock's next deadline, planned when the one before it fires.

A challenge keeps one pending row per clock (`deadline_planner.next_of_each_clock`):
its next reminder point, or its timeout once no reminder point is left. When a reminder
fires, the sweep plans what follows it, in the same transaction as the reminder's
event, so the chain can neither break nor double: the next reminder point after it, or
the stage's timeout.

A reminder that fails is chained at once as well (a failing or stuck reminder must not
hold back the timeout after it), and once more if it fires after failing; those two
look first for a row already planned, which a first firing never needs to.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from workflow.batch_sql import PerDialect
from workflow.deadline_planner import (
    DEADLINE,
    PlannedDeadline,
    insert_rows,
    ladder_for,
    planned,
    row_for,
)
from workflow.deadline_tables import DeadlineKind, DeadlineStatus
from workflow.domain import Challenge
from workflow.tables import utc_now


def plan_after(
    session: Session, fired: list[tuple[Challenge, datetime]], look_first: bool = False
) -> None:
    """Plan the stage clock's deadline after each reminder point in `fired` (the
    challenge, as the reminder left it, and the reminder's due time).

    `look_first`: skip a deadline already planned (pending, done or stuck): for a
    reminder that failed before, whose next deadline was planned at its first failure.
    """
    if not fired:
        return
    nexts = [(c, p) for c, after in fired if (p := next_after(session, c, after)) is not None]
    if look_first and nexts:
        there = _planned_already(session, [c.id for c, _ in nexts])
        nexts = [(c, p) for c, p in nexts if (c.id, p.kind.value, p.due_at, p.label) not in there]
    wall = utc_now()
    insert_rows(session.connection(), [row_for(c, p, wall) for c, p in nexts])


def next_after(session: Session, c: Challenge, after: datetime) -> PlannedDeadline | None:
    """The stage clock's first deadline due after `after` (a reminder point that fired):
    the next reminder point, or the timeout. Points after one that was planned were
    planned too: later than it, they are later than the event that set the date."""
    plans = planned(c, ladder_for(session, c.ladder_hash), after)
    later = [p for p in plans if p.kind is not DeadlineKind.CAP and p.due_at > after]
    return min(later, key=lambda p: p.due_at) if later else None


def _planned_already(
    session: Session, challenge_ids: list[int | None]
) -> set[tuple[int | None, str, datetime, str]]:
    connection = session.connection()
    rows = connection.execute(_PLANNED.on(connection), {"challenges": challenge_ids})
    return {(r.challenge_id, r.kind, r.due_at, r.label) for r in rows}


_LIVE = [DeadlineStatus.PENDING.value, DeadlineStatus.DONE.value, DeadlineStatus.STUCK.value]
_PLANNED = PerDialect(
    lambda in_set: (
        sa.select(DEADLINE.c.challenge_id, DEADLINE.c.kind, DEADLINE.c.due_at, DEADLINE.c.label)
        .where(in_set(DEADLINE.c.challenge_id, "challenges"))
        .where(DEADLINE.c.status.in_(_LIVE))
    )
)
