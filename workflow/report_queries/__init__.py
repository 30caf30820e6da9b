"""The SMT report, aggregated in SQL (GROUP BY), never by loading rows as objects.

One module per subject; each figure is defined once (`slices` says what a count counts,
`workflow.report_definitions` says it in words) and built by one function here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime

from sqlalchemy.engine import Connection, Engine

from escalation_rules.model import Ladder
from workflow.report_definitions import Period
from workflow.report_queries import activity, counts, now, rates, timeliness, trend
from workflow.report_queries.compared import (
    add_year_earlier,
    has_data,
    is_compared,
    previous_columns,
    say_no_data,
)
from workflow.report_queries.context import ReportContext, local_date, no_jit
from workflow.report_queries.drilldown import drilldown
from workflow.report_queries.model import Cell, SmtReport, Table
from workflow.report_queries.now import stuck_list
from workflow.report_queries.rollup import roll_up, usable_until
from workflow.report_queries.schema import ACT, CH, CHILD, EV, GP, PERSON, TEAM, THEME
from workflow.report_queries.working_days import WorkingDays

__all__ = [
    "ACT",
    "CH",
    "CHILD",
    "EV",
    "GP",
    "PERSON",
    "TEAM",
    "THEME",
    "Cell",
    "SmtReport",
    "Table",
    "WorkingDays",
    "drilldown",
    "smt_report",
    "stuck_list",
]  # fmt: skip

Builder = Callable[[Connection, ReportContext], Table]
BUILDERS: tuple[Builder, ...] = (
    counts.raised_table, counts.theme_table, counts.team_table, counts.iro_table,
    counts.highest_table, counts.resolved_table, counts.outcomes_table,
    timeliness.response_table, timeliness.cap_table, rates.rates_table, trend.trend_table,
    now.open_table,
    now.stuck_table,
    counts.cafcass_table, activity.outcome_kinds_table, activity.impact_table, counts.good_practice_table,
    activity.good_practice_recorded_table,
    activity.contacts_table, activity.caseload_table,
)  # fmt: skip


def smt_report(engine: Engine, ladder: Ladder, period: Period, now: datetime,
               as_at: datetime | None = None, *, roll_with: Engine | None = None,
               live: bool = False) -> SmtReport:  # fmt: skip
    """The report for `period`, produced at `now`, with what the log held at `as_at`
    (default: `now`). As at a past moment, no event after it counts, and what was open,
    stuck and the highest stage reached are rebuilt from the log. Compared figures show the
    previous period and the same period a year earlier (`compared`).

    Closed London days are read from the rollup where it is up to date
    (`workflow.report_queries.rollup`); `roll_with` (an engine that may write) brings it up to the
    day of `now` first. `live`: count every day from the log (what the rollup must equal)."""
    if roll_with is not None and not live:
        roll_up(roll_with, now, reader=engine)
    moment = now if as_at is None else min(as_at, now)
    year = period.year_earlier()
    with engine.connect() as conn:
        no_jit(conn)
        earlier, year_data = has_data(conn, period.previous()), has_data(conn, year)
        ctx = ReportContext(ladder, period, moment, rebuilt=moment < now,
                            previous_has_data=earlier, year_has_data=year_data)  # fmt: skip
        ctx.rolled_to = None if live else _rolled_to(conn, ctx)
        tables = [build(conn, ctx) for build in BUILDERS]
        # A whole year's year earlier is its previous period: its columns are copied.
        again = year_data and year != period.previous()
        year_ctx = replace(ctx, period=year)
        for build, table in zip(BUILDERS, tables, strict=True):
            if not is_compared(table):
                continue
            previous = previous_columns(table)
            added = add_year_earlier(table, build(conn, year_ctx) if again else None)
            if not earlier:
                say_no_data(table, previous)
            if not year_data:
                say_no_data(table, added)
    return SmtReport(period, period.previous(), now, ladder.name, tables, as_at=moment,
                     previous_has_data=earlier, year_earlier=year,
                     year_earlier_has_data=year_data)  # fmt: skip


def _rolled_to(conn: Connection, ctx: ReportContext) -> date | None:
    """The first day counted live: the rollup's, or the day of the moment the report is as
    at if earlier (that day and every later one are counted from the log)."""
    cut = usable_until(conn)
    if cut is not None and ctx.until is not None:
        cut = min(cut, local_date(ctx.until))
    return cut
