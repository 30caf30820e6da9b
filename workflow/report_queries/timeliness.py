"""Timeliness: response times by stage against each stage's timescale, and the overall cap."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow.report_definitions import INFORMAL, Period, median, percentile, share
from workflow.report_queries.context import COMPARED, ReportContext
from workflow.report_queries.model import Cell, Table
from workflow.report_queries.rolled import TIME_OUTS
from workflow.report_queries.schema import EV
from workflow.report_queries.slices import (
    CAPPED,
    IN_CAP,
    LATE,
    RESPONSES,
    TIMEOUTS,
    day_histogram,
    formal_day_zero,
    in_period,
    stage_day_zero,
)


def _spread(days: list[int]) -> list[Cell]:
    days.sort()
    return [median(days), percentile(days, 0.9)]


def response_table(conn: Connection, ctx: ReportContext) -> Table:
    span = Period(ctx.period.previous().start, ctx.period.end)
    s = RESPONSES
    cur_lo = ctx.period.bounds()[0]
    # The compact projection: stage, which period, late flag, and the working days taken.
    inner = (
        sa.select(s.group.label("stage"), sa.case((EV.c.occurred_at >= cur_lo, 1), else_=0)
                  .label("cur"), sa.case((LATE, 1), else_=0).label("late"),
                  (EV.c.working_day - stage_day_zero()).label("days"))
        .where(in_period(s.when, span, ctx.until, ctx.live_since), *s.where)
        .cte("responses")
        .prefix_with("MATERIALIZED")  # the stage start is looked up once per response
    )  # fmt: skip
    rows = day_histogram(conn, inner, (inner.c.stage, inner.c.cur, inner.c.late))
    rows += [((stage, int(cur), late), n, count)
             for (stage, late, n), cur, count in ctx.rolled(conn, "response_times")]  # fmt: skip
    days: dict[tuple[str, bool], list[int]] = defaultdict(list)
    late: dict[tuple[str, bool], int] = defaultdict(int)
    for (stage, cur, was_late), n, count in rows:
        for pair in ((str(stage), bool(cur)), ("*", bool(cur))):
            days[pair].extend([n] * count)
            late[pair] += count if was_late else 0
    timeouts = ctx.event_counts(conn, TIME_OUTS, TIMEOUTS)
    table = Table("response_times", [
        "Stage", "Timescale (working days)", "Responses", "On time", "% on time",
        "Median working days", "90th percentile working days", "Timed out without response",
        "Previous: responses", "Previous: % on time", "Previous: median working days"],
        chart_columns=(4, 9))  # fmt: skip
    stages = list(ctx.ladder.stage_keys)
    stages += sorted({k for k, _ in days if k not in stages and k != "*"})
    for key in [*stages, "*"]:
        cur, old = sorted(days.get((key, True), [])), sorted(days.get((key, False), []))
        n, on_time = len(cur), len(cur) - late.get((key, True), 0)
        prev_on = len(old) - late.get((key, False), 0)
        timescale = _timescale(ctx, key)
        out = sum(c[0] for k, c in timeouts.items() if k == key or (key == "*" and k != INFORMAL))
        label = "All formal stages" if key == "*" else ctx.stage_name(key)
        table.add([label, timescale, n, on_time, share(on_time, n), *_spread(cur), out,
                   len(old), share(prev_on, len(old)), _spread(old)[0]], f"response_times:{key}")  # fmt: skip
    return table


def _timescale(ctx: ReportContext, key: str) -> int | None:
    try:
        return ctx.ladder.stage(key).working_days
    except KeyError:
        return None


def cap_table(conn: Connection, ctx: ReportContext) -> Table:
    span = Period(ctx.period.previous().start, ctx.period.end)
    s = CAPPED
    cur_lo = ctx.period.bounds()[0]
    inner = (
        sa.select(sa.case((EV.c.occurred_at >= cur_lo, 1), else_=0).label("cur"),
                  sa.case((IN_CAP, 1), else_=0).label("inside"),
                  (EV.c.working_day - formal_day_zero()).label("days"))
        .select_from(s.source).where(in_period(s.when, span, ctx.until, ctx.live_since), *s.where)
        .cte("ended").prefix_with("MATERIALIZED")
    )  # fmt: skip
    rows = day_histogram(conn, inner, (inner.c.cur, inner.c.inside))
    rows += [
        ((int(cur), inside), n, count) for (_, inside, n), cur, count in ctx.rolled(conn, "cap")
    ]
    days: dict[bool, list[int]] = {True: [], False: []}
    within = {True: 0, False: 0}
    for (cur, inside), n, count in rows:
        days[bool(cur)].extend([n] * count)
        within[bool(cur)] += count if inside else 0
    cap = ctx.ladder.overall_cap_working_days
    table = Table("cap", ["Measure", *COMPARED])
    cur_days, old = sorted(days[True]), sorted(days[False])
    if cap is None:  # the ladder sets no overall cap: nothing to be within
        table.add(["Formal challenges ended (no overall cap)", len(cur_days), len(old)], "cap:*")
        table.add(["Ended within the cap", None, None])
        table.add(["% within the cap", None, None])
    else:
        table.add([f"Formal challenges ended (cap {cap} working days)", len(cur_days),
                   len(old)], "cap:*")  # fmt: skip
        table.add(["Ended within the cap", within[True], within[False]], "cap:within")
        table.add(["% within the cap", share(within[True], len(cur_days)),
                   share(within[False], len(old))])  # fmt: skip
    table.add(["Median working days", median(cur_days), median(old)])
    table.add(["90th percentile working days", percentile(cur_days, 0.9), percentile(old, 0.9)])
    alerts = ctx.counts(conn, "cap_alerts").get("*", (0, 0))
    table.add(["Cap alerts sent", *alerts], "cap_alerts:*")
    return table
