"""Rates: challenges per 100 looked-after children, children challenged for, the share
settled at social worker or team manager level, and how long challenges took end to end."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from escalation_rules.model import LegalStatus, Role
from workflow.report_definitions import (
    ENDING_KINDS,
    INFORMAL,
    Period,
    last_day_before,
    median,
    share,
)
from workflow.report_queries.context import COMPARED, ReportContext
from workflow.report_queries.history import child_iro_at, iros_at
from workflow.report_queries.model import Cell, Table
from workflow.report_queries.schema import CH, CHILD, EV
from workflow.report_queries.slices import (
    day_histogram,
    in_period,
    raised_day_zero,
)

SETTLED_LOW = (Role.SOCIAL_WORKER, Role.TEAM_MANAGER)  # the level councils publish


def rates_table(conn: Connection, ctx: ReportContext) -> Table:
    periods = (ctx.period, ctx.period.previous())
    looked_after = [_looked_after(conn, ctx, p) for p in periods]
    raised = ctx.counts(conn, "raised")
    counts = [sum(c[i] for c in raised.values()) for i in (0, 1)]
    children = [_children(conn, ctx, p) for p in periods]
    settled = _settled_low(conn, ctx)
    days = _raise_to_end(conn, ctx)
    posts = [iro_posts(conn, moment_of(ctx, p)) for p in periods]
    with_iro = [_looked_after(conn, ctx, p, with_iro=True) for p in periods]
    table = Table("rates", ["Measure", *COMPARED])
    table.add(["Looked-after children at the end of the period", *looked_after])
    table.add(["Challenges raised per 100 looked-after children",
               *(_per_100(n, c) for n, c in zip(counts, looked_after, strict=True))],
              "raised:*")  # fmt: skip
    table.add(["Children with at least one challenge raised", *children])
    table.add(["% resolved at social worker or team manager level (informal included)",
               *(share(low, total) for low, total in settled)])  # fmt: skip
    table.add(["Median working days from raise to end (informal included)",
               *(median(sorted(d)) for d in days)])  # fmt: skip
    table.add(["IRO caseload per full-time post (looked-after children and full-time IROs "
               "at the end of the period)",
               *(per_post(n, p) for n, p in zip(with_iro, posts, strict=True))])  # fmt: skip
    return table


def _per_100(count: int, children: int) -> Cell:
    return round(100 * count / children, 1) if children else None


def per_post(children: int, posts: float) -> float | None:
    """Children per full-time post, to one decimal place (None: no IRO time recorded)."""
    return round(children / posts, 1) if posts > 0 else None


def looked_after_on(day: date) -> Any:
    """A condition on `child`: looked after on `day` (a London date). From the looked-after
    start date up to, not including, the end date (the day they stopped being looked after);
    a child with no start date recorded counts when their legal status is looked after."""
    dated = sa.and_(CHILD.c.looked_after_from <= day,
                    sa.or_(CHILD.c.looked_after_until.is_(None), CHILD.c.looked_after_until > day))  # fmt: skip
    undated = sa.and_(CHILD.c.looked_after_from.is_(None),
                      CHILD.c.legal_status == LegalStatus.LOOKED_AFTER.value)  # fmt: skip
    return sa.or_(dated, undated)


def as_at_day(ctx: ReportContext, period: Period) -> date:
    """The period's last day, or the last day begun by the moment the report is as at."""
    return min(period.end, last_day_before(ctx.until)) if ctx.until else period.end


def moment_of(ctx: ReportContext, period: Period) -> datetime:
    """The period's end, or the moment the report is as at if that is earlier: the
    moment people's and children's records are read as at."""
    end = period.bounds()[1]
    return min(end, ctx.until) if ctx.until else end


def _looked_after(conn: Connection, ctx: ReportContext, period: Period,
                  with_iro: bool = False) -> int:  # fmt: skip
    where = [looked_after_on(as_at_day(ctx, period))]
    if with_iro:  # allocated to someone who was an active IRO then
        moment = moment_of(ctx, period)
        where.append(child_iro_at(moment).in_(sa.select(iros_at(moment).c.person_id)))
    stmt = sa.select(sa.func.count()).select_from(CHILD).where(*where)
    return int(conn.execute(stmt).scalar_one())


def iro_posts(conn: Connection, moment: datetime) -> float:
    """Full-time posts the active IROs filled then: the sum of their working-time fractions."""
    iros = iros_at(moment)
    total = conn.execute(sa.select(sa.func.sum(iros.c.fte))).scalar_one()
    return float(total or 0)


def _children(conn: Connection, ctx: ReportContext, period: Period) -> int:
    stmt = sa.select(sa.func.count(sa.distinct(CH.c.child_id))).where(
        in_period(CH.c.raised_at, period, ctx.until)
    )
    return int(conn.execute(stmt).scalar_one())


def _settled_low(conn: Connection, ctx: ReportContext) -> list[tuple[int, int]]:
    """(resolved informally or at a social worker / team manager stage, all resolved)."""
    roles = {r.value for r in SETTLED_LOW}
    low = {INFORMAL, *(s.key for s in ctx.ladder.stages if roles & set(s.responder.posts))}
    by_stage = ctx.counts(conn, "resolved_at_stage")
    return [(sum(c[i] for k, c in by_stage.items() if k in low),
             sum(c[i] for c in by_stage.values())) for i in (0, 1)]  # fmt: skip


def _raise_to_end(conn: Connection, ctx: ReportContext) -> list[list[int]]:
    """Working days from raise to the accept or withdraw, for challenges ended in each period."""
    span = Period(ctx.period.previous().start, ctx.period.end)
    cur_lo = ctx.period.bounds()[0]
    inner = (
        sa.select(sa.case((EV.c.occurred_at >= cur_lo, 1), else_=0).label("cur"),
                  (EV.c.working_day - raised_day_zero()).label("days"))
        .where(EV.c.kind.in_(ENDING_KINDS),
               in_period(EV.c.occurred_at, span, ctx.until, ctx.live_since))
        .cte("ended_any").prefix_with("MATERIALIZED")
    )  # fmt: skip
    rows = day_histogram(conn, inner, (inner.c.cur,))
    rows += [((int(cur),), n, count) for (_, _, n), cur, count in ctx.rolled(conn, "raise_to_end")]
    days: list[list[int]] = [[], []]
    for (cur,), n, count in rows:
        days[0 if cur else 1].extend([n] * count)
    return days
