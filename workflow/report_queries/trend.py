"""The trend by quarter: up to three years of calendar quarters ending with the period's."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow.report_definitions import Period
from workflow.report_queries.context import ReportContext
from workflow.report_queries.model import Table
from workflow.report_queries.rolled import rolled_by_day
from workflow.report_queries.schema import CH, EV
from workflow.states import Action

QUARTERS = 12  # three years


def quarters_to(end: date, count: int = QUARTERS) -> list[Period]:
    """The `count` calendar quarters up to the one holding `end`, oldest first."""
    index = end.year * 4 + (end.month - 1) // 3
    return [Period.quarter(i // 4, i % 4 + 1) for i in range(index - count + 1, index + 1)]


def trend_table(conn: Connection, ctx: ReportContext) -> Table:
    quarters = quarters_to(ctx.period.end)
    raised = _by_quarter(conn, quarters, CH.c.raised_at, sa.literal("raised"), (), ctx)
    kinds = (Action.ACCEPT.value, Action.WITHDRAW.value, Action.REFER_CAFCASS.value)
    ended = _by_quarter(conn, quarters, EV.c.occurred_at, EV.c.kind, (EV.c.kind.in_(kinds),), ctx,
                        since=ctx.live_since)  # fmt: skip
    _add_rolled(conn, quarters, ended, ctx)
    columns = [raised.get("raised", [0] * len(quarters)),
               *(ended.get(k, [0] * len(quarters)) for k in kinds)]  # fmt: skip
    table = Table("trend", ["Quarter", "Raised", "Resolved", "Withdrawn", "CAFCASS referrals"],
                  chart_columns=(1, 2))  # fmt: skip
    first = next((i for i in range(len(quarters)) if any(c[i] for c in columns)), len(quarters))
    for i, quarter in enumerate(quarters[first:], start=first):
        table.add([_label(quarter), *(c[i] for c in columns)])
    return table


def _by_quarter(conn: Connection, quarters: list[Period], col: Any, key: Any,
                where: tuple[Any, ...], ctx: ReportContext,
                since: datetime | None = None) -> dict[str, list[int]]:  # fmt: skip
    """{key: counts per quarter} in one scan: a CASE gives each row its quarter's number
    (the rows are within the quarters, so each test is one comparison). From `since` when
    the days before it are read from the rollup."""
    which = _quarter_number(col, [q.bounds()[0] for q in quarters], 0, len(quarters))
    lo, hi = quarters[0].bounds()[0], quarters[-1].bounds()[1]
    if since is not None:
        lo = max(lo, since)
    if ctx.until is not None:
        hi = min(hi, ctx.until)
    stmt = (sa.select(key, which, sa.func.count()).where(col >= lo, col < hi, *where)
            .group_by(key, which))  # fmt: skip
    counts: dict[str, list[int]] = {}
    for k, i, n in conn.execute(stmt):
        counts.setdefault(str(k), [0] * len(quarters))[int(i)] = int(n)
    return counts


def _add_rolled(conn: Connection, quarters: list[Period], counts: dict[str, list[int]],
                ctx: ReportContext) -> None:  # fmt: skip
    """Add the events of the rolled-up days (before `ctx.rolled_to`) to `counts`."""
    if ctx.rolled_to is None:
        return
    cut = min(ctx.rolled_to, quarters[-1].end + timedelta(days=1))
    starts = [q.start for q in quarters]
    for day, kind, n in rolled_by_day(conn, "trend_events", starts[0], cut):
        i = bisect_right(starts, day) - 1
        counts.setdefault(kind, [0] * len(quarters))[i] += n


def _quarter_number(col: Any, starts: list[datetime], lo: int, hi: int) -> Any:
    """Which of quarters `lo` to `hi - 1` (by their starts) holds `col`, as nested CASEs
    that halve the quarters at each test: four comparisons a row for twelve quarters,
    not up to twelve (most of the trend's time was this expression)."""
    if hi - lo == 1:
        return sa.literal(lo)
    mid = (lo + hi) // 2
    return sa.case((col < starts[mid], _quarter_number(col, starts, lo, mid)),
                   else_=_quarter_number(col, starts, mid, hi))  # fmt: skip


def _label(quarter: Period) -> str:
    return f"{quarter.start:%B} to {quarter.end:%B %Y}"
