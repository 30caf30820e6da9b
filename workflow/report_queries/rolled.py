"""The figures the rollup of closed London days holds, and reading them back.

Only what the event log alone decides is rolled up (events are append-only; deletes and
renumbering mark their days, `workflow.rollup_tables`): counts of events by each event
figure's key, and the working-day histograms of response times, the cap and raise to
end. Figures read from challenge rows that still change (highest stage, state, theme)
and everything "as at a moment" stay live. Each figure here is written with the same
expressions as its live count (`slices`), so the two cannot count differently.

The cap reads two challenge columns, `formal_started_at` and `cap_due_at`, only for
challenges that ended (accepted or withdrawn): no action applies to an ended challenge
(there is no reopening), the sweep and `deadlines --replan` touch open ones only, and a
ladder change never moves deadlines already set, so both are final by the end event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow.report_definitions import ENDING_KINDS, Period
from workflow.report_queries.schema import EV
from workflow.report_queries.slices import (
    CAPPED,
    IN_CAP,
    LATE,
    RESPONSES,
    SLICES,
    TIMEOUTS,
    Slice,
    formal_day_zero,
    raised_day_zero,
    stage_day_zero,
)
from workflow.rollup_tables import ROLLUP
from workflow.states import Action


@dataclass(frozen=True)
class Figure:
    """What one rolled-up figure counts per day: its events, their key, a 0/1 flag (late,
    within the cap) and, for a histogram, the working days (None: a plain count)."""

    key: str
    source: Any
    where: tuple[Any, ...]
    group: Any = None  # None: one group, "*"
    flag: Any = None  # None: 0
    days: Any = None


def _counted(key: str, s: Slice) -> Figure:
    assert s.counted_from is EV and s.when is EV.c.occurred_at  # the event alone decides
    return Figure(key, EV, s.where, s.group)


# The event figures whose slices read the event alone (`Slice.counted_from`).
COUNTED_SLICES = ("by_team", "resolved_at_stage", "outcomes", "outcome_kinds", "cafcass",
                  "cap_alerts", "good_practice", "high_risk")  # fmt: skip
TIME_OUTS = "time_outs"
TREND_KINDS = (Action.ACCEPT.value, Action.WITHDRAW.value, Action.REFER_CAFCASS.value)
FIGURES: dict[str, Figure] = {
    **{k: _counted(k, SLICES[k]) for k in COUNTED_SLICES},
    TIME_OUTS: _counted(TIME_OUTS, TIMEOUTS),
    "trend_events": Figure("trend_events", EV, (EV.c.kind.in_(TREND_KINDS),), EV.c.kind),
    "response_times": Figure("response_times", EV, RESPONSES.where, RESPONSES.group,
                             sa.case((LATE, 1), else_=0), EV.c.working_day - stage_day_zero()),
    "cap": Figure("cap", CAPPED.source, CAPPED.where, flag=sa.case((IN_CAP, 1), else_=0),
                  days=EV.c.working_day - formal_day_zero()),
    "raise_to_end": Figure("raise_to_end", EV, (EV.c.kind.in_(ENDING_KINDS),),
                           days=EV.c.working_day - raised_day_zero()),
}  # fmt: skip


def rolled_counts(conn: Connection, key: str, period: Period, cut: date
                  ) -> dict[str, tuple[int, int]]:  # fmt: skip
    """{key: (in the period, in the previous period)} from the rolled-up days before `cut`."""
    out: dict[str, tuple[int, int]] = {}
    for (group, _, _), cur, n in rolled_rows(conn, key, period.previous().start, period, cut):
        was = out.get(group, (0, 0))
        out[group] = (was[0] + n, was[1]) if cur else (was[0], was[1] + n)
    return out


def rolled_rows(conn: Connection, key: str, first: date, period: Period, cut: date
                ) -> list[tuple[tuple[str, int, int], bool, int]]:  # fmt: skip
    """((group, flag, days), in `period`, how many) for days from `first` up to `cut` (and
    no later than the period's end)."""
    last = min(cut, period.end + timedelta(days=1))
    if last <= first:
        return []
    cur = ROLLUP.c.day >= period.start
    stmt = (sa.select(ROLLUP.c.group_key, ROLLUP.c.flag, ROLLUP.c.days, cur, sa.func.sum(ROLLUP.c.n))
            .where(ROLLUP.c.figure == key, ROLLUP.c.day >= first, ROLLUP.c.day < last)
            .group_by(ROLLUP.c.group_key, ROLLUP.c.flag, ROLLUP.c.days, cur))  # fmt: skip
    return [((str(g), int(f), int(d)), bool(c), int(n)) for g, f, d, c, n in conn.execute(stmt)]


def rolled_by_day(conn: Connection, key: str, first: date, cut: date
                  ) -> list[tuple[date, str, int]]:  # fmt: skip
    """(day, group, how many) for the rolled-up days from `first` up to `cut`."""
    if cut <= first:
        return []
    stmt = (sa.select(ROLLUP.c.day, ROLLUP.c.group_key, sa.func.sum(ROLLUP.c.n))
            .where(ROLLUP.c.figure == key, ROLLUP.c.day >= first, ROLLUP.c.day < cut)
            .group_by(ROLLUP.c.day, ROLLUP.c.group_key))  # fmt: skip
    return [(d, str(g), int(n)) for d, g, n in conn.execute(stmt)]


def merge(*parts: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for part in parts:
        for k, (a, b) in part.items():
            was = out.get(k, (0, 0))
            out[k] = (was[0] + a, was[1] + b)
    return out
