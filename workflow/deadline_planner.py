"""Plan a challenge's deadlines in the same transaction as the event that set them.

`plan_deadlines` is a unit-of-work listener (see `workflow.unit_of_work`): for every
challenge whose state, stage or due dates an event changed, it cancels the rows that
no longer apply and plans new ones from the ladder version the challenge started
under: the ladder's reminder points, the stage (or informal) timeout, and the overall
cap while the formal process is open. A row already fired is never planned again.

Only the next deadline of each clock gets a row: the stage clock's first reminder point
(or its timeout when none is left) and the cap. When a reminder fires, the sweep plans
the one after it in the same transaction (`workflow.deadline_next`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from escalation_rules.deadlines import DeadlineRules
from escalation_rules.loader import parse_ladder
from escalation_rules.model import Ladder, Reminder
from workflow.batch_sql import OverArrays, PerDialect
from workflow.deadline_tables import DeadlineKind, DeadlineRecord, DeadlineStatus
from workflow.domain import Challenge, NewEvent
from workflow.lifecycle import lifecycle_for
from workflow.prepared import Prepared
from workflow.repository import challenge_from_row
from workflow.states import CLOCK_RUNNING_STATES, OPEN_STATES, State
from workflow.tables import LadderVersion, utc_now

# Changes to these fields move or end a challenge's deadlines.
WATCHED_FIELDS = frozenset({"state", "stage_key", "due_at", "cap_due_at"})
DEADLINE: sa.Table = SQLModel.metadata.tables[DeadlineRecord.__tablename__]
_ladders: dict[str, Ladder] = {}
_INSERT = sa.insert(DEADLINE)
# Built once: statement construction costs more than the statement on a hot path.
_CANCELLED: dict[str, Any] = {
    "status": DeadlineStatus.CANCELLED.value,
    "outcome": sa.bindparam("outcome"),
    "claimed_by": None,
    "lease_until": None,
    "updated_at": sa.bindparam("wall"),
}
_CANCELLABLE = DEADLINE.c.status.in_([DeadlineStatus.PENDING.value, DeadlineStatus.STUCK.value])
_CANCEL = PerDialect(
    lambda in_set: (
        sa.update(DEADLINE)
        .where(in_set(DEADLINE.c.challenge_id, "challenges"))
        .where(_CANCELLABLE)
        .values(_CANCELLED)
    )
)
_ONE = (
    sa.update(DEADLINE)
    .where(DEADLINE.c.challenge_id == sa.bindparam("challenge"))
    .where(_CANCELLABLE)
    .values(_CANCELLED)
)
# The same, leaving the cap's row alone: for challenges whose cap an event did not move.
_CANCEL_BUT_THE_CAP = PerDialect(
    lambda in_set: (
        sa.update(DEADLINE)
        .where(in_set(DEADLINE.c.challenge_id, "challenges"))
        .where(_CANCELLABLE)
        .where(DEADLINE.c.kind != DeadlineKind.CAP.value)
        .values(_CANCELLED)
    )
)
# One action's writes, on the driver (`workflow.prepared`): Core costs more than they do.
_CANCEL_ONE = Prepared(_ONE)
_CANCEL_ONE_BUT_THE_CAP = Prepared(_ONE.where(DEADLINE.c.kind != DeadlineKind.CAP.value))
_ROW_KEYS = ("challenge_id", "kind", "due_at", "state", "stage_key", "applies_to_due_at",
             "challenge_version", "label", "status", "attempts", "next_attempt_at", "details",
             "planned_at", "updated_at")  # fmt: skip
_INSERT_ROWS = Prepared(_INSERT, _ROW_KEYS)
_FEW = 8
# A sweep's batch on PostgreSQL: its thousand rows in one statement over arrays.
_INSERT_OVER_ARRAYS = OverArrays(
    """
INSERT INTO deadline (challenge_id, kind, due_at, state, stage_key, applies_to_due_at,
    challenge_version, label, status, attempts, next_attempt_at, details, planned_at, updated_at)
SELECT x.challenge_id, x.kind, x.due_at, x.state, x.stage_key, x.applies_to_due_at,
    x.challenge_version, x.label, 'pending', 0, x.due_at, x.details, x.planned_at, x.planned_at
