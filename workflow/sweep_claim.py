"""The sweep's claim: reserve the oldest due deadlines for one worker, in due order.

One short transaction: the oldest due rows nobody holds a live lease on (on PostgreSQL
`FOR UPDATE SKIP LOCKED`, so several workers share the work) get this worker's name and
a lease on the wall clock, so a worker that dies leaves them claimable again once the
lease runs out. `workflow.sweep` then fires what it claimed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from workflow.batch_sql import PerDialect
from workflow.deadline_planner import DEADLINE
from workflow.deadline_settings import DeadlineSettings
from workflow.deadline_tables import DeadlineKind, DeadlineStatus
from workflow.runtime import Runtime

CHALLENGE: sa.Table = SQLModel.metadata.tables["challenge"]
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Claim:
    id: int
    challenge_id: int
    reference: str
    kind: str
    due_at: datetime
    state: str
    stage_key: str | None
    applies_to_due_at: datetime
    label: str
    attempts: int


def claim(
    runtime: Runtime, now: datetime, worker: str, settings: DeadlineSettings, wall_clock: Clock
) -> list[Claim]:
    """Reserve the oldest due deadlines nobody holds a live lease on."""
    wall = wall_clock()
    values = {"now": now, "wall": wall, "limit": settings.batch_size}
    with runtime.engine.begin() as conn:
        pg = conn.dialect.name == "postgresql"
        ids = _in_due_order(conn.execute(_DUE_LOCKED if pg else _DUE, values).all())
        if not ids:
            return []
        lease = wall + timedelta(seconds=settings.lease_seconds)
        conn.execute(_LEASE.on(conn), {"ids": ids, "worker": worker, "lease": lease})
        rows = conn.execute(_CLAIMED.on(conn), {"ids": ids})
        return [Claim(*tuple(row)) for row in rows]


def _in_due_order(due: Sequence[Any]) -> list[int]:
    """The ids to claim: the batch stops before a row due after a deadline that a
    reminder in it may plan (the next reminder point or timeout, due by the stage's due
    date), so that after downtime every deadline still fires in due order."""
    ids: list[int] = []
    before: datetime | None = None
    for row in due:
        if before is not None and row.next_attempt_at > before:
            break
        ids.append(row.id)
        if row.kind == DeadlineKind.REMINDER:
            stage_due = row.applies_to_due_at
            before = stage_due if before is None else min(before, stage_due)
    return ids


_DUE = (
    sa.select(
        DEADLINE.c.id, DEADLINE.c.kind, DEADLINE.c.next_attempt_at, DEADLINE.c.applies_to_due_at
    )
    .where(DEADLINE.c.status == DeadlineStatus.PENDING)
    .where(DEADLINE.c.next_attempt_at <= sa.bindparam("now"))
    .where(sa.or_(DEADLINE.c.lease_until.is_(None), DEADLINE.c.lease_until < sa.bindparam("wall")))
    .order_by(DEADLINE.c.next_attempt_at, DEADLINE.c.id)
    .limit(sa.bindparam("limit"))
)
_DUE_LOCKED = _DUE.with_for_update(skip_locked=True)
_LEASE = PerDialect(
    lambda in_set: (
        sa.update(DEADLINE)
        .where(in_set(DEADLINE.c.id, "ids"))
        .values(claimed_by=sa.bindparam("worker"), lease_until=sa.bindparam("lease"))
    )
)
# In the order of `Claim`'s fields.
_CLAIMED = PerDialect(
    lambda in_set: (
        sa.select(
            DEADLINE.c.id,
            DEADLINE.c.challenge_id,
            CHALLENGE.c.reference,
            DEADLINE.c.kind,
            DEADLINE.c.due_at,
            DEADLINE.c.state,
            DEADLINE.c.stage_key,
            DEADLINE.c.applies_to_due_at,
            DEADLINE.c.label,
            DEADLINE.c.attempts,
        )
        .join(CHALLENGE, CHALLENGE.c.id == DEADLINE.c.challenge_id)
        .where(in_set(DEADLINE.c.id, "ids"))
        .order_by(DEADLINE.c.next_attempt_at, DEADLINE.c.id)
    )
)
