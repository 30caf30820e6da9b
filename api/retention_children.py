"""The child_record rule: after the child's 75th birthday (a setting) everything held about
their challenges goes, with the child's own record here, one transaction per child.

What goes, in this order (foreign keys first): mail alerts about the challenges or their
mail, sent mail with its attachments, email link tokens, received mail (raw copy and
all), deadlines, the challenge log, the challenges, the IRO's activities with the child,
the child's change history, and the child's row. Each table's count is a
`retention_record` row (rule `child_record`, the table, the case reference, the run), and
each challenge-log row that went is listed in `retention_retired_row`, so `audit verify`
accepts exactly those gaps in the hash chain and still catches any other.

The access log's rows about the child stay: they record what staff did (who looked, when,
from where), which an investigation may need after the record has gone, and they go by
the access log's own period (`IRO_DISPUTES_RETAIN_ACCESS_LOG_DAYS`). They name the child
and the challenge by number only (the access log has no foreign keys to them).

A child with a challenge that is still open is held and listed, not removed: an open
challenge for someone past 75 means their date of birth is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from notifications.tables import InboundMail, LinkToken, MailAlert, OutboxAttachment, OutboxMessage
from workflow.access_tables import RetentionPass, RetentionRecord, RetiredRow
from workflow.activity_tables import GoodPractice, IroActivity
from workflow.change_history import ChangeRecord
from workflow.deadline_tables import DeadlineRecord
from workflow.rollup_tables import mark_events
from workflow.states import State
from workflow.tables import ChallengeEvent, ChallengeRecord, Child

RULE = "child_record"
FINISHED_STATES = (State.RESOLVED.value, State.WITHDRAWN.value, State.CLOSED.value)
_CHUNK = 500


def _t(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


CHILD, CHALLENGE, EVENT = _t(Child), _t(ChallengeRecord), _t(ChallengeEvent)
OUTBOX, ATTACHED, INBOUND = _t(OutboxMessage), _t(OutboxAttachment), _t(InboundMail)
ALERT, LINK_TOKEN, DEADLINE = _t(MailAlert), _t(LinkToken), _t(DeadlineRecord)
ACTIVITY, CHANGE, GOOD = _t(IroActivity), _t(ChangeRecord), _t(GoodPractice)
MARKER, RECORD, RETIRED = _t(RetentionPass), _t(RetentionRecord), _t(RetiredRow)


@dataclass(frozen=True)
class Stamp:
    """What every record of one run carries."""

    ran_at: datetime
    run_by: str
    run_id: str
    born_before: date
    cut_off: datetime


@dataclass
class ChildRows:
    """Everything a run removes for one child: row ids by table, in deletion order."""

    case_reference: str
    child_id: int
    rows: dict[str, list[int]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(len(ids) for ids in self.rows.values())

    def describe(self) -> str:
        return ", ".join(f"{table} {len(ids)}" for table, ids in self.rows.items() if ids)


def due(
    conn: Connection, born_before: date, only: int | None = None
) -> tuple[list[tuple[int, str]], list[str]]:
    """Children past the age (id, case reference), and the case references held back
    because a challenge of theirs is still open; `only`: that child alone."""
    open_challenge = sa.exists().where(
        CHALLENGE.c.child_id == CHILD.c.id, CHALLENGE.c.state.not_in(FINISHED_STATES)
    )
    query = (
        sa.select(CHILD.c.id, CHILD.c.case_reference, open_challenge.label("open"))
        .where(CHILD.c.date_of_birth < born_before)
        .order_by(CHILD.c.id)
    )
    if only is not None:
        query = query.where(CHILD.c.id == only)
    rows = conn.execute(query).all()
    return [(r.id, r.case_reference) for r in rows if not r.open], [
        r.case_reference for r in rows if r.open
    ]


def rows_of(conn: Connection, child_id: int, case_reference: str) -> ChildRows:
    """What removing this child's record deletes, table by table (changes nothing)."""
    challenges = sa.select(CHALLENGE.c.id).where(CHALLENGE.c.child_id == child_id)
    outbox = sa.select(OUTBOX.c.id).where(OUTBOX.c.challenge_id.in_(challenges))
    inbound = sa.select(INBOUND.c.id).where(INBOUND.c.challenge_id.in_(challenges))
    queries: dict[str, sa.Select[Any]] = {
        "mail_alert": sa.select(ALERT.c.id).where(
            sa.or_(
                ALERT.c.challenge_id.in_(challenges),
                ALERT.c.outbox_id.in_(outbox),
                ALERT.c.inbound_id.in_(inbound),
            )
        ),
        "mail_outbox_attachment": sa.select(ATTACHED.c.id).where(ATTACHED.c.outbox_id.in_(outbox)),
        "mail_outbox": outbox,
        "mail_link_token": sa.select(LINK_TOKEN.c.id).where(
            LINK_TOKEN.c.challenge_id.in_(challenges)
        ),
        "mail_inbound": inbound,
        "deadline": sa.select(DEADLINE.c.id).where(DEADLINE.c.challenge_id.in_(challenges)),
        "challenge_event": sa.select(EVENT.c.id).where(EVENT.c.challenge_id.in_(challenges)),
        "challenge": challenges,
        "iro_activity": sa.select(ACTIVITY.c.id).where(ACTIVITY.c.child_id == child_id),
        "good_practice": sa.select(GOOD.c.id).where(GOOD.c.child_id == child_id),
        "change_record": sa.select(CHANGE.c.id).where(
            CHANGE.c.record_kind == "child", CHANGE.c.record_id == child_id
        ),
        "child": sa.select(CHILD.c.id).where(CHILD.c.id == child_id),
    }
    found = ChildRows(case_reference, child_id)
    for table, query in queries.items():
        found.rows[table] = sorted(conn.execute(query).scalars())
    return found


