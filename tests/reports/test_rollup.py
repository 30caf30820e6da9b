"""The rollup of closed London days: the report read from it equals the report counted
wholly from the log, figure by figure, on both databases, and stays equal after every way a
past day's events can change (a retention delete, renumbered working days, an event
written later with a past date), as at past moments, and when two builds run at once.

The data is `bench.report`'s generator, scaled down: challenges raised evenly over 2025
and 2026 at random times of day (both clock changes of each year, bank holidays,
weekends, late evenings), with the lifecycle's shape of events.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from api.jobs import JobContext, JobRegistry, discover
from api.retention_children import Stamp, remove
from bench.report import LADDER, NOW, _bulk, generate, insert_records
from workflow.event_facts import renumber_working_days
from workflow.migrate import alembic_config
from workflow.report_definitions import LONDON, Period
from workflow.report_queries import CH, CHILD, EV, smt_report
from workflow.report_queries.rollup import Built, roll_up, usable_until
from workflow.rollup_tables import DIRTY, ROLLUP
from workflow.runtime import Runtime

CHALLENGES = 500

PERIODS = [
    Period.year(2026),  # against 2025: every row
    Period.quarter(2026, 1),  # the clock goes forward on 29 March
    Period.month(2025, 10),  # the clock goes back on 26 October
    Period(date(2025, 12, 20), date(2026, 1, 4)),  # Christmas and New Year bank holidays
    Period(date(2026, 12, 24), date(2026, 12, 31)),  # ends on the report's day (live)
]
AS_AT: list[datetime | None] = [
    None,
    datetime(2026, 7, 14, 23, 30, tzinfo=UTC),  # British Summer Time: 15 July in London
    datetime(2026, 2, 3, 9, 15, tzinfo=UTC),
    datetime(2025, 12, 25, 0, 0, tzinfo=UTC),
]


def _seed(engine: Engine) -> None:
    with engine.begin() as conn:
        insert_records(conn, "test")
        for challenges, rows in generate(CHALLENGES):
            _bulk(conn, CH, challenges)
            _bulk(conn, EV, rows)
        if conn.dialect.name == "postgresql":
            for table in ("challenge", "challenge_event"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))")  # fmt: skip


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    _seed(engine)
    return engine


def _tables(report: Any) -> list[tuple[str, list[str], list[list[Any]]]]:
    return [(t.key, t.columns, t.rows) for t in report.tables]


def _assert_rolled_equals_live(engine: Engine, periods: list[Period] = PERIODS,
                               moments: list[datetime | None] = AS_AT) -> None:  # fmt: skip
    for period in periods:
        for as_at in moments:
            rolled = smt_report(engine, LADDER, period, NOW, as_at)
            live = smt_report(engine, LADDER, period, NOW, as_at, live=True)
            for got, want in zip(_tables(rolled), _tables(live), strict=True):
                assert got == want, (period.label(), as_at, got[0])


def _rolled_sum(engine: Engine, figure: str) -> int:
    with engine.connect() as conn:
        stmt = sa.select(sa.func.coalesce(sa.func.sum(ROLLUP.c.n), 0)).where(
            ROLLUP.c.figure == figure
        )
        return int(conn.execute(stmt).scalar_one())


def _responses_before(engine: Engine, day: date) -> int:
    edge = Period(day, day).bounds()[0]
    with engine.connect() as conn:
        stmt = sa.select(sa.func.count()).where(EV.c.kind == "respond", EV.c.occurred_at < edge)
        return int(conn.execute(stmt).scalar_one())


def test_the_rolled_up_report_equals_the_live_one_for_every_period_and_moment(
    seeded: Engine,
) -> None:
    built = roll_up(seeded, NOW)
    assert built.days > 700 and built.rows > 0
    with seeded.connect() as conn:
        assert usable_until(conn) == date(2026, 12, 31)  # the report's own day stays live
    _assert_rolled_equals_live(seeded)
    # Every response before the report's day is in the rollup, once.
    assert _rolled_sum(seeded, "response_times") == _responses_before(seeded, date(2026, 12, 31))
    again = roll_up(seeded, NOW)
    assert (again.days, again.rows) == (0, 0)  # nothing new: nothing counted again


def test_a_retention_delete_counts_its_days_again(seeded: Engine) -> None:
    roll_up(seeded, NOW)
    with seeded.connect() as conn:
        child_id, reference = conn.execute(
            sa.select(CHILD.c.id, CHILD.c.case_reference)
            .where(sa.exists().where(CH.c.child_id == CHILD.c.id, CH.c.state == "closed"),
                   ~sa.exists().where(CH.c.child_id == CHILD.c.id, CH.c.state != "closed"))
            .order_by(CHILD.c.id).limit(1)
        ).one()  # fmt: skip
    with seeded.begin() as conn:
        conn.execute(CHILD.update().where(CHILD.c.id == child_id)
                     .values(date_of_birth=date(1940, 1, 1)))  # fmt: skip
        stamp = Stamp(NOW, "test", "run-1", date(1951, 1, 1), NOW)
        found = remove(conn, child_id, reference, stamp)
    assert found is not None and found.rows["challenge_event"]
    with seeded.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(DIRTY)).scalar_one() > 0
        assert usable_until(conn) is not None and usable_until(conn) < date(2026, 12, 31)
    # Before the rollup is built again the dirty days are counted live; after, rolled again.
    _assert_rolled_equals_live(seeded, PERIODS[:2], AS_AT[:2])
    roll_up(seeded, NOW)
    with seeded.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(DIRTY)).scalar_one() == 0
        assert usable_until(conn) == date(2026, 12, 31)
    _assert_rolled_equals_live(seeded, PERIODS[:2], AS_AT[:2])
    assert _rolled_sum(seeded, "response_times") == _responses_before(seeded, date(2026, 12, 31))


def test_renumbered_working_days_count_every_day_again(seeded: Engine) -> None:
    roll_up(seeded, NOW)
    before = smt_report(seeded, LADDER, Period.year(2026), NOW)
    closed = replace(
        LADDER, closure_days=LADDER.closure_days | {date(2026, 3, 2), date(2026, 6, 1)}
    )
    with seeded.begin() as conn:
        assert renumber_working_days(conn, closed) > 0
    with seeded.connect() as conn:
        assert usable_until(conn) is None  # every day counted live until rebuilt
    _assert_rolled_equals_live(seeded, PERIODS[:1], AS_AT[:1])
    roll_up(seeded, NOW)
    after = smt_report(seeded, LADDER, Period.year(2026), NOW)
    assert _tables(after) != _tables(before)  # the working days moved, and the rollup with them
    _assert_rolled_equals_live(seeded, PERIODS[:2], AS_AT[:2])


def test_an_event_written_later_with_a_past_date_counts_its_day_again(seeded: Engine) -> None:
    roll_up(seeded, NOW)
    with seeded.connect() as conn:
        row = conn.execute(sa.select(EV).where(EV.c.kind == "respond",
                                               EV.c.occurred_at >= datetime(2026, 6, 1, tzinfo=UTC))
                           .order_by(EV.c.id).limit(1)).one()._asdict()  # fmt: skip
        last = conn.execute(sa.select(sa.func.max(EV.c.seq))
                            .where(EV.c.challenge_id == row["challenge_id"])).scalar_one()  # fmt: skip
    # A late record of a second response that day (an import, a response recorded late).
    late = {**row, "seq": last + 1, "recorded_at": NOW, "details": {"late": True}}
    del late["id"]
    with seeded.begin() as conn:
        conn.execute(EV.insert(), [late])
    day = row["occurred_at"].astimezone(LONDON).date()
    with seeded.connect() as conn:
        assert usable_until(conn) == day
    _assert_rolled_equals_live(seeded, PERIODS[:2], AS_AT[:2])
    built = roll_up(seeded, NOW)
    assert built.days == 1
    _assert_rolled_equals_live(seeded, PERIODS[:2], AS_AT[:2])
    assert _rolled_sum(seeded, "response_times") == _responses_before(seeded, date(2026, 12, 31))


def test_two_builds_at_once_count_each_event_once(seeded: Engine) -> None:
    results: list[Any] = []

    def build() -> None:
        results.append(roll_up(seeded, NOW))

    threads = [threading.Thread(target=build) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and sorted(r.days > 0 for r in results) == [False, True]
    assert _rolled_sum(seeded, "response_times") == _responses_before(seeded, date(2026, 12, 31))
    _assert_rolled_equals_live(seeded, PERIODS[:1], AS_AT[:2])


def test_the_pages_build_the_rollup_and_read_it(seeded: Engine) -> None:
    """`roll_with` brings the rollup up to the day of `now` before the report reads it."""
    report = smt_report(seeded, LADDER, Period.year(2026), NOW, roll_with=seeded)
    with seeded.connect() as conn:
        assert usable_until(conn) == date(2026, 12, 31)
    live = smt_report(seeded, LADDER, Period.year(2026), NOW, live=True)
    assert _tables(report) == _tables(live)


def test_the_migration_adds_the_tables_empty_and_its_downgrade_drops_them(seeded: Engine) -> None:
    """Migration 0023: after a downgrade the report counts every day live, as before; after
    the upgrade the tables start empty and the first build rolls up every closed day."""
    roll_up(seeded, NOW)
    config = alembic_config()
    with seeded.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0022_log_filters")
    assert "report_day_rollup" not in sa.inspect(seeded).get_table_names()
    before = smt_report(seeded, LADDER, Period.year(2026), NOW, live=True)
    with seeded.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "heads")
    with seeded.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ROLLUP)).scalar_one() == 0
        assert usable_until(conn) is None
    assert roll_up(seeded, NOW).days > 700
    after = smt_report(seeded, LADDER, Period.year(2026), NOW)
    assert _tables(after) == _tables(before)


def test_a_build_waits_for_an_event_still_being_written(seeded: Engine) -> None:
    """PostgreSQL hands out an id when the row is inserted: an event still being written can
    have a lower id than one committed after it. A build that started then waits for that
    transaction, so the event is counted by this build, not passed over by its mark. SQLite
    writers take turns, so the build simply waits for the write lock."""
    if seeded.dialect.name != "postgresql":
        pytest.skip("on SQLite the build takes the write lock: no event can be pending")
    with seeded.connect() as conn:
        row = conn.execute(sa.select(EV).where(EV.c.kind == "respond").order_by(EV.c.id)
                           .limit(1)).one()._asdict()  # fmt: skip
        last = conn.execute(sa.select(sa.func.max(EV.c.seq))
                            .where(EV.c.challenge_id == row["challenge_id"])).scalar_one()  # fmt: skip
    pending = {**row, "seq": last + 1, "details": {"late": False}}
    del pending["id"]
    writer = seeded.connect()
    writer.execute(EV.insert(), [pending])  # not committed yet
    with seeded.begin() as conn:  # a later event, a higher id, committed first
        conn.execute(EV.insert(), [{**pending, "seq": last + 2}])
    results: list[Any] = []
    build = threading.Thread(target=lambda: results.append(roll_up(seeded, NOW)))
    build.start()
    build.join(timeout=1.0)
    assert build.is_alive()  # waiting for the writer
    writer.commit()
    writer.close()
    build.join()
    assert not results[0].skipped
    assert _rolled_sum(seeded, "response_times") == _responses_before(seeded, date(2026, 12, 31))
    with seeded.connect() as conn:
        assert usable_until(conn) == date(2026, 12, 31)  # both events counted: none left live


def test_the_worker_keeps_the_rollup_so_no_report_builds_it(
    seeded: Engine, runtime: Runtime
) -> None:
    spec = discover(JobRegistry()).jobs["report-rollup"]
    assert spec.run_at_start and spec.options == {"seconds": 900}  # on start, then each 15 min
    first = spec.run(JobContext(runtime, NOW))
    assert first.days > 700
    assert roll_up(seeded, NOW) == Built(0, 0)  # what a report then does: nothing to build
    # The next day only the day that closed is counted, and the report still equals the log.
    next_day = spec.run(JobContext(runtime, NOW + timedelta(days=1)))
    assert (next_day.days, next_day.skipped) == (1, False)
    with seeded.connect() as conn:
        assert usable_until(conn) == date(2027, 1, 1)
    _assert_rolled_equals_live(seeded, [Period.year(2026)], [None])
