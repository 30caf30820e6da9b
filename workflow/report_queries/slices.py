"""Slices: the one definition of what each counted figure counts.

A slice is the rows a figure counts, the moment that places a row in a period and the
key it groups by. The same slice gives the counts for the period and the previous one
(one scan) and the references behind any one cell (the drill-down), so a figure and its
drill-down cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow.report_definitions import (
    ENDING_KINDS,
    INFORMAL,
    Period,
    raise_sql,
    stage_opening_sql,
)
from workflow.report_queries.schema import CH, EV
from workflow.states import Action


@dataclass(frozen=True)
class Slice:
    source: Any  # a FROM clause
    when: Any  # the column that places a row in a period
    group: Any  # the grouping key (a string expression, never NULL)
    where: tuple[Any, ...] = ()
    reference: Any = CH.c.reference
    # What the counts read: `source` unless the count needs less. Event figures that group
    # and filter on the event alone count `challenge_event` without the join (every event
    # has its challenge: a foreign key), so the count is an index-only scan.
    counted_from: Any = None


def raised(group: Any, source: Any = CH) -> Slice:
    return Slice(source, CH.c.raised_at, group)


def events(kinds: Sequence[str], group: Any, extra: tuple[Any, ...] = (),
            needs_challenge: bool = False) -> Slice:  # fmt: skip
    """Events of these kinds; `needs_challenge` when `group` or `extra` read the challenge."""
    return Slice(EV.join(CH, EV.c.challenge_id == CH.c.id), EV.c.occurred_at, group,
                  (EV.c.kind.in_(kinds), *extra), counted_from=None if needs_challenge else EV)  # fmt: skip


def text_or(value: Any, default: str) -> Any:
    return sa.func.coalesce(sa.cast(value, sa.String), default)


NOT_RECORDED = "not_recorded"  # an accept event from before kinds of outcome were asked for
_FORMAL_AT_RAISE = sa.and_(CH.c.formal_started_at.is_not(None),
                           CH.c.formal_started_at == CH.c.raised_at)  # fmt: skip
RAISE_KINDS = (Action.RAISE_INFORMAL.value, Action.RAISE_FORMAL.value)
NO_TEAM_KEY = "none"
# The team and service area recorded on the challenge's raise event (as they were then):
# "<team id>:<service area>", or "none" when the child had no allocated social worker.
TEAM_KEY = sa.case((EV.c.team_id.is_(None), NO_TEAM_KEY),
                   else_=sa.cast(EV.c.team_id, sa.String) + ":"
                   + sa.func.coalesce(EV.c.service_area, ""))  # fmt: skip

SLICES: dict[str, Slice] = {
    "raised": raised(sa.case((_FORMAL_AT_RAISE, "formal"), else_="informal")),
    "by_theme": raised(CH.c.theme_key),
    "by_team": events(RAISE_KINDS, TEAM_KEY),
    "by_iro": raised(text_or(CH.c.raised_by_id, "none")),
    "highest_stage": raised(sa.func.coalesce(CH.c.highest_stage_key, INFORMAL)),
    "resolved_at_stage": events([Action.ACCEPT], sa.func.coalesce(EV.c.stage_key, INFORMAL)),
    "outcomes": events(ENDING_KINDS, sa.case(
        (EV.c.kind == Action.WITHDRAW.value, "withdrawn"),
        (EV.c.stage_key.is_(None), "resolved_informally"), else_="resolved_formally")),
    "outcome_kinds": events([Action.ACCEPT], text_or(EV.c.details["outcome_kind"].as_string(),
                                                      NOT_RECORDED)),
    "cafcass": events([Action.REFER_CAFCASS], text_or(EV.c.details["ground"].as_string(), "none")),
    "cap_alerts": events([Action.ALERT_CAP], sa.literal("*")),
    "good_practice": events([Action.RECORD_GOOD_PRACTICE], text_or(EV.c.actor_id, "none")),
    "went_formal": Slice(CH, CH.c.formal_started_at, sa.literal("went_formal"),
                          (CH.c.formal_started_at > CH.c.raised_at,)),
    "high_risk": events([Action.RAISE_FORMAL], sa.literal("high_risk"),
                        (EV.c.details["high_risk_reason"].as_string().is_not(None),)),
}  # fmt: skip


# The figures counted from challenges raised in the period: one scan counts them all.
RAISED_TOGETHER = ("raised", "by_theme", "by_iro", "highest_stage")


def highest_stage_as_at(stage_keys: Sequence[str], until: datetime) -> Slice:
    """`highest_stage` as the log stood at `until`: the highest formal stage (in the ladder's
    order) of the challenge's events before then. The challenge row holds it only for now."""
    h = EV.alias("h")
    rank = sa.case({k: i for i, k in enumerate(stage_keys)}, value=h.c.stage_key, else_=-1)
    best = (sa.select(h.c.stage_key)
            .where(h.c.challenge_id == CH.c.id, h.c.occurred_at < until, h.c.stage_key.is_not(None))
            .order_by(rank.desc(), h.c.seq.desc()).limit(1).scalar_subquery())  # fmt: skip
    return raised(sa.func.coalesce(best, INFORMAL))


def in_period(col: Any, period: Period, until: datetime | None = None,
              since: datetime | None = None) -> Any:  # fmt: skip
    """In the period and, for a report as at a moment, before that moment; from `since` if
    later (the days before it are read from the rollup)."""
    lo, hi = period.bounds()
    if since is not None:
        lo = max(lo, since)
    return sa.and_(col >= lo, col < (hi if until is None else min(hi, until)))