class ChildRecordChanged(RuntimeError):
    def __init__(self, reference: str, table: str) -> None:
        super().__init__(
            f"{RULE} {reference}: {table} changed while it was being removed; nothing of this "
            "child removed, run again"
        )


def remove(conn: Connection, child_id: int, reference: str, stamp: Stamp) -> ChildRows | None:
    """Remove one child's record inside the caller's transaction and record each table's
    deletion. None when the child is no longer due (their date of birth was corrected,
    or a challenge reopened, since the plan)."""
    locked = sa.select(CHALLENGE.c.id).where(CHALLENGE.c.child_id == child_id)
    if conn.dialect.name == "postgresql":  # nothing new may point at them until we commit
        conn.execute(sa.select(CHILD.c.id).where(CHILD.c.id == child_id).with_for_update())
        conn.execute(locked.with_for_update())
    still_due, _ = due(conn, stamp.born_before, only=child_id)
    if (child_id, reference) not in still_due:
        return None
    found = rows_of(conn, child_id, reference)
    # The report's rollup of closed days counted these events: those days count again.
    mark_events(conn, found.rows["challenge_event"])
    conn.execute(MARKER.insert().values(started_at=stamp.ran_at))
    for table, ids in found.rows.items():
        target = sa.table(table, sa.column("id"))
        gone = 0
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            gone += conn.execute(target.delete().where(target.c.id.in_(chunk))).rowcount
        if gone != len(ids):
            raise ChildRecordChanged(reference, table)
    conn.execute(MARKER.delete())
    common = {"ran_at": stamp.ran_at, "kind": RULE, "subject": reference,
              "cut_off": stamp.cut_off, "run_by": stamp.run_by, "run_id": stamp.run_id}  # fmt: skip
    records = [{**common, "what": t, "rows": len(ids)} for t, ids in found.rows.items() if ids]
    events = found.rows["challenge_event"]
    others = [r for r in records if r["what"] != "challenge_event"]
    if others:
        conn.execute(RECORD.insert(), others)
    if events:
        record_id = conn.execute(
            RECORD.insert()
            .values(**common, what="challenge_event", rows=len(events))
            .returning(RECORD.c.id)
        ).scalar_one()
        conn.execute(RETIRED.insert(), [{"record_id": record_id, "log": "challenge_event",
                                         "row_id": i} for i in events])  # fmt: skip
    return found
