"""What keeps the SMT report fast without changing a figure: the SQLite shortcuts for
London dates and the cut-off, the partial index for stage openings, and JIT off on
PostgreSQL for the report's transaction only."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from escalation_rules.loader import load_ladder_setting
from workflow.report_definitions import STAGE_OPENING_SQL, Period
from workflow.report_queries import EV, smt_report
from workflow.report_queries.slices import stage_start as _stage_start
from workflow.report_queries.sql_calendar import LocalTime as _LocalTime
from workflow.tables import UTCDateTime

MIGRATION = Path(__file__).parents[2] / "workflow/migrations/versions/0005_footprint.py"


def _moments() -> list[datetime]:
    """Random moments of 2026 (with seconds and microseconds), and the edges of every UTC
    hour and half hour (where some zone's midnight or cut-off falls) on both clock-change
    days and an ordinary day in summer."""
    rng = random.Random(26)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    moments = [
        base + timedelta(seconds=rng.randint(0, 365 * 86400), microseconds=rng.randint(0, 999_999))
        for _ in range(600)
    ]
    for day in (date(2026, 3, 28), date(2026, 3, 29), date(2026, 7, 1), date(2026, 10, 25)):
        for hour in range(24):
            for second in (0, 59, 60 * 29 + 59, 60 * 30, 60 * 59 + 59):
                moments.append(
                    datetime.combine(day, time(hour), tzinfo=UTC) + timedelta(seconds=second)
                )
    return moments


@pytest.mark.parametrize(
    "zone", ["Europe/London", "Australia/Adelaide", "Asia/Kolkata", "America/New_York"]
)
def test_local_dates_and_cut_off_in_sql_equal_python(engine: Engine, zone: str) -> None:
    """Each moment's local date, and whether its local time is before the cut-off, as
    the report's SQL works them out (SQLite: shortcuts on the text, the full expression
    near midnight and the cut-off), against Python's zoneinfo."""
    tz = ZoneInfo(zone)
    probe = sa.Table("speedup_probe", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("at", UTCDateTime))  # fmt: skip
    probe.drop(engine, checkfirst=True)
    probe.create(engine)
    moments = _moments()
    with engine.begin() as conn:
        conn.execute(probe.insert(), [{"id": i, "at": m} for i, m in enumerate(moments)])
    cuts = [time(17, 0), time(9, 30), time(0, 30), time(23, 59, 59)]
    with engine.connect() as conn:
        local = _LocalTime(conn, tz, date(2025, 12, 1), date(2027, 1, 31))
        columns = [local.day(probe.c.at).label("day")]
        columns += [sa.case((local.before(probe.c.at, cut), 1), else_=0) for cut in cuts]
        rows = {r[0]: r[1:] for r in conn.execute(sa.select(probe.c.id, *columns))}
    probe.drop(engine)
    assert len(rows) == len(moments)
    for i, moment in enumerate(moments):
        here = moment.astimezone(tz)
        expected = [here.date().isoformat(), *(int(here.time() < cut) for cut in cuts)]
        assert [str(rows[i][0]), *rows[i][1:]] == expected, (zone, moment)


def test_stage_openings_are_looked_up_in_the_partial_index(engine: Engine) -> None:
    """The response's stage start reads `ix_report_event_stage_open`: the query states
    the index's condition in the same words (SQLite uses a partial index only then)."""
    assert STAGE_OPENING_SQL in " ".join(MIGRATION.read_text().replace('"', "").split())
    stmt = sa.select(EV.c.id, _stage_start()).where(EV.c.kind == "respond")
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
        else:  # with other ways off, the plan can use the index only if its condition holds
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
            plan = " ".join(str(r[0]) for r in conn.exec_driver_sql(f"EXPLAIN {sql}"))
    assert "ix_report_event_stage_open" in plan, plan


def test_jit_is_off_for_the_report_only(postgres_engine: Engine) -> None:
    engine = postgres_engine
    with engine.connect() as conn:
        before = conn.exec_driver_sql("SHOW jit").scalar_one()
    assert before == "on"  # PostgreSQL's default: the report turns it off for itself
    ladder = load_ladder_setting("handbook")
    smt_report(engine, ladder, Period.month(2026, 11), datetime(2026, 12, 2, 10, tzinfo=UTC))
    with engine.connect() as conn:  # the pool's same connection, after the report
        assert conn.exec_driver_sql("SHOW jit").scalar_one() == "on"