def slice_counts(
    conn: Connection,
    s: Slice,
    period: Period,
    until: datetime | None = None,
    since: datetime | None = None,
) -> dict[str, tuple[int, int]]:
    """{group key: (count in the period, count in the previous period)}."""
    prev = period.previous()
    cur_lo, _ = period.bounds()
    now_, before = (sa.func.sum(sa.case((cond, 1), else_=0))
                    for cond in (s.when >= cur_lo, s.when < cur_lo))  # fmt: skip
    span = Period(prev.start, period.end)
    source = s.source if s.counted_from is None else s.counted_from
    stmt = (sa.select(s.group, now_, before).select_from(source)
            .where(in_period(s.when, span, until, since), *s.where).group_by(s.group))  # fmt: skip
    return {str(k): (int(a or 0), int(b or 0)) for k, a, b in conn.execute(stmt)}


def slices_counted_together(
    conn: Connection, slices: dict[str, Slice], period: Period, until: datetime | None = None
) -> dict[str, dict[str, tuple[int, int]]]:
    """`slice_counts` for several slices that read the same rows (the same source, moment
    and conditions) in one scan: grouped by every slice's key at once, then summed per
    slice. Each figure keeps its own slice; only the scan is shared."""
    first = next(iter(slices.values()))
    assert all(s.source is first.source and s.when is first.when and s.where == ()
               and first.where == () for s in slices.values())  # fmt: skip
    cur_lo, _ = period.bounds()
    now_, before = (sa.func.sum(sa.case((cond, 1), else_=0))
                    for cond in (first.when >= cur_lo, first.when < cur_lo))  # fmt: skip
    groups = [s.group for s in slices.values()]
    span = Period(period.previous().start, period.end)
    stmt = (sa.select(*groups, now_, before).select_from(first.source)
            .where(in_period(first.when, span, until)).group_by(*groups))  # fmt: skip
    out: dict[str, dict[str, tuple[int, int]]] = {key: {} for key in slices}
    for row in conn.execute(stmt):
        a, b = int(row[-2] or 0), int(row[-1] or 0)
        for key, k in zip(slices, row[:-2], strict=True):
            was = out[key].get(str(k), (0, 0))
            out[key][str(k)] = (was[0] + a, was[1] + b)
    return out


def stage_day_zero() -> Any:
    """Day zero (`workflow.event_facts`) of the stage a response answers: that of the latest
    stage-opening event before it (`STAGE_OPENING_KINDS` into awaiting a response; day zero
    never falls as time goes on, so the latest opening has the highest). One look-up in the
    partial index `ix_report_event_stage_open`, whose condition is written here literally
    (SQLite uses a partial index only then)."""
    o = EV.alias("o")
    return (sa.select(sa.func.max(o.c.day_zero))
            .where(o.c.challenge_id == EV.c.challenge_id, o.c.seq < EV.c.seq,
                   sa.text(stage_opening_sql("o")))
            .scalar_subquery())  # fmt: skip


def formal_day_zero() -> Any:
    """Day zero of the challenge's first formal stage: its first stage-opening event (the
    one that set `formal_started_at`, before the event at hand), from the same partial
    index."""
    o = EV.alias("o")
    return (sa.select(sa.func.min(o.c.day_zero))
            .where(o.c.challenge_id == EV.c.challenge_id, o.c.seq < EV.c.seq,
                   sa.text(stage_opening_sql("o")))
            .scalar_subquery())  # fmt: skip


def raised_day_zero() -> Any:
    """Day zero of the challenge's raise (its first event, the only one of a raise kind):
    one look-up in the partial index `ix_report_event_raise`, which holds only raises with
    their day zero, so it reads no table row (by sequence number 1 it read the event's row,
    about 60% of the raise-to-end query). The condition is written in the index's words."""
    r = EV.alias("r")
    return (sa.select(r.c.day_zero)
            .where(r.c.challenge_id == EV.c.challenge_id, sa.text(raise_sql("r")))
            .scalar_subquery())  # fmt: skip


def day_histogram(conn: Connection, inner: Any, keys: Sequence[Any]
                  ) -> list[tuple[tuple[Any, ...], int, int]]:  # fmt: skip
    """(keys, working days, how many) for the rows of `inner`, whose `days` column is a
    difference of stored working-day numbers (`working_day` of the later event minus
    `day_zero` of the clock's start): a plain integer GROUP BY. A row without a start
    (NULL) is not counted; a negative difference (an end before working day 1) is 0."""
    stmt = (sa.select(*keys, inner.c.days, sa.func.count()).where(inner.c.days.is_not(None))
            .group_by(*keys, inner.c.days))  # fmt: skip
    return [(tuple(r[: len(keys)]), max(0, int(r[-2])), int(r[-1])) for r in conn.execute(stmt)]


LATE = EV.c.details["late"].as_boolean()
RESPONSES = Slice(EV.join(CH, EV.c.challenge_id == CH.c.id), EV.c.occurred_at,
                   text_or(EV.c.stage_key, INFORMAL), (EV.c.kind == Action.RESPOND.value,))  # fmt: skip
TIMEOUTS = events([Action.TIME_OUT], text_or(EV.c.details["timed_out_stage"].as_string(), INFORMAL))


IN_CAP = sa.or_(CH.c.cap_due_at.is_(None), EV.c.occurred_at <= CH.c.cap_due_at)
CAPPED = events(
    ENDING_KINDS, sa.literal("*"), (CH.c.formal_started_at.is_not(None),), needs_challenge=True
)
