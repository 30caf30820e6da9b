"""The plain-SQL floor for `bench.report`: the rows the SMT report reads, grouped by
hand-written SQL with nothing around it (no names, no Python beyond fetching the groups).

For a period and its previous one (one scan each, the period told apart by a CASE):
challenges raised, by theme, IRO, highest stage and how raised; events of the kinds the
report counts, by kind, stage and the team recorded on them; responses by stage, lateness and working days (the
response's stored `working_day` minus its stage's start `day_zero`, looked up in the
partial stage-opening index as the report does); ended challenges by kind and the
working days from raise and from the formal start.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from workflow.report_definitions import Period, stage_opening_sql
from workflow.tables import UTCDateTime

_RAISED = """
SELECT theme_key, raised_by_id, highest_stage_key, formal_started_at = raised_at,
       CASE WHEN raised_at >= :cur THEN 1 ELSE 0 END, count(*)
FROM challenge WHERE raised_at >= :lo AND raised_at < :hi
GROUP BY 1, 2, 3, 4, 5
"""
_EVENTS = """
SELECT kind, stage_key, team_id, service_area, CASE WHEN occurred_at >= :cur THEN 1 ELSE 0 END,
       count(*)
FROM challenge_event WHERE kind IN ({kinds}) AND occurred_at >= :lo AND occurred_at < :hi
GROUP BY 1, 2, 3, 4, 5
"""
# The kinds the report counts (not reminders, extensions, pauses, closures).
_COUNTED = (
    "raise_informal",
    "raise_formal",
    "respond",
    "time_out",
    "accept",
    "withdraw",
    "refer_cafcass",
    "alert_cap",
    "record_good_practice",
)
_RESPONSES = """
WITH r AS MATERIALIZED (
  SELECT e.stage_key, CASE WHEN e.occurred_at >= :cur THEN 1 ELSE 0 END AS cur,
         {late} AS late,
         e.working_day - (SELECT max(o.day_zero) FROM challenge_event AS o
                          WHERE o.challenge_id = e.challenge_id AND o.seq < e.seq
                            AND {opening}) AS days
  FROM challenge_event AS e
  WHERE e.kind = 'respond' AND e.occurred_at >= :lo AND e.occurred_at < :hi
) SELECT stage_key, cur, late, days, count(*) FROM r GROUP BY 1, 2, 3, 4
"""
_ENDED = """
WITH x AS MATERIALIZED (
  SELECT e.kind, CASE WHEN e.occurred_at >= :cur THEN 1 ELSE 0 END AS cur,
         e.working_day - (SELECT r.day_zero FROM challenge_event AS r
                          WHERE r.challenge_id = e.challenge_id AND r.seq = 1) AS from_raise,
         e.working_day - (SELECT min(o.day_zero) FROM challenge_event AS o
                          WHERE o.challenge_id = e.challenge_id AND o.seq < e.seq
                            AND {opening}) AS from_formal
  FROM challenge_event AS e
  WHERE e.kind IN ('accept', 'withdraw') AND e.occurred_at >= :lo AND e.occurred_at < :hi
) SELECT kind, cur, from_raise, from_formal, count(*) FROM x GROUP BY 1, 2, 3, 4
"""


def statements(engine: Engine) -> list[str]:
    pg = engine.dialect.name == "postgresql"
    late = "(e.details ->> 'late')" if pg else "json_extract(e.details, '$.late')"
    opening = stage_opening_sql("o")  # in the partial index's own words
    kinds = ", ".join(f"'{k}'" for k in _COUNTED)
    return [_RAISED, _EVENTS.format(kinds=kinds), _RESPONSES.format(late=late, opening=opening),
            _ENDED.format(opening=opening)]  # fmt: skip


def floor(engine: Engine, period: Period, now: datetime) -> int:
    """Run the floor's GROUP BYs for `period` against its previous one; returns the groups."""
    lo = period.previous().bounds()[0]
    cur, hi = period.bounds()
    params: dict[str, Any] = {"lo": lo, "cur": cur, "hi": min(hi, now)}
    moments = [sa.bindparam(k, type_=UTCDateTime) for k in params]
    groups = 0
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL jit = off")  # as the report does
        for sql in statements(engine):
            groups += len(conn.execute(sa.text(sql).bindparams(*moments), params).all())
    return groups
