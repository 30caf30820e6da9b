"""The SMT report's rollup of closed London days, and how a past day is marked to count again.

`report_day_rollup` holds, per closed London day, what the report's dominant figures count
from the event log alone: counts of events by each figure's key, and the working-day
histograms (response times, the cap, raise to end) whose medians and 90th percentiles
stay exact because every value is kept with how many had it. `report_rollup_state` says
how far the rollup goes (`rolled_through`: every day before it was rolled up) and the
highest event id it has seen (`event_mark`): an event written later for a past day has a
higher id, so the next report finds its day and counts that day again.

Deletes and renumbering (the only ways the append-only log changes) mark the days they
touch in `report_rollup_dirty` in their own transaction (`mark_days`, `mark_all`): the
report counts those days live until the rollup is built again (`workflow.report_queries.rollup`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Field, SQLModel

from workflow.report_definitions import LONDON
from workflow.tables import ChallengeEvent


class ReportDayRollup(SQLModel, table=True):
    """One group of one figure on one closed London day: `n` events counted."""

    __tablename__ = "report_day_rollup"
    # The figure first: the report reads one figure over a range of days.
    figure: str = Field(primary_key=True, max_length=40)
    day: date = Field(primary_key=True)
    group_key: str = Field(primary_key=True, max_length=200)
    flag: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    days: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    n: int


class ReportRollupState(SQLModel, table=True):
    """The one row saying how far the rollup goes."""

    __tablename__ = "report_rollup_state"
    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    rolled_through: date | None = None  # every London day before this one is rolled up
    event_mark: int = Field(default=0, sa_type=sa.BigInteger)  # highest event id counted


class ReportRollupDirty(SQLModel, table=True):
    """A past day whose events changed (a retention delete): counted live until rebuilt.
    No day: every day (renumbered working days)."""

    __tablename__ = "report_rollup_dirty"
    id: int | None = Field(default=None, primary_key=True)
    day: date | None = None
    marked_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


ROLLUP: sa.Table = ReportDayRollup.__table__  # type: ignore[attr-defined]
STATE: sa.Table = ReportRollupState.__table__  # type: ignore[attr-defined]
DIRTY: sa.Table = ReportRollupDirty.__table__  # type: ignore[attr-defined]


def london_day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def mark_days(conn: Connection, days: Iterable[date]) -> None:
    """Mark these London days to be counted again (in the caller's transaction)."""
    at = datetime.now(UTC)
    rows = [{"day": d, "marked_at": at} for d in sorted(set(days))]
    if rows:
        conn.execute(DIRTY.insert(), rows)


def mark_all(conn: Connection) -> None:
    """Mark every day to be counted again (working-day numbers renumbered)."""
    conn.execute(DIRTY.insert().values(day=None, marked_at=datetime.now(UTC)))


def mark_events(conn: Connection, event_ids: list[int], chunk: int = 500) -> None:
    """Mark the days of these events (before they are deleted)."""
    ev: sa.Table = ChallengeEvent.__table__  # type: ignore[attr-defined]
    days: set[date] = set()
    for start in range(0, len(event_ids), chunk):
        ids = event_ids[start : start + chunk]
        days.update(london_day(at) for (at,) in
                    conn.execute(sa.select(ev.c.occurred_at).where(ev.c.id.in_(ids))))  # fmt: skip
    mark_days(conn, days)
