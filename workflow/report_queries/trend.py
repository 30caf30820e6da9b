"""The trend by quarter: up to three years of calendar quarters ending with the period's."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow.report_definitions import Period
from workflow.report_queries.context import ReportContext
from workflow.report_queries.model import Table
from workflow.report_queries.schema import CH, EV
from workflow.states import Action

QUARTERS = 12  # three years


def quarters_to(end: date, count: int = QUARTERS) -> list[Period]:
    """The `count` calendar quarters up to the one holding `end`, oldest first."""
    index = end.year * 4 + (end.month - 1) // 3
    return [Period.quarter(i // 4, i % 4 + 1) for i in range(index - count + 1, index + 1)]


def trend_table(conn: Connection, ctx: ReportContext) -> Table:
    quarters = quarters_to(ctx.period.end)
    raised = _by_quarter(conn, quarters, CH.c.raised_at, (), ctx)
    kinds = (Action.ACCEPT, Action.WITHDRAW, Action.REFER_CAFCASS)
    ended = {k: _by_quarter(conn, quarters, EV.c.occurred_at, (EV.c.kind == k.value,), ctx)
             for k in kinds}  # fmt: skip
    table = Table("trend", ["Quarter", "Raised", "Resolved", "Withdrawn", "CAFCASS referrals"],
                  chart_columns=(1, 2))  # fmt: skip
    first = next((i for i, q in enumerate(quarters)
                  if raised[i] or any(ended[k][i] for k in kinds)), len(quarters))  # fmt: skip
    for i, quarter in enumerate(quarters[first:], start=first):
        table.add([_label(quarter), raised[i], *(ended[k][i] for k in kinds)])
    return table


def _by_quarter(conn: Connection, quarters: list[Period], col: Any, where: tuple[Any, ...],
                ctx: ReportContext) -> list[int]:  # fmt: skip
    """Counts per quarter in one scan: a CASE gives each row its quarter's number."""
    which = sa.case(*((sa.and_(col >= q.bounds()[0], col < q.bounds()[1]), i)
                      for i, q in enumerate(quarters)), else_=-1)  # fmt: skip
    lo, hi = quarters[0].bounds()[0], quarters[-1].bounds()[1]
    if ctx.until is not None:
        hi = min(hi, ctx.until)
    stmt = sa.select(which, sa.func.count()).where(col >= lo, col < hi, *where).group_by(which)
    counts = [0] * len(quarters)
    for i, n in conn.execute(stmt):
        if int(i) >= 0:
            counts[int(i)] = int(n)
    return counts


def _label(quarter: Period) -> str:
    return f"{quarter.start:%B} to {quarter.end:%B %Y}"