FROM unnest(%(challenge_id)s::int[], %(kind)s::text[], %(due_at)s::timestamptz[],
    %(state)s::text[], %(stage_key)s::text[], %(applies_to_due_at)s::timestamptz[],
    %(challenge_version)s::int[], %(label)s::text[], %(details)s::jsonb[],
    %(planned_at)s::timestamptz[])
    AS x(challenge_id, kind, due_at, state, stage_key, applies_to_due_at, challenge_version,
         label, details, planned_at)""",
    json_keys=("details",),
)


@dataclass(frozen=True)
class PlannedDeadline:
    kind: DeadlineKind
    due_at: datetime
    applies_to_due_at: datetime
    label: str
    details: dict[str, Any] = field(default_factory=dict)


def plan_deadlines(session: Session, appended: list[tuple[Challenge, list[NewEvent]]]) -> None:
    """The listener: replan every challenge an event moved, in one go for the lot.

    The cancels are one UPDATE per distinct reason (a sweep's batch shares one), the
    new rows one executemany. A cap the events did not move keeps its row (an
    escalation changes the stage, not the cap): it is neither cancelled nor planned again.
    """
    moved = [
        (challenge, events[-1].occurred_at, events[-1].kind)
        for challenge, events in appended
        if any(WATCHED_FIELDS & e.changes.keys() for e in events)
    ]
    # A challenge raised in this transaction has no rows yet: nothing to cancel.
    new = {c.id for c, events in appended if events[0].from_state == State.NEW.value}
    if moved:
        kept = {c.id for c, events in appended if _cap_unmoved(c, events)}
        replan_many(session, moved, skip_cancel=new, keep_cap=kept - new)


def _cap_unmoved(c: Challenge, events: list[NewEvent]) -> bool:
    """The cap applied before the events and still does, at the same moment."""
    before = events[0].from_state
    return (
        c.cap_due_at is not None
        and _cap_applies(c.state)
        and before != State.NEW.value
        and _cap_applies(State(before))
        and not any("cap_due_at" in e.changes for e in events)
    )


def _cap_applies(state: State) -> bool:
    return state in OPEN_STATES and state is not State.PAUSED


def replan(session: Session, challenge: Challenge, at: datetime, because: str) -> None:
    replan_many(session, [(challenge, at, because)])


def replan_many(
    session: Session,
    moved: list[tuple[Challenge, datetime, str]],
    skip_cancel: set[int | None] | frozenset[int | None] = frozenset(),
    keep_cap: set[int | None] | frozenset[int | None] = frozenset(),
) -> None:
    """Cancel what no longer applies and plan what does. `keep_cap`: challenges whose
    cap row stays as it is (pending, stuck or fired): it is not cancelled nor planned."""
    wall = utc_now()
    connection = session.connection()
    by_reason: dict[tuple[str, datetime, bool], list[int]] = {}
    for challenge, at, because in moved:
        assert challenge.id is not None
        if challenge.id in skip_cancel:
            continue
        by_reason.setdefault((because, at, challenge.id in keep_cap), []).append(challenge.id)
    for (because, at, cap_kept), ids in by_reason.items():
        reason = f"no longer applies: the challenge moved on ({because} at {at.isoformat()})"
        if len(ids) == 1:  # one action's: an expanding IN costs more than the UPDATE itself
            one = _CANCEL_ONE_BUT_THE_CAP if cap_kept else _CANCEL_ONE
            one.run(connection, {"challenge": ids[0], "outcome": reason, "wall": wall})
        else:
            many = _CANCEL_BUT_THE_CAP if cap_kept else _CANCEL
            statement = many.on(connection)
            connection.execute(statement, {"challenges": ids, "outcome": reason, "wall": wall})
    wanted = [
        (
            challenge,
            [
                p
                for p in planned(challenge, ladder_for(session, challenge.ladder_hash), at)
                if p.kind is not DeadlineKind.CAP or challenge.id not in keep_cap
            ],
            at,
        )
        for challenge, at, _ in moved
    ]
    fired = _already_fired(session, wanted)
    rows = [
        row_for(challenge, p, wall)
        for challenge, plans, _ in wanted
        for p in next_of_each_clock(
            [q for q in plans if (challenge.id, q.kind.value, q.due_at, q.label) not in fired]
        )
    ]
    insert_rows(connection, rows)


def next_of_each_clock(plans: list[PlannedDeadline]) -> list[PlannedDeadline]:
    """Of a challenge's planned deadlines, the ones that get a row now: the stage clock's
    first (its next reminder point, or the timeout when none is left) and the cap.

    The rest of the stage clock is planned one at a time as each fires
    (`workflow.deadline_next`): an escalation writes one row, not one per reminder point.
    """
    clock = [p for p in plans if p.kind is not DeadlineKind.CAP]
    first = [min(clock, key=lambda p: p.due_at)] if clock else []
    return first + [p for p in plans if p.kind is DeadlineKind.CAP]


def insert_rows(connection: sa.Connection, rows: list[dict[str, Any]]) -> None:
    """Insert planned rows (`row_for`): one statement for a batch's, none for no rows."""
    if len(rows) > _FEW and connection.dialect.name == "postgresql":  # a sweep's batch
        _INSERT_OVER_ARRAYS.run(connection, rows)
    elif rows:  # on the driver, compiled once (SQLite: one executemany for a batch)
        _INSERT_ROWS.run(connection, rows[0] if len(rows) == 1 else rows)


def _already_fired(
    session: Session, wanted: list[tuple[Challenge, list[PlannedDeadline], datetime]]
) -> set[tuple[int | None, str, datetime, str]]:
    """Deadlines of `wanted` already fired (say the cap, after an IRO's decision).

    A deadline fires at or after it is due, and before any later event, so only a
    deadline due by the time of its event can have fired: most replans need no query,
    and the rest of a batch share one.
    """
    ids = [c.id for c, plans, at in wanted if any(p.due_at <= at for p in plans)]
    if not ids:
        return set()
    connection = session.connection()
    return {
        (row.challenge_id, row.kind, row.due_at, row.label)
        for row in connection.execute(_FIRED.on(connection), {"challenges": ids})
    }


_FIRED = PerDialect(
    lambda in_set: (
        sa.select(DEADLINE.c.challenge_id, DEADLINE.c.kind, DEADLINE.c.due_at, DEADLINE.c.label)
        .where(in_set(DEADLINE.c.challenge_id, "challenges"))
        .where(DEADLINE.c.status == DeadlineStatus.DONE.value)
    )
)


def planned(challenge: Challenge, ladder: Ladder, at: datetime) -> list[PlannedDeadline]:
    """The deadlines a challenge has now, as of an event at `at` (pure)."""
    result: list[PlannedDeadline] = []
    rules = lifecycle_for(ladder).rules  # built once per ladder version, calendar and all
    c = challenge
    if c.state in CLOCK_RUNNING_STATES and c.due_at is not None:
        label = f"stage {c.stage_key} due" if c.stage_key else "informal agreed date"
        result.append(PlannedDeadline(DeadlineKind.TIMEOUT, c.due_at, c.due_at, label))
        if c.state is State.AWAITING_RESPONSE and c.responder_id is not None:
            result.extend(_reminders(c, rules, at))
    if c.state in OPEN_STATES and c.state is not State.PAUSED and c.cap_due_at is not None:
        label = f"overall cap of {ladder.overall_cap_working_days} working days"
        result.append(PlannedDeadline(DeadlineKind.CAP, c.cap_due_at, c.cap_due_at, label))
    return result


def _reminders(c: Challenge, rules: DeadlineRules, at: datetime) -> list[PlannedDeadline]:
    assert c.due_at is not None
    started = c.stage_started_at or at
    out = []
    for reminder, when in rules.reminder_times(c.due_at):
        # A reminder point before the stage began, or already past when the date was
        # set (an extension), is skipped: it would only arrive late and confuse.
        if started < when < c.due_at and when > at:
            label, details = _described(reminder)
            out.append(PlannedDeadline(DeadlineKind.REMINDER, when, c.due_at, label, details))
    return out


@cache
def _described(reminder: Reminder) -> tuple[str, dict[str, Any]]:
    """A reminder point's label and details, worked out once per reminder (a sweep's
    batch plans hundreds of the same few). The details are never changed once made."""
    days = reminder.working_days_before
    label = (
        "morning of the due day"
        if days == 0
        else f"{days} working day{'s' if days != 1 else ''} before the due day"
    )
    return label, {"working_days_before": days, "at": reminder.at.isoformat("minutes")}


def replan_open(engine: Engine, now: datetime) -> int:
    """Plan every open challenge afresh (after an upgrade, or data loaded by SQL)."""
    challenges = SQLModel.metadata.tables["challenge"]
    states = [s.value for s in OPEN_STATES]
    with Session(engine) as session:
        rows = session.connection().execute(
            sa.select(challenges).where(challenges.c.state.in_(states))
        )
        found = [(challenge_from_row(row), now, "replan") for row in rows.all()]
        for start in range(0, len(found), 500):
            replan_many(session, found[start : start + 500])
        count = len(found)
        session.commit()
    return count


def ladder_for(session: Session, content_hash: str) -> Ladder:
    """The ladder version a challenge started under (kept in `ladder_version`)."""
    if content_hash not in _ladders:
        row = session.get(LadderVersion, content_hash)
        if row is None:
            raise LookupError(f"ladder version {content_hash[:12]} is not recorded")
        name = f"{row.ladder_id}@{content_hash[:12]}"
        _ladders[content_hash] = parse_ladder(row.content.encode("utf-8"), name)
    return _ladders[content_hash]


def row_for(c: Challenge, p: PlannedDeadline, wall: datetime) -> dict[str, Any]:
    return {
        "challenge_id": c.id,
        "kind": p.kind.value,
        "due_at": p.due_at,
        "state": c.state.value,
        "stage_key": c.stage_key,
        "applies_to_due_at": p.applies_to_due_at,
        "challenge_version": c.version,
        "label": p.label,
        "status": DeadlineStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": p.due_at,
        "details": p.details,
        "planned_at": wall,
        "updated_at": wall,
    }
