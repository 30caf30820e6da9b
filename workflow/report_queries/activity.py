"""What IROs did besides challenges: impact at resolution, contact with children, caseloads."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from escalation_rules.model import Role
from workflow.activity_tables import CONTACT_KINDS, ActivityKind
from workflow.report_definitions import INFORMAL, Period, caseload_band, last_day_before
from workflow.report_queries.context import ReportContext, london_day, person_names
from workflow.report_queries.model import Table
from workflow.report_queries.schema import ACT, CH, CHILD, EV, PERSON
from workflow.report_queries.slices import events, in_period, slice_counts
from workflow.states import Action

EXAMPLES = 5  # impact examples shown


def impact_table(conn: Connection, ctx: ReportContext) -> Table:
    s = events([Action.ACCEPT], sa.literal("*"))
    total = slice_counts(conn, s, ctx.period, ctx.until).get("*", (0, 0))
    stmt = (sa.select(CH.c.reference, EV.c.occurred_at, EV.c.stage_key, EV.c.details)
            .select_from(s.source).where(in_period(s.when, ctx.period, ctx.until), *s.where)
            .order_by(EV.c.occurred_at.desc(), EV.c.id.desc()).limit(EXAMPLES))  # fmt: skip
    table = Table(
        "impact", ["Challenge", "Resolved on", "Stage", "Outcome", "Impact for the child"]
    )
    for ref, at, stage, details in conn.execute(stmt):
        table.add([ref, london_day(at), ctx.stage_name(stage or INFORMAL), details.get("outcome"),
                   details.get("impact")], f"challenge:{ref}")  # fmt: skip
    table.add(["Resolved with impact recorded", total[0], None, None, f"previous period: {total[1]}"],
              "impact:*")  # fmt: skip
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
    stmt = (sa.select(PERSON.c.id, PERSON.c.name, sa.func.count(CHILD.c.id))
            .select_from(PERSON.outerjoin(CHILD, CHILD.c.iro_id == PERSON.c.id))
            .where(PERSON.c.role == Role.IRO.value, PERSON.c.active.is_(True))
            .group_by(PERSON.c.id, PERSON.c.name).order_by(PERSON.c.name))  # fmt: skip
    table = Table("caseloads", ["IRO", "Children", "Against 50-70"], chart_columns=(1,))
    for pid, name, n in conn.execute(stmt):
        table.add([name, int(n), caseload_band(int(n))], f"caseloads:{pid}")
    return table
