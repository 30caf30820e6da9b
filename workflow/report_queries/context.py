"""What every figure's builder shares: the ladder, the period, the moment, names."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from escalation_rules.model import Ladder
from workflow.report_definitions import INFORMAL, LONDON, Period
from workflow.report_queries.model import Table
from workflow.report_queries.rolled import FIGURES, merge, rolled_counts, rolled_rows
from workflow.report_queries.schema import PERSON, TEAM
from workflow.report_queries.slices import (
    RAISED_TOGETHER,
    SLICES,
    Slice,
    slice_counts,
    slices_counted_together,
)
from workflow.report_queries.working_days import WorkingDays


def no_jit(conn: Connection) -> None:
    """PostgreSQL: no JIT compilation for this report's transaction (`SET LOCAL`).

    The planner's cost estimates for the working-day queries pass `jit_above_cost`, and
    compiling their long CASE expressions took longer (about 0.4 s for the response
    times over a year) than running them. The setting ends with the transaction.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL jit = off")


@dataclass
class ReportContext:
    ladder: Ladder
    period: Period
    now: datetime  # the moment the report is as at
    rebuilt: bool = False  # as at a past moment: read from the log what the rows hold for now
    # Whether anything was recorded by the end of the previous period / the year earlier.
    previous_has_data: bool = True
    year_has_data: bool = True
    working_days: WorkingDays = field(init=False)
    # What was open at a moment, rebuilt once per report (`now.open_at_once`).
    open_at: dict[datetime, Any] = field(init=False, default_factory=dict)
    # Each slice's counts for the period, counted once per report (`counts`).
    counted: dict[str, dict[str, tuple[int, int]]] = field(init=False, default_factory=dict)
    # The first London day counted live: every day before it is read from the rollup of
    # closed days (`workflow.report_queries.rollup`). None: every day is counted live.
    rolled_to: date | None = None

    def __post_init__(self) -> None:
        self.working_days = WorkingDays(self.ladder)

    @property
    def until(self) -> datetime | None:
        """No event at or after this moment counts (only for a report as at the past)."""
        return self.now if self.rebuilt else None

    def counts(self, conn: Connection, key: str) -> dict[str, tuple[int, int]]:
        """`slice_counts` of `SLICES[key]` for the period, counted once per report: figures
        that read the same slice (the rates, a summary row) share its scan, and the figures
        of challenges raised in the period are counted in one scan together."""
        if key not in self.counted:
            together = [k for k in RAISED_TOGETHER if not (self.rebuilt and k == "highest_stage")]
            if key in together:
                slices = {k: SLICES[k] for k in together}
                self.counted.update(slices_counted_together(conn, slices, self.period, self.until))
            else:
                self.counted[key] = self.event_counts(conn, key, SLICES[key])
        return dict(self.counted[key])

    def event_counts(self, conn: Connection, key: str, s: Slice) -> dict[str, tuple[int, int]]:
        """`slice_counts`, with the days before `rolled_to` read from the rollup when the
        figure is rolled up."""
        if self.rolled_to is None or key not in FIGURES:
            return slice_counts(conn, s, self.period, self.until)
        live = slice_counts(conn, s, self.period, self.until, since=self.live_since)
        return merge(rolled_counts(conn, key, self.period, self.rolled_to), live)

    def rolled(self, conn: Connection, key: str) -> list[tuple[tuple[str, int, int], bool, int]]:
        """The rolled-up ((group, flag, working days), in the period, how many) of a figure
        for the period and the previous one: the days before `rolled_to`."""
        if self.rolled_to is None:
            return []
        return rolled_rows(conn, key, self.period.previous().start, self.period, self.rolled_to)

    @property
    def live_since(self) -> datetime | None:
        """The first moment counted live (the start of `rolled_to`), or None."""
        return (
            None if self.rolled_to is None else Period(self.rolled_to, self.rolled_to).bounds()[0]
        )

    def stage_name(self, key: str) -> str:
        if key == INFORMAL:
            return "Informal"
        try:
            return self.ladder.stage(key).name
        except KeyError:
            return key

    def stage_order(self, key: str) -> int:
        keys = self.ladder.stage_keys
        return -1 if key == INFORMAL else keys.index(key) if key in keys else len(keys)


COMPARED = ["This period", "Previous period"]


def grouped(
    conn: Connection, ctx: ReportContext, key: str, label: str, names: dict[str, str],
    order: Callable[[str], Any] | None = None, every: Sequence[str] = (),
    counted: Slice | None = None, name_of: Callable[[str], str] | None = None,
) -> Table:  # fmt: skip
    """`name_of`: names the keys counted (instead of `names`) when they are not known ahead."""
    if counted is None:
        counts = ctx.counts(conn, key)
    else:
        counts = slice_counts(conn, counted, ctx.period, ctx.until)
    if name_of is not None:
        names = {k: name_of(k) for k in counts}
    for k in every:  # rows shown even when nothing counted (the ladder's stages)
        counts.setdefault(k, (0, 0))
    table = Table(key, [label, *COMPARED], chart_columns=(1, 2))
    keys = sorted(counts, key=order or (lambda k: (-counts[k][0], names.get(k, k))))
    for k in keys:
        table.add([names.get(k, k), *counts[k]], f"{key}:{k}")
    table.add(["Total", sum(c[0] for c in counts.values()), sum(c[1] for c in counts.values())],
              f"{key}:*")  # fmt: skip
    return table


def names_of(conn: Connection, stmt: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in conn.execute(stmt)}


def team_names(conn: Connection) -> dict[int, str]:
    return {int(i): str(n) for i, n in conn.execute(sa.select(TEAM.c.id, TEAM.c.name))}


def team_label(teams: dict[int, str], team_id: int | None, area: str | None) -> str:
    """'Team (service area)' as recorded on an event: today's name of the team it was then."""
    if team_id is None:
        return "No allocated social worker"
    name = teams.get(team_id, f"Team {team_id} (no longer on the records)")
    return f"{name} ({area})" if area else name


def person_names(conn: Connection) -> dict[str, str]:
    return names_of(conn, sa.select(PERSON.c.id, PERSON.c.name))


def stage_names(ctx: ReportContext, counts_keys: Sequence[str] = ()) -> dict[str, str]:
    keys = [INFORMAL, *ctx.ladder.stage_keys, *counts_keys]
    return {k: ctx.stage_name(k) for k in keys}


def local_date(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def london_day(moment: datetime) -> str:
    return moment.astimezone(LONDON).date().isoformat()
