"""What keeps the SMT report fast without changing a figure: the partial indexes for stage
openings and raises (holding their day zero), and JIT off on PostgreSQL for the report's
transaction only. (Working days are stored numbers: see `test_definitions`.)"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from escalation_rules.loader import load_ladder_setting
from tests.reports.conftest import NOVEMBER, Scenario
from workflow.report_definitions import RAISE_SQL, STAGE_OPENING_SQL, Period
from workflow.report_queries import EV, smt_report
from workflow.report_queries.slices import (
    RAISED_TOGETHER,
    SLICES,
    slice_counts,
    slices_counted_together,
)
from workflow.report_queries.slices import raised_day_zero as _raised_day_zero
from workflow.report_queries.slices import stage_day_zero as _stage_day_zero

VERSIONS = Path(__file__).parents[2] / "workflow/migrations/versions"
MIGRATION = VERSIONS / "0005_footprint.py"


def test_stage_openings_are_looked_up_in_the_partial_index(engine: Engine) -> None:
    """The response's stage start (its day zero) reads `ix_report_event_stage_open`: the query states
    the index's condition in the same words (SQLite uses a partial index only then)."""
    assert STAGE_OPENING_SQL in " ".join(MIGRATION.read_text().replace('"', "").split())
    stmt = sa.select(EV.c.id, _stage_day_zero()).where(EV.c.kind == "respond")
    assert "ix_report_event_stage_open" in _plan(engine, stmt)


def test_raises_are_looked_up_in_the_partial_index(engine: Engine) -> None:
    """Raise to end reads each challenge's raise (its day zero) in `ix_report_event_raise`,
    whose condition the query states in the same words."""
    migration = VERSIONS / "0019_report_indexes.py"
    assert RAISE_SQL in " ".join(migration.read_text().replace('"', "").split())
    stmt = sa.select(EV.c.id, _raised_day_zero()).where(EV.c.kind == "accept")
    assert "ix_report_event_raise" in _plan(engine, stmt)


def _plan(engine: Engine, stmt: sa.Select[Any]) -> str:
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
        else:  # with other ways off, the plan can use the index only if its condition holds
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
            plan = " ".join(str(r[0]) for r in conn.exec_driver_sql(f"EXPLAIN {sql}"))
    return plan


def test_jit_is_off_for_the_report_only(postgres_engine: Engine) -> None:
    engine = postgres_engine
    with engine.connect() as conn:
        before = conn.exec_driver_sql("SHOW jit").scalar_one()
    assert before == "on"  # PostgreSQL's default: the report turns it off for itself
    ladder = load_ladder_setting("handbook")
    smt_report(engine, ladder, Period.month(2026, 11), datetime(2026, 12, 2, 10, tzinfo=UTC))
    with engine.connect() as conn:  # the pool's same connection, after the report
        assert conn.exec_driver_sql("SHOW jit").scalar_one() == "on"


def test_the_raised_figures_counted_together_equal_each_counted_alone(scenario: Scenario) -> None:
    """One scan grouped by the four keys gives each figure exactly its own slice's counts,
    for the hand-worked month and as at a moment inside it."""
    engine = scenario.runtime.engine
    slices = {key: SLICES[key] for key in RAISED_TOGETHER}
    with engine.connect() as conn:
        for until in (None, datetime(2026, 11, 20, 12, tzinfo=UTC)):
            together = slices_counted_together(conn, slices, NOVEMBER, until)
            for key, s in slices.items():
                assert together[key] == slice_counts(conn, s, NOVEMBER, until), key
            assert sum(sum(c) for c in together["raised"].values()) > 0
