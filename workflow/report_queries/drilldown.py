"""Drill-down: the references behind one cell of the report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from escalation_rules.model import Ladder
from workflow.activity_tables import CONTACT_KINDS
from workflow.report_definitions import Period, last_day_before
from workflow.report_queries.activity import GOOD_PRACTICE_ABOUT, good_practice_in
from workflow.report_queries.context import no_jit
from workflow.report_queries.history import child_iro_at
from workflow.report_queries.now import pick
from workflow.report_queries.rates import looked_after_on
from workflow.report_queries.schema import ACT, CH, CHILD, GP
from workflow.report_queries.slices import (
    CAPPED,
    IN_CAP,
    RESPONSES,
    SLICES,
    events,
    highest_stage_as_at,
    in_period,
)
from workflow.report_queries.stuck import open_at
from workflow.states import Action


def drilldown(engine: Engine, ladder: Ladder, period: Period, cell: str,
              now: datetime, rebuilt: bool = False) -> list[str]:  # fmt: skip
    """The challenge references (or, for contacts and caseloads, children; for good practice
    recorded without a challenge, the records' ids) behind a cell.

    `now` is the moment the report is as at; `rebuilt` when that is in the past (see
    `ReportContext.rebuilt`)."""
    figure, _, key = cell.partition(":")
    with engine.connect() as conn:
        no_jit(conn)
        if figure in ("open_now", "open_end"):
            at = min(period.bounds()[1], now) if figure == "open_end" else now
            return [s.reference for s in pick(open_at(conn, at), key, at)]
        return [
            str(r[0]) for r in conn.execute(_drill_stmt(figure, key, period, ladder, now, rebuilt))
        ]


def _drill_stmt(figure: str, key: str, period: Period, ladder: Ladder, now: datetime,
                rebuilt: bool) -> Any:  # fmt: skip
    if figure == "challenge":
        return sa.select(CH.c.reference).where(CH.c.reference == key)
    if figure in ("contacts", "caseloads"):
        return _child_drill(figure, key, period, now)
    if figure == "good_practice_recorded":
        return _good_practice_drill(key, period, now, rebuilt)
    s = {"response_times": RESPONSES, "cap": CAPPED, "impact": events([Action.ACCEPT],
         sa.literal("*"))}.get(figure) or SLICES.get(figure)  # fmt: skip
    if figure == "highest_stage" and rebuilt:
        s = highest_stage_as_at(ladder.stage_keys, now)
    if s is None:
        raise KeyError(f"there is no figure '{figure}'")
    where = list(s.where)
    if key == "within":
        where.append(IN_CAP)
    elif key not in ("*", ""):
        where.append(s.group == key)
    return (sa.select(s.reference).select_from(s.source).where(in_period(s.when, period, now if rebuilt else None), *where)
            .distinct().order_by(s.reference))  # fmt: skip


def _good_practice_drill(key: str, period: Period, now: datetime, rebuilt: bool) -> Any:
    """The ids of the good-practice records behind the cell, oldest first."""
    last = last_day_before(now) if rebuilt else period.end
    where = list(good_practice_in(period, last))
    if key not in ("*", ""):
        where.append(GOOD_PRACTICE_ABOUT == key)  # noqa: SIM300 - SQL, not a constant
    return sa.select(GP.c.id).where(*where).order_by(GP.c.occurred_on, GP.c.id)


def _child_drill(figure: str, key: str, period: Period, now: datetime) -> Any:
    if figure == "caseloads":  # looked-after children only, as the caseload counts them
        return (sa.select(CHILD.c.case_reference)
                .where(child_iro_at(now) == int(key), looked_after_on(last_day_before(now)))
                .order_by(CHILD.c.case_reference))  # fmt: skip
    where = [ACT.c.kind.in_([k.value for k in CONTACT_KINDS]),
             ACT.c.occurred_on >= period.start, ACT.c.occurred_on <= period.end]  # fmt: skip
    if key != "*":
        where.append(ACT.c.iro_id == int(key))
    return (sa.select(CHILD.c.case_reference).select_from(ACT.join(CHILD, ACT.c.child_id == CHILD.c.id))
            .where(*where).distinct().order_by(CHILD.c.case_reference))  # fmt: skip
