"""Keeping the rollup of closed London days (`workflow.rollup_tables`) up to date.

Built lazily by whoever produces a report (`roll_up`), never by the actions: an action's
transaction writes nothing more. One build is one transaction: the closed days not yet
rolled up, the past days marked dirty (retention deletes, renumbering) and the past days
that received an event since the last build (an event written with a past `occurred_at`:
one recorded late, an import, a sweep catching up) are counted again from the log, their
old rows deleted first. A crash leaves the previous rollup as it was.

Several processes may build at once on PostgreSQL: the state row is locked (`FOR UPDATE`),
so builds follow one another and the second finds little or nothing left to do; the
primary key refuses any doubled row. An event id is handed out when the row is inserted,
so a transaction still running may hold an id below the highest visible one: on
PostgreSQL the build first waits until every transaction that was writing to the log when
it read the highest id has ended (their locks on the table, in `pg_locks`), so every event
up to that id is in its count or gone. On SQLite writers take turns (`BEGIN IMMEDIATE`), so no wait is needed.

`usable_until` says, for a report, up to which day (excluded) the rollup may be read:
dirty days and days with events newer than the build are counted live until rebuilt.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from workflow.report_definitions import Period
from workflow.report_queries.context import no_jit
from workflow.report_queries.rolled import FIGURES, Figure
from workflow.report_queries.schema import EV
from workflow.rollup_tables import DIRTY, ROLLUP, STATE, london_day

RUN = 64  # days counted per query: a CASE of six comparisons gives each event its day


@dataclass
class Built:
    days: int  # days counted (again)
    rows: int  # rollup rows written
    skipped: bool = False  # PostgreSQL: older transactions did not end in time


def roll_up(engine: Engine, now: datetime, wait_s: float = 10.0,
            reader: Engine | None = None) -> Built:  # fmt: skip
    """Bring the rollup up to the London day of `now` (that day excluded). `reader`: an
    engine for reads only, to find first that there is nothing to do without a write
    transaction (on SQLite the main engine's transactions take the write lock)."""
    with (reader or engine).connect() as conn:
        if _up_to_date(conn, london_day(now)):
            return Built(0, 0)
    postgres = engine.dialect.name == "postgresql"
    mark = _settled_mark(engine, wait_s) if postgres else None
    if postgres and mark is None:
        return Built(0, 0, skipped=True)
    with engine.begin() as conn:
        no_jit(conn)
        if mark is None:  # SQLite: this transaction holds the write lock; no event is pending
            mark = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(EV.c.id), 0)))
                       .scalar_one())  # fmt: skip
        return _build(conn, london_day(now), mark, bounded=postgres)


# Transactions of this database that have written to the log and not yet ended: every
# INSERT holds this lock on the table from before its id is handed out until the end.
_WRITING = sa.text(
    "SELECT virtualtransaction FROM pg_locks WHERE locktype = 'relation' "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND relation = 'challenge_event'::regclass AND mode = 'RowExclusiveLock'"
)


def _settled_mark(engine: Engine, wait_s: float) -> int | None:
    """PostgreSQL: the highest event id such that every event up to it is committed or gone:
    the highest visible id, once every transaction writing to the log then has ended (as
    CREATE INDEX CONCURRENTLY waits). None if they did not end within `wait_s`."""
    with engine.connect() as conn:
        mark = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(EV.c.id), 0))).scalar_one())
        writing = {str(v) for (v,) in conn.execute(_WRITING)}
        conn.rollback()
        deadline = time.monotonic() + wait_s
        while writing:
            if time.monotonic() > deadline:
                return None
            time.sleep(0.01)
            writing &= {str(v) for (v,) in conn.execute(_WRITING)}
            conn.rollback()
        return mark


def _up_to_date(conn: Connection, today: date) -> bool:
    """Rolled up to `today`, nothing marked dirty, no event newer than the last build dated
    before its end (today's events are counted live anyway)."""
    row = conn.execute(sa.select(STATE.c.rolled_through, STATE.c.event_mark)).first()
    if row is None or row[0] is None or row[0] < today:
        return False
    return bool(usable_until(conn) == row[0])


def _state(conn: Connection) -> tuple[date | None, int]:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("INSERT INTO report_rollup_state (id, event_mark) VALUES (1, 0) "
                             "ON CONFLICT (id) DO NOTHING"))  # fmt: skip
        row = conn.execute(sa.select(STATE.c.rolled_through, STATE.c.event_mark)
                           .where(STATE.c.id == 1).with_for_update()).one()  # fmt: skip
        return row[0], int(row[1])
    found = conn.execute(sa.select(STATE.c.rolled_through, STATE.c.event_mark)
                         .where(STATE.c.id == 1)).first()  # fmt: skip
    if found is None:
        conn.execute(STATE.insert().values(id=1, event_mark=0))
        return None, 0
    return found[0], int(found[1])


