"""Working days in SQL: a calendar of running totals joined to each moment's local date."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from escalation_rules.deadlines import DeadlineRules
from workflow.report_queries.context import ReportContext, local_date

LOOK_BACK_DAYS = 3 * 366  # stages opened longer ago than this before the period count from then


def working_day_histogram(
    conn: Connection, ctx: ReportContext, inner: Any, start: Any, end: Any, keys: Sequence[Any]
) -> list[tuple[tuple[Any, ...], int, int]]:
    """(keys, working days, how many) for the rows of `inner`, counted by the database.

    Working days are `DeadlineRules.working_days_elapsed(start, end)`, computed as the
    difference of running totals of working days in a calendar (a VALUES list built from the
    ladder's WorkingCalendar) at the London date of `end` and at the day before working day 1
    of a clock started at `start`. That day is the start date itself when the clock starts
    on a working day before the cut-off, else the next working day (day one "next working
    day"); one day earlier under "same day".
    """
    rules = ctx.working_days.rules
    span_start = ctx.period.previous().start
    first, last = (
        span_start - timedelta(days=LOOK_BACK_DAYS),
        max(ctx.period.end, local_date(ctx.now)),
    )
    last += timedelta(days=1)
    cal = _calendar(conn, rules, first, last)
    ce, cs = cal.alias("ce"), cal.alias("cs")
    local = LocalTime(conn, rules.tz, first, last)
    start_day = local.day(start)
    # No earlier than the calendar's first day (the date is worked out once per row).
    later = sa.func.max if local.sqlite else sa.func.greatest
    clamped = later(start_day, local.day_literal(first))
    # First the London dates, grouped (few distinct rows), materialised so the database
    # works them out once per row and then looks each date up in the calendar.
    rows = (
        sa.select(*keys, local.day(end).label("end_day"), clamped.label("start_day"),
                  sa.case((local.before(start, rules.ladder.end_of_day), 1), else_=0)
                  .label("before_cut"))
        .where(start.is_not(None))
        .subquery("dated_rows")
    )  # fmt: skip
    columns = list(rows.c)
    dated = (
        sa.select(*columns, sa.func.count().label("n"))
        .group_by(*columns)
        .cte("dated")
        .prefix_with("MATERIALIZED")
    )
    key_cols = [dated.c[k.name] for k in keys]
    same_day = 1 if rules.ladder.day_one.value == "same_day" else 0
    before_day_one = cs.c.total + sa.case(
        (sa.and_(cs.c.working == 1, dated.c.before_cut == 1), 0), else_=1
    )
    days = (ce.c.total - before_day_one + same_day).label("days")
    stmt = (sa.select(*key_cols, days, sa.func.sum(dated.c.n))
            .select_from(dated.join(ce, ce.c.day == dated.c.end_day)
                         .join(cs, cs.c.day == dated.c.start_day))
            .group_by(*key_cols, days))  # fmt: skip
    return [(tuple(r[: len(keys)]), max(0, int(r[-2])), int(r[-1])) for r in conn.execute(stmt)]


def _calendar(conn: Connection, rules: DeadlineRules, first: date, last: date) -> Any:
    """(day, running total of working days, working) for every date from `first` to `last`.

    Rendered as a literal VALUES list (dates and integers we generate, nothing from users):
    one bound parameter per value would exceed SQLite's limits, and SQLite names VALUES
    columns column1, column2, ... in both databases' syntax.
    """
    sqlite = conn.dialect.name == "sqlite"
    rows: list[str] = []
    total, day = 0, first
    while day <= last:
        working = int(rules.calendar.is_working_day(day))
        total += working
        literal = f"'{day.isoformat()}'" if sqlite else f"DATE '{day.isoformat()}'"
        rows.append(f"({literal}, {total}, {working})")
        day += timedelta(days=1)
    day_type: Any = sa.String if sqlite else sa.Date
    source = sa.text(f"(VALUES {', '.join(rows)}) AS calendar_values")
    return (
        sa.select(
            sa.literal_column("column1", day_type).label("day"),
            sa.literal_column("column2", sa.Integer).label("total"),
            sa.literal_column("column3", sa.Integer).label("working"),
        )
        .select_from(source)
        .cte("working_calendar")
        .prefix_with("MATERIALIZED")
    )


class LocalTime:
    """A UTC timestamp column's London (the ladder's zone) date and time, in SQL.

    On SQLite, where date and time functions parse the text on every call, most rows
    need none: a moment's local date is its UTC date (the text's first 10 characters)
    unless its UTC time of day is late enough for some offset in force to carry it past
    midnight, and whether its local time is before the cut-off depends on the offset only
    in the hour or two around the cut-off and midnight. Only those rows take the full
    expression (the offset in force at that moment, then `date`/`time`). Same results.
    """

    def __init__(self, conn: Connection, tz: Any, first: date, last: date) -> None:
        self.sqlite = conn.dialect.name == "sqlite"
        self.tz = tz
        self.segments = _offset_segments(tz, first, last) if self.sqlite else []
        # Every offset (seconds) a moment may be read with: the segments', and 0 elsewhere.
        self.offsets = sorted({0, *(60 * minutes for _, _, minutes in self.segments)})

    def _shifted(self, col: Any) -> tuple[Any, Any]:
        text = sa.type_coerce(col, sa.String)
        whens = [(sa.and_(col >= a, col < b), f"{minutes:+d} minutes")
                 for a, b, minutes in self.segments]  # fmt: skip
        return text, sa.case(*whens, else_="+0 minutes") if whens else "+0 minutes"

    def day(self, col: Any) -> Any:
        if not self.sqlite:
            return sa.cast(sa.func.timezone(str(self.tz), col), sa.Date)
        full = sa.func.date(*self._shifted(col))
        if self.offsets[0] < 0:  # a zone behind UTC: no shortcut taken
            return full
        text = sa.type_coerce(col, sa.String)
        utc_date = sa.func.substr(text, 1, 10)
        if self.offsets[-1] == 0:
            return utc_date
        # Before 24:00 minus the largest offset, no offset reaches the next day.
        rolls_at = _clock(_DAY - self.offsets[-1])
        return sa.case((sa.func.substr(text, 12, 8) < rolls_at, utc_date), else_=full)

    def day_literal(self, day: date) -> Any:
        return sa.literal(day.isoformat()) if self.sqlite else sa.literal(day, sa.Date)

    def before(self, col: Any, cut: time) -> Any:
        if not self.sqlite:
            return sa.cast(sa.func.timezone(str(self.tz), col), sa.Time) < sa.literal(cut, sa.Time)
        full = sa.func.time(*self._shifted(col)) < cut.strftime("%H:%M:%S")
        if self.offsets[0] < 0 or self.offsets[-1] >= _DAY:
            return full
        # UTC times of day (whole seconds) split into bands; where every offset gives the
        # same answer the band's answer is a constant, elsewhere the full expression.
        c = cut.hour * 3600 + cut.minute * 60 + cut.second
        points = sorted({0, _DAY, *(x for m in self.offsets for x in (c - m, _DAY - m, _DAY - m + c)
                                    if 0 < x < _DAY)})  # fmt: skip
        clock = sa.func.substr(sa.type_coerce(col, sa.String), 12, 8)
        whens: list[tuple[Any, Any]] = []
        for lo, hi in itertools.pairwise(points):
            answers = {(lo + m) % _DAY < c for m in self.offsets}
            value: Any = (
                (sa.literal(1) if answers.pop() else sa.literal(0))
                if len(answers) == 1
                else sa.case((full, 1), else_=0)
            )
            whens.append((clock < _clock(hi), value))
        if len(whens) == 1:  # one band: the same answer all day
            return whens[0][1] == 1
        return sa.case(*whens[:-1], else_=whens[-1][1]) == 1


_DAY = 24 * 3600


def _clock(seconds: int) -> str:
    """'HH:MM:SS' for a number of seconds after midnight (text compares in time order)."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _offset_segments(tz: Any, first: date, last: date) -> list[tuple[datetime, datetime, int]]:
    """[from, to) UTC ranges with the zone's offset in minutes, where it is not zero."""
    segments: list[tuple[datetime, datetime, int]] = []
    moment = datetime.combine(first - timedelta(days=1), time(0), tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=2), time(0), tzinfo=UTC)
    step = timedelta(hours=1)
    current, since = _offset(tz, moment), moment
    while moment < end:
        moment += step
        offset = _offset(tz, moment)
        if offset != current:
            if current:
                segments.append((since, moment, current))
            current, since = offset, moment
    if current:
        segments.append((since, end, current))
    return segments


def _offset(tz: Any, moment: datetime) -> int:
    delta = moment.astimezone(tz).utcoffset()
    return int(delta.total_seconds() // 60) if delta else 0
