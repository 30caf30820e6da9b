"""Read side of the deadlines: what is upcoming, overdue and stuck, and why.

A challenge's stage clock has one row at a time (its next reminder point, or its
timeout); the deadlines after a pending reminder are planned when it fires. The
upcoming list shows them all the same, worked out from the ladder as the sweep will
plan them, so what an operator sees does not depend on how far the chain has got.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from workflow.deadline_next import next_after
from workflow.deadline_planner import DEADLINE
from workflow.deadline_tables import DeadlineKind, DeadlineStatus
from workflow.repository import challenge_from_row
from workflow.runtime import Runtime

CHALLENGE: sa.Table = SQLModel.metadata.tables["challenge"]


@dataclass(frozen=True)
class DeadlineView:
    section: str  # stuck, overdue, upcoming
    reference: str
    kind: str
    label: str
    stage_key: str | None
    due_at: datetime
    attempts: int
    reason: str

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["due_at"] = self.due_at.isoformat()
        return data


def deadline_overview(runtime: Runtime, now: datetime, upcoming: int = 20) -> list[DeadlineView]:
    """Stuck deadlines, then overdue ones (oldest first), then the next `upcoming`."""
    d = DEADLINE
    columns = (CHALLENGE.c.reference, d.c.kind, d.c.label, d.c.stage_key, d.c.due_at,
               d.c.attempts, d.c.status, d.c.next_attempt_at, d.c.last_error,
               d.c.claimed_by, d.c.lease_until, d.c.applies_to_due_at)  # fmt: skip
    base = sa.select(*columns).join(CHALLENGE, CHALLENGE.c.id == d.c.challenge_id)
    pending = base.where(d.c.status == DeadlineStatus.PENDING)
    with runtime.engine.connect() as conn:
        stuck = conn.execute(base.where(d.c.status == DeadlineStatus.STUCK).order_by(d.c.due_at))
        views = [_view("stuck", r, now) for r in stuck]
        overdue = conn.execute(pending.where(d.c.due_at <= now).order_by(d.c.due_at, d.c.id))
        views += [_view("overdue", r, now) for r in overdue]
        later = pending.where(d.c.due_at > now).order_by(d.c.due_at, d.c.id).limit(upcoming)
        ahead = [_view("upcoming", r, now) for r in conn.execute(later)]
    seen = {(v.reference, v.kind, v.due_at, v.label) for v in ahead}
    until = ahead[-1].due_at if len(ahead) == upcoming else None
    ahead += [  # a failed reminder's next deadline has its row already
        v for v in _planned_later(runtime, now, until)
        if (v.reference, v.kind, v.due_at, v.label) not in seen
    ]  # fmt: skip
    return views + sorted(ahead, key=lambda v: v.due_at)[:upcoming]


def _planned_later(runtime: Runtime, now: datetime, until: datetime | None) -> list[DeadlineView]:
    """The deadlines after each pending reminder (not rows yet), due after `now` and, when
    the list is full, before `until`: one after a later reminder cannot make the list."""
    d = DEADLINE
    heads = (
        sa.select(CHALLENGE, d.c.due_at.label("reminder_due_at"))
        .join(CHALLENGE, CHALLENGE.c.id == d.c.challenge_id)
        .where(d.c.status == DeadlineStatus.PENDING, d.c.kind == DeadlineKind.REMINDER)
        .where(d.c.applies_to_due_at > now)
    )
    if until is not None:
        heads = heads.where(d.c.due_at < until)
    views: list[DeadlineView] = []
    with Session(runtime.engine) as session:
        for row in session.connection().execute(heads).all():
            challenge, after = challenge_from_row(row), row.reminder_due_at
            while (p := next_after(session, challenge, after)) is not None:
                if p.due_at > now:
                    reason = (f"{_belongs(p.kind, p.label)} at {p.applies_to_due_at.isoformat()} "
                              f"(stage {challenge.stage_key}); planned when the one before it fires")  # fmt: skip
                    views.append(DeadlineView("upcoming", challenge.reference, p.kind.value,
                                              p.label, challenge.stage_key, p.due_at, 0, reason))  # fmt: skip
                after = p.due_at
    return views


def _view(section: str, r: Any, now: datetime) -> DeadlineView:
    return DeadlineView(section, r.reference, r.kind, r.label, r.stage_key, r.due_at,
                        r.attempts, _reason(section, r, now))  # fmt: skip


def _reason(section: str, r: Any, now: datetime) -> str:
    belongs = _belongs(r.kind, r.label)
    if section == "stuck":
        return f"gave up after {r.attempts} failed attempts; last error: {r.last_error}"
    if section == "upcoming":
        return f"{belongs} at {r.applies_to_due_at.isoformat()} (stage {r.stage_key})"
    if r.lease_until is not None and r.lease_until > now and r.claimed_by:
        return f"being fired by worker {r.claimed_by} (lease until {r.lease_until.isoformat()})"
    if r.attempts:
        return (
            f"failed {r.attempts} time(s), next attempt at {r.next_attempt_at.isoformat()}; "
            f"last error: {r.last_error}"
        )
    late = int((now - r.due_at).total_seconds())
    return f"{late} s past due, waiting for the next sweep (is a worker running?)"


def _belongs(kind: str, label: str) -> str:
    return f"belongs to {label}" if kind != "timeout" else label