def _build(conn: Connection, today: date, settled: int, bounded: bool) -> Built:
    """`bounded`: count only events up to the mark (PostgreSQL, where later ones may be
    committed while the build runs; on SQLite nothing else writes meanwhile)."""
    through, seen = _state(conn)
    mark = max(settled, seen)  # another build may have settled further already
    dirty = list(conn.execute(sa.select(DIRTY.c.id, DIRTY.c.day)))
    everything = any(day is None for _, day in dirty)
    first = _first_day(conn, mark) if everything or through is None else None
    again: set[date] = set()
    if everything and first is not None:
        conn.execute(ROLLUP.delete())  # every day counts again
        again.update(_dates(first, through or first))
    else:
        again.update(
            day for _, day in dirty if day is not None and (through is None or day < through)
        )
    if through is not None:
        again.update(_late_days(conn, seen, mark, through))
    start = through if through is not None else first
    if start is not None:
        again.update(_dates(start, today))
    days = sorted(again)
    settled_today = through is not None and through >= today
    if not days and not dirty and mark == seen and settled_today:
        return Built(0, 0)  # nothing new: write nothing
    for run in _runs(days):
        conn.execute(ROLLUP.delete().where(ROLLUP.c.day.in_(run)))
    rows = 0
    for run in _runs(days):
        for figure in FIGURES.values():
            found = _count(conn, figure, run, mark if bounded else None)
            if found:
                conn.execute(ROLLUP.insert(), found)
                rows += len(found)
    if dirty:
        conn.execute(DIRTY.delete().where(DIRTY.c.id.in_([i for i, _ in dirty])))
    conn.execute(STATE.update().where(STATE.c.id == 1).values(
        rolled_through=max(today, through) if through else today, event_mark=mark))  # fmt: skip
    return Built(len(days), rows)


def _first_day(conn: Connection, mark: int) -> date | None:
    first = conn.execute(sa.select(sa.func.min(EV.c.occurred_at)).where(EV.c.id <= mark)).scalar()
    return None if first is None else london_day(first)


# The events newer than the last build are found by their ids (a range of the primary
# key: none or a few). Given `occurred_at < edge` on the column itself, SQLite's planner
# chose a skip-scan of the index on (kind, occurred_at) instead: every event before the
# edge, 0.7 s at a million challenges, twice per report. An expression of the column is
# not looked up in an index, so the id range is used on both databases.
_MOMENT_UNINDEXED = sa.func.coalesce(EV.c.occurred_at, EV.c.occurred_at)


def _late_days(conn: Connection, seen: int, mark: int, through: date) -> set[date]:
    """Rolled-up days that received an event since the last build (a past `occurred_at`)."""
    edge = Period(through, through).bounds()[0]
    stmt = sa.select(EV.c.occurred_at).where(EV.c.id > seen, EV.c.id <= mark,
                                             edge > _MOMENT_UNINDEXED)  # fmt: skip
    return {london_day(at) for (at,) in conn.execute(stmt)}


def _dates(first: date, end: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((end - first).days)]


def _runs(days: list[date]) -> Iterator[list[date]]:
    """Consecutive days, at most `RUN` at a time."""
    run: list[date] = []
    for day in days:
        if run and (day - run[-1] != timedelta(days=1) or len(run) == RUN):
            yield run
            run = []
        run.append(day)
    if run:
        yield run


def _count(conn: Connection, figure: Figure, run: list[date], mark: int | None
           ) -> list[dict[str, Any]]:  # fmt: skip
    """The figure's rows for consecutive days `run`, counting events up to id `mark`."""
    starts = [Period(d, d).bounds()[0] for d in run]
    end = Period(run[-1], run[-1]).bounds()[1]
    when = EV.c.occurred_at
    which = _day_number(when, starts, 0, len(starts))
    group = sa.literal("*") if figure.group is None else figure.group
    flag = sa.literal(0) if figure.flag is None else figure.flag
    days = sa.literal(0) if figure.days is None else figure.days
    inner = (sa.select(which.label("i"), group.label("g"), flag.label("f"), days.label("w"))
             .select_from(figure.source)
             .where(when >= starts[0], when < end, *figure.where,
                    *(() if mark is None else (EV.c.id <= mark,)))
             .cte("rolled").prefix_with("MATERIALIZED"))  # fmt: skip
    clamped = sa.case((inner.c.w < 0, 0), else_=inner.c.w)  # an end before working day 1 is 0
    stmt = (sa.select(inner.c.i, inner.c.g, inner.c.f, clamped, sa.func.count())
            .where(inner.c.w.is_not(None)).group_by(inner.c.i, inner.c.g, inner.c.f, clamped))  # fmt: skip
    return [{"day": run[int(i)], "figure": figure.key, "group_key": str(g), "flag": int(f),
             "days": int(w), "n": int(n)} for i, g, f, w, n in conn.execute(stmt)]  # fmt: skip


def _day_number(col: Any, starts: list[datetime], lo: int, hi: int) -> Any:
    """Which of days `lo` to `hi - 1` (by their London midnights) holds `col`: nested CASEs
    halving the days at each test."""
    if hi - lo == 1:
        return sa.literal(lo)
    mid = (lo + hi) // 2
    return sa.case((col < starts[mid], _day_number(col, starts, lo, mid)),
                   else_=_day_number(col, starts, mid, hi))  # fmt: skip


def usable_until(conn: Connection) -> date | None:
    """The first London day the report must count live (every day before it may be read
    from the rollup); None: no rollup to read."""
    row = conn.execute(sa.select(STATE.c.rolled_through, STATE.c.event_mark)).first()
    if row is None or row[0] is None:
        return None
    cut: date = row[0]
    dirty = conn.execute(sa.select(sa.func.count(), sa.func.count(DIRTY.c.day),
                                   sa.func.min(DIRTY.c.day))).one()  # fmt: skip
    if dirty[0] != dirty[1]:  # a mark of every day
        return None
    if dirty[2] is not None:
        cut = min(cut, dirty[2])
    edge = Period(cut, cut).bounds()[0]
    late = conn.execute(sa.select(sa.func.min(EV.c.occurred_at))
                        .where(EV.c.id > int(row[1]), edge > _MOMENT_UNINDEXED)).scalar()  # fmt: skip
    return cut if late is None else min(cut, london_day(late))
