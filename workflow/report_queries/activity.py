"""What IROs did besides challenges: impact at resolution, contact with children, caseloads."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow.activity_tables import CONTACT_KINDS, ActivityKind
from workflow.report_definitions import (
    INFORMAL,
    NO_DATA,
    Period,
    caseload_band,
    last_day_before,
)
from workflow.report_queries.context import (
    COMPARED,
    ReportContext,
    grouped,
    london_day,
    names_of,
    person_names,
)
from workflow.report_queries.history import child_iro_at, iros_at
from workflow.report_queries.model import Table
from workflow.report_queries.rates import looked_after_on, per_post
from workflow.report_queries.schema import ACT, CH, CHILD, EV, GP, OUTCOME_KIND, PERSON
from workflow.report_queries.slices import NOT_RECORDED, Slice, events, in_period, slice_counts
from workflow.states import Action

EXAMPLES = 5  # impact examples shown


def outcome_kinds_table(conn: Connection, ctx: ReportContext) -> Table:
    """What changed for children: resolutions by the kind of outcome the IRO picked."""
    rows = list(conn.execute(sa.select(OUTCOME_KIND.c.key, OUTCOME_KIND.c.label,
                                       OUTCOME_KIND.c.position, OUTCOME_KIND.c.active)))  # fmt: skip
    names = {str(k): str(label) for k, label, _, _ in rows}
    names[NOT_RECORDED] = "Not recorded"
    position = {str(k): int(p) for k, _, p, _ in rows}
    offered = [str(k) for k, _, _, active in rows if active]
    return grouped(conn, ctx, "outcome_kinds", "What changed for the child", names,
                   order=lambda k: (position.get(k, len(position)), k), every=offered)  # fmt: skip


def impact_table(conn: Connection, ctx: ReportContext) -> Table:
    s = events([Action.ACCEPT], sa.literal("*"))
    total = slice_counts(conn, s, ctx.period, ctx.until).get("*", (0, 0))
    stmt = (sa.select(CH.c.reference, EV.c.occurred_at, EV.c.stage_key, EV.c.details)
            .select_from(s.source).where(in_period(s.when, ctx.period, ctx.until), *s.where)
            .order_by(EV.c.occurred_at.desc(), EV.c.id.desc()).limit(EXAMPLES))  # fmt: skip
    kinds = names_of(conn, sa.select(OUTCOME_KIND.c.key, OUTCOME_KIND.c.label))
    table = Table("impact", ["Challenge", "Resolved on", "Stage", "What changed for the child",
                             "Outcome", "Impact for the child"])  # fmt: skip
    for ref, at, stage, details in conn.execute(stmt):
        kind = details.get("outcome_kind")
        table.add([ref, london_day(at), ctx.stage_name(stage or INFORMAL),
                   kinds.get(kind, kind) if kind else "Not recorded", details.get("outcome"),
                   details.get("impact")], f"challenge:{ref}")  # fmt: skip
    table.add(["Resolved with impact recorded", total[0], None, None, None,
               _compared_note(conn, ctx, s, total[1])], "impact:*")  # fmt: skip
    return table


def _compared_note(conn: Connection, ctx: ReportContext, s: Slice, previous: int) -> str:
    """The previous period's count and the year earlier's, in words ("no data for that
    period" before anything was recorded)."""
    year = ctx.period.year_earlier()
    if not ctx.year_has_data:
        earlier: int | str = NO_DATA
    elif year == ctx.period.previous():
        earlier = previous
    else:
        earlier = slice_counts(conn, s, year, ctx.until).get("*", (0, 0))[0]
    before = previous if ctx.previous_has_data else NO_DATA
    return f"previous period: {before}; same period a year earlier: {earlier}"


_ABOUT = {"child": "About a child", "worker": "About a worker", "team": "About a team"}


# Who a good-practice record is about: the figure's key, shared with its drill-down.
GOOD_PRACTICE_ABOUT = sa.case((GP.c.child_id.is_not(None), "child"),
                              (GP.c.person_id.is_not(None), "worker"), else_="team")  # fmt: skip


def good_practice_in(period: Period, last: date) -> tuple[Any, Any]:
    """Good practice dated in the period, up to the day the report is as at."""
    return GP.c.occurred_on >= period.start, GP.c.occurred_on <= min(period.end, last)


def _good_practice(conn: Connection, period: Period, last: date) -> dict[str, int]:
    stmt = (sa.select(GOOD_PRACTICE_ABOUT, sa.func.count())
            .where(*good_practice_in(period, last))
            .group_by(GOOD_PRACTICE_ABOUT))  # fmt: skip
    return {str(k): int(n) for k, n in conn.execute(stmt)}


def good_practice_recorded_table(conn: Connection, ctx: ReportContext) -> Table:
    """Good practice recorded without a challenge, by who it was about (dated, not timed)."""
    last = last_day_before(ctx.until) if ctx.until else ctx.period.end
    cur = _good_practice(conn, ctx.period, last)
    old = _good_practice(conn, ctx.period.previous(), last)
    table = Table("good_practice_recorded", ["About", *COMPARED], chart_columns=(1, 2))
    for key, label in _ABOUT.items():
        table.add([label, cur.get(key, 0), old.get(key, 0)], f"good_practice_recorded:{key}")
    table.add(["Total", sum(cur.values()), sum(old.values())], "good_practice_recorded:*")
    return table


def _dated(period: Period, last: date) -> tuple[Any, Any]:
    """Activity dated in the period, up to the day the report is as at."""
    return ACT.c.occurred_on >= period.start, ACT.c.occurred_on <= min(period.end, last)


def _contacts(conn: Connection, period: Period, last: date) -> dict[str, tuple[int, int, int, int]]:
    contact = ACT.c.kind.in_([k.value for k in CONTACT_KINDS])

    def n(cond: Any) -> Any:
        return sa.func.sum(sa.case((cond, 1), else_=0))

    stmt = (sa.select(ACT.c.iro_id,
                      sa.func.count(sa.distinct(sa.case((contact, ACT.c.child_id)))), n(contact),
                      n(ACT.c.kind == ActivityKind.MIDWAY_REVIEW.value),
                      n(ACT.c.kind == ActivityKind.SOCIAL_WORKER_CONSULTATION.value))
            .where(*_dated(period, last))
            .group_by(ACT.c.iro_id))  # fmt: skip
    return {str(r[0]): (int(r[1]), int(r[2] or 0), int(r[3] or 0), int(r[4] or 0))
            for r in conn.execute(stmt)}  # fmt: skip


def contacts_table(conn: Connection, ctx: ReportContext) -> Table:
    last = last_day_before(ctx.until) if ctx.until else ctx.period.end
    cur, old = _contacts(conn, ctx.period, last), _contacts(conn, ctx.period.previous(), last)
    names = person_names(conn)
    table = Table("contacts", ["IRO", "Children seen or contacted", "Contacts", "Midway reviews",
                               "Consultations with the social worker",
                               "Previous: children seen or contacted"],
                  chart_columns=(1, 5))  # fmt: skip
    for iro in sorted(set(cur) | set(old), key=lambda k: names.get(k, k)):
        now_ = cur.get(iro, (0, 0, 0, 0))
        table.add([names.get(iro, iro), *now_, old.get(iro, (0,))[0]], f"contacts:{iro}")
    totals = [sum(v[i] for v in cur.values()) for i in range(4)]
    # Children are counted once in the total even when two IROs contacted them.
    totals[0] = _distinct_children(conn, ctx.period, last)
    table.add(
        ["All IROs", *totals, _distinct_children(conn, ctx.period.previous(), last)], "contacts:*"
    )
    return table


def _distinct_children(conn: Connection, period: Period, last: date) -> int:
    stmt = sa.select(sa.func.count(sa.distinct(ACT.c.child_id))).where(
        ACT.c.kind.in_([k.value for k in CONTACT_KINDS]),
        *_dated(period, last))  # fmt: skip
    return int(conn.execute(stmt).scalar_one())


def caseload_table(conn: Connection, ctx: ReportContext) -> Table:
    """Looked-after children allocated to each active IRO at the report's moment, per
    full-time post (the IRO's working-time fraction), against the Handbook's 50 to 70: the
    IROs, their working time and the children's IROs as the records stood then."""
    iros = iros_at(ctx.now)
    children = (sa.select(child_iro_at(ctx.now).label("iro_id"), CHILD.c.id)
                .where(looked_after_on(last_day_before(ctx.now))).subquery("allocated"))  # fmt: skip
    stmt = (sa.select(PERSON.c.id, PERSON.c.name, iros.c.fte, sa.func.count(children.c.id))
            .select_from(iros.join(PERSON, PERSON.c.id == iros.c.person_id)
                         .outerjoin(children, children.c.iro_id == iros.c.person_id))
            .group_by(PERSON.c.id, PERSON.c.name, iros.c.fte).order_by(PERSON.c.name))  # fmt: skip
    table = Table("caseloads", ["IRO", "Looked-after children", "Working time (full time = 1)",
                                "Per full-time post", "Against 50-70"], chart_columns=(3,))  # fmt: skip
    for pid, name, fte, n in conn.execute(stmt):
        load = per_post(int(n), float(fte))
        table.add([name, int(n), float(fte), load,
                   caseload_band(load) if load is not None else "no working time recorded"],
                  f"caseloads:{pid}")  # fmt: skip
    return table
