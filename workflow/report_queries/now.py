"""What is open and overdue now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from escalation_rules.model import Ladder
from workflow.report_definitions import CLOCK_STATE_VALUES, INFORMAL, OPEN_STATE_VALUES, Period
from workflow.report_queries.context import ReportContext, local_date, london_day
from workflow.report_queries.model import Table
from workflow.report_queries.schema import CH, CHILD
from workflow.report_queries.working_days import WorkingDays
from workflow.states import State

OVERDUE_LISTED = 25  # overdue challenges listed in the table (the drill-down has them all)


def open_table(conn: Connection, ctx: ReportContext) -> Table:
    stmt = (sa.select(CH.c.state, sa.func.count()).where(CH.c.state.in_(OPEN_STATE_VALUES))
            .group_by(CH.c.state))  # fmt: skip
    by_state = {str(k): int(n) for k, n in conn.execute(stmt)}
    overdue = conn.execute(sa.select(sa.func.count()).where(*overdue_where(ctx.now))).scalar_one()
    table = Table("open_now", ["State", "Challenges"], chart_columns=(1,))
    for state in State:
        if state.value in OPEN_STATE_VALUES:
            table.add([state.label, by_state.get(state.value, 0)], f"open_now:{state.value}")
    table.add(["Total open", sum(by_state.values())], "open_now:*")
    table.add(["Overdue now", int(overdue)], "open_now:overdue")
    return table


def overdue_where(now: datetime) -> tuple[Any, ...]:
    return (CH.c.state.in_(CLOCK_STATE_VALUES), CH.c.due_at.is_not(None), CH.c.due_at < now)


def overdue_table(conn: Connection, ctx: ReportContext) -> Table:
    return overdue_list(conn, ctx.ladder, ctx.now)


def overdue_list(conn: Connection, ctx_ladder: Ladder, now: datetime,
                 limit: int | None = OVERDUE_LISTED) -> Table:  # fmt: skip
    """Overdue challenges now, oldest raised first: reference, child, stage, due, days late."""
    stmt = (sa.select(CH.c.reference, CHILD.c.case_reference, CH.c.stage_key, CH.c.raised_at,
                      CH.c.due_at)
            .select_from(CH.join(CHILD, CH.c.child_id == CHILD.c.id))
            .where(*overdue_where(now)).order_by(CH.c.raised_at, CH.c.id).limit(limit))  # fmt: skip
    ctx = ReportContext(ctx_ladder, Period(now.date(), now.date()), now)
    wd = WorkingDays(ctx_ladder)
    # Day 1 of being overdue is the working day after the due day.
    table = Table("overdue", ["Challenge", "Child", "Stage", "Raised", "Due",
                              "Working days overdue"])  # fmt: skip
    for ref, child, stage, raised, due in conn.execute(stmt):
        late_by = wd.rules.calendar.working_days_between(local_date(due), local_date(now))
        table.add([ref, child, ctx.stage_name(stage or INFORMAL), london_day(raised), london_day(due),
                   late_by], f"challenge:{ref}")  # fmt: skip
    return table
