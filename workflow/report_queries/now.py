"""What was open and stuck at the end of the period and at the report's moment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Connection

from workflow.report_definitions import INFORMAL, OPEN_STATE_VALUES
from workflow.report_queries.context import ReportContext
from workflow.report_queries.model import Cell, Table
from workflow.report_queries.stuck import (
    PAST_CAP,
    REASONS,
    TARGET_PASSED,
    Holder,
    Snapshot,
    open_at,
    working_days_since,
)
from workflow.states import State

STUCK_LISTED = 25  # stuck challenges listed in the table (the drill-down has them all)
_REASON_KEYS = {"out_of_time": REASONS[0], "past_cap": PAST_CAP, "target_passed": TARGET_PASSED}
OPEN_STATES_IN_ORDER = [s for s in State if s.value in OPEN_STATE_VALUES]


def period_end(ctx: ReportContext) -> datetime:
    """The end of the period, or the report's moment when that comes first."""
    return min(ctx.period.bounds()[1], ctx.now)


def open_at_once(conn: Connection, ctx: ReportContext, at: datetime) -> list[Snapshot]:
    """`open_at`, rebuilt from the log once per moment for the whole report."""
    if at not in ctx.open_at:
        ctx.open_at[at] = open_at(conn, at)
    return list(ctx.open_at[at])


def open_table(conn: Connection, ctx: ReportContext) -> Table:
    at_end, now = open_at_once(conn, ctx, period_end(ctx)), open_at_once(conn, ctx, ctx.now)
    table = Table("open_now", ["Measure", "At the end of the period", "At the report time"],
                  chart_columns=(1, 2))  # fmt: skip
    for key, label in _measures():
        table.add([label, len(pick(at_end, key, period_end(ctx))), len(pick(now, key, ctx.now))],
                  f"open_end:{key}")  # fmt: skip
    return table


def _measures() -> list[tuple[str, str]]:
    states = [(s.value, s.label) for s in OPEN_STATES_IN_ORDER]
    return [*states, ("*", "Total open"), *_REASON_KEYS.items(), ("stuck", "Stuck (any reason)")]


def pick(snaps: list[Snapshot], key: str, at: datetime) -> list[Snapshot]:
    """The open challenges one row of the table counts."""
    if key == "*":
        return snaps
    if key == "stuck":
        return [s for s in snaps if s.reasons(at)]
    if key in _REASON_KEYS:
        return [s for s in snaps if any(r == _REASON_KEYS[key] for r, _ in s.reasons(at))]
    return [s for s in snaps if s.state.value == key]


def stuck_table(conn: Connection, ctx: ReportContext) -> Table:
    return stuck_list(conn, ctx, ctx.now)


def stuck_list(conn: Connection, ctx: ReportContext, at: datetime,
               limit: int | None = STUCK_LISTED) -> Table:  # fmt: skip
    """Stuck challenges at `at`, stuck longest first: who holds each, for how long, why."""
    holder = Holder.load(conn, rebuilt=at < ctx.now or ctx.rebuilt)
    calendar = ctx.working_days.rules.calendar
    table = Table("stuck", ["Challenge", "Child", "Child's team", "Stage", "Held by",
                            "Stuck since", "Working days stuck", "Why"])  # fmt: skip
    rows: list[list[Cell]] = []
    for snap in open_at_once(conn, ctx, at):
        reasons = snap.reasons(at)
        if not reasons:
            continue
        since = min(d for _, d in reasons)
        stage = ctx.stage_name(snap.fields["stage_key"] or INFORMAL)
        rows.append([snap.reference, snap.child, holder.team(snap), stage, holder.holder(snap),
                     since.isoformat(), working_days_since(calendar, since, at),
                     "; ".join(r for r, _ in reasons)])  # fmt: skip
    rows.sort(key=lambda r: (-int(str(r[6])), str(r[0])))
    for row in rows[:limit] if limit is not None else rows:
        table.add(row, f"challenge:{row[0]}")
    return table
