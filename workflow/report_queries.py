"""The SMT report, aggregated in SQL (GROUP BY), never by loading rows as objects.

Each counted figure is a `_Slice`: the rows it counts, the moment that places a
row in a period, and the key it groups by. The same slice gives the counts for
the period and the previous one (one scan) and the references behind any one
cell (`drilldown`), so a figure and its drill-down cannot disagree.
Definitions of every figure: `workflow.report_definitions`.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from escalation_rules.deadlines import DeadlineRules
from escalation_rules.model import Ladder, Role
from workflow.activity_tables import CONTACT_KINDS, ActivityKind, IroActivity
from workflow.report_definitions import (
    CLOCK_STATE_VALUES,
    ENDING_KINDS,
    FIGURE_BY_KEY,
    INFORMAL,
    LONDON,
    OPEN_STATE_VALUES,
    Period,
    caseload_band,
    median,
    percentile,
    share,
    stage_opening_sql,
)
from workflow.states import Action, CafcassGround, State
from workflow.tables import ChallengeEvent, ChallengeRecord, Child, Person, Team, Theme

CH: sa.Table = ChallengeRecord.__table__  # type: ignore[attr-defined]
EV: sa.Table = ChallengeEvent.__table__  # type: ignore[attr-defined]
CHILD: sa.Table = Child.__table__  # type: ignore[attr-defined]
PERSON: sa.Table = Person.__table__  # type: ignore[attr-defined]
TEAM: sa.Table = Team.__table__  # type: ignore[attr-defined]
THEME: sa.Table = Theme.__table__  # type: ignore[attr-defined]
ACT: sa.Table = IroActivity.__table__  # type: ignore[attr-defined]
EXAMPLES = 5  # impact examples shown
OVERDUE_LISTED = 25  # overdue challenges listed in the table (the drill-down has them all)

Cell = str | int | float | None


@dataclass
class Table:
    """One figure as a table: what every page, export and chart is made from."""

    key: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    drill: list[str | None] = field(default_factory=list)  # per row: the drill-down key
    chart_columns: tuple[int, ...] = ()  # numeric columns to chart against column 0

    @property
    def title(self) -> str:
        return FIGURE_BY_KEY[self.key].title

    @property
    def definition(self) -> str:
        return FIGURE_BY_KEY[self.key].definition

    def add(self, row: Sequence[Cell], drill: str | None = None) -> None:
        self.rows.append(list(row))
        self.drill.append(drill)

    def row(self, label: str) -> list[Cell]:
        """The row whose first cell is `label` (for tests and prose)."""
        for row in self.rows:
            if row[0] == label:
                return row
        raise KeyError(f"{self.key}: no row '{label}'")


@dataclass
class SmtReport:
    period: Period
    previous: Period
    generated_at: datetime
    ladder_name: str
    tables: list[Table]

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


# -- slices: the one definition of what each count counts ------------------


@dataclass(frozen=True)
class _Slice:
    source: Any  # a FROM clause
    when: Any  # the column that places a row in a period
    group: Any  # the grouping key (a string expression, never NULL)
    where: tuple[Any, ...] = ()
    reference: Any = CH.c.reference
    # What the counts read: `source` unless the count needs less. Event figures that group
    # and filter on the event alone count `challenge_event` without the join (every event
    # has its challenge: a foreign key), so the count is an index-only scan.
    counted_from: Any = None


def _raised(group: Any, source: Any = CH) -> _Slice:
    return _Slice(source, CH.c.raised_at, group)


def _events(kinds: Sequence[str], group: Any, extra: tuple[Any, ...] = (),
            needs_challenge: bool = False) -> _Slice:  # fmt: skip
    """Events of these kinds; `needs_challenge` when `group` or `extra` read the challenge."""
    return _Slice(EV.join(CH, EV.c.challenge_id == CH.c.id), EV.c.occurred_at, group,
                  (EV.c.kind.in_(kinds), *extra), counted_from=None if needs_challenge else EV)  # fmt: skip


def _text(value: Any, default: str) -> Any:
    return sa.func.coalesce(sa.cast(value, sa.String), default)


_FORMAL_AT_RAISE = sa.and_(CH.c.formal_started_at.is_not(None),
                           CH.c.formal_started_at == CH.c.raised_at)  # fmt: skip
_SW = PERSON.alias("sw")
_TEAM_SOURCE = (
    CH.join(CHILD, CH.c.child_id == CHILD.c.id)
    .outerjoin(_SW, CHILD.c.social_worker_id == _SW.c.id)
    .outerjoin(TEAM, _SW.c.team_id == TEAM.c.id)
)

SLICES: dict[str, _Slice] = {
    "raised": _raised(sa.case((_FORMAL_AT_RAISE, "formal"), else_="informal")),
    "by_theme": _raised(CH.c.theme_key),
    "by_team": _Slice(_TEAM_SOURCE, CH.c.raised_at, _text(TEAM.c.id, "none")),
    "by_iro": _raised(_text(CH.c.raised_by_id, "none")),
    "highest_stage": _raised(sa.func.coalesce(CH.c.highest_stage_key, INFORMAL)),
    "resolved_at_stage": _events([Action.ACCEPT], sa.func.coalesce(EV.c.stage_key, INFORMAL)),
    "outcomes": _events(ENDING_KINDS, sa.case(
        (EV.c.kind == Action.WITHDRAW.value, "withdrawn"),
        (EV.c.stage_key.is_(None), "resolved_informally"), else_="resolved_formally")),
    "cafcass": _events([Action.REFER_CAFCASS], _text(EV.c.details["ground"].as_string(), "none")),
    "good_practice": _events([Action.RECORD_GOOD_PRACTICE], _text(EV.c.actor_id, "none")),
    "went_formal": _Slice(CH, CH.c.formal_started_at, sa.literal("went_formal"),
                          (CH.c.formal_started_at > CH.c.raised_at,)),
}  # fmt: skip


def _in(col: Any, period: Period) -> Any:
    lo, hi = period.bounds()
    return sa.and_(col >= lo, col < hi)


def _counts(conn: Connection, s: _Slice, period: Period) -> dict[str, tuple[int, int]]:
    """{group key: (count in the period, count in the previous period)}."""
    prev = period.previous()
    cur_lo, _ = period.bounds()
    now_, before = (sa.func.sum(sa.case((cond, 1), else_=0))
                    for cond in (s.when >= cur_lo, s.when < cur_lo))  # fmt: skip
    span = Period(prev.start, period.end)
    source = s.source if s.counted_from is None else s.counted_from
    stmt = (sa.select(s.group, now_, before).select_from(source)
            .where(_in(s.when, span), *s.where).group_by(s.group))  # fmt: skip
    return {str(k): (int(a or 0), int(b or 0)) for k, a, b in conn.execute(stmt)}


# -- the report --------------------------------------------------------------


def smt_report(engine: Engine, ladder: Ladder, period: Period, now: datetime) -> SmtReport:
    builders: list[Callable[[Connection, _Context], Table]] = [
        _raised_table, _theme_table, _team_table, _iro_table, _highest_table, _resolved_table,
        _outcomes_table, _response_table, _cap_table, _open_table, _overdue_table, _cafcass_table,
        _impact_table, _good_practice_table, _contacts_table, _caseload_table,
    ]  # fmt: skip
    ctx = _Context(ladder, period, now)
    with engine.connect() as conn:
        _no_jit(conn)
        tables = [build(conn, ctx) for build in builders]
    return SmtReport(period, period.previous(), now, ladder.name, tables)


def _no_jit(conn: Connection) -> None:
    """PostgreSQL: no JIT compilation for this report's transaction (`SET LOCAL`).

    The planner's cost estimates for the working-day queries pass `jit_above_cost`, and
    compiling their long CASE expressions took longer (about 0.4 s for the response
    times over a year) than running them. The setting ends with the transaction.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL jit = off")


@dataclass
class _Context:
    ladder: Ladder
    period: Period
    now: datetime
    working_days: WorkingDays = field(init=False)

    def __post_init__(self) -> None:
        self.working_days = WorkingDays(self.ladder)

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


_COMPARED = ["This period", "Previous period"]


def _grouped(
    conn: Connection, ctx: _Context, key: str, label: str, names: dict[str, str],
    order: Callable[[str], Any] | None = None, every: Sequence[str] = (),
) -> Table:  # fmt: skip
    counts = _counts(conn, SLICES[key], ctx.period)
    for k in every:  # rows shown even when nothing counted (the ladder's stages)
        counts.setdefault(k, (0, 0))
    table = Table(key, [label, *_COMPARED], chart_columns=(1, 2))
    keys = sorted(counts, key=order or (lambda k: (-counts[k][0], names.get(k, k))))
    for k in keys:
        table.add([names.get(k, k), *counts[k]], f"{key}:{k}")
    table.add(["Total", sum(c[0] for c in counts.values()), sum(c[1] for c in counts.values())],
              f"{key}:*")  # fmt: skip
    return table


def _raised_table(conn: Connection, ctx: _Context) -> Table:
    counts = _counts(conn, SLICES["raised"], ctx.period)
    went = _counts(conn, SLICES["went_formal"], ctx.period).get("went_formal", (0, 0))
    table = Table("raised", ["How raised", *_COMPARED], chart_columns=(1, 2))
    informal, formal = counts.get("informal", (0, 0)), counts.get("formal", (0, 0))
    table.add(["Raised informally", *informal], "raised:informal")
    table.add(["Raised formally", *formal], "raised:formal")
    table.add(["Total raised", informal[0] + formal[0], informal[1] + formal[1]], "raised:*")
    table.add(["Went formal after informal resolution", *went], "went_formal:went_formal")
    return table


def _names(conn: Connection, stmt: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in conn.execute(stmt)}


def _theme_table(conn: Connection, ctx: _Context) -> Table:
    names = _names(conn, sa.select(THEME.c.key, THEME.c.label))
    return _grouped(conn, ctx, "by_theme", "Theme", names)


def _team_table(conn: Connection, ctx: _Context) -> Table:
    rows = conn.execute(sa.select(TEAM.c.id, TEAM.c.name, TEAM.c.service_area))
    names = {str(i): f"{n} ({a})" if a else str(n) for i, n, a in rows}
    names["none"] = "No allocated social worker"
    return _grouped(conn, ctx, "by_team", "Team (service area)", names)


def _person_names(conn: Connection) -> dict[str, str]:
    return _names(conn, sa.select(PERSON.c.id, PERSON.c.name))


def _iro_table(conn: Connection, ctx: _Context) -> Table:
    return _grouped(conn, ctx, "by_iro", "IRO", _person_names(conn))


def _stage_names(ctx: _Context, counts_keys: Sequence[str] = ()) -> dict[str, str]:
    keys = [INFORMAL, *ctx.ladder.stage_keys, *counts_keys]
    return {k: ctx.stage_name(k) for k in keys}


def _highest_table(conn: Connection, ctx: _Context) -> Table:
    return _grouped(conn, ctx, "highest_stage", "Highest stage", _stage_names(ctx),
                    order=ctx.stage_order, every=[INFORMAL, *ctx.ladder.stage_keys])  # fmt: skip


def _resolved_table(conn: Connection, ctx: _Context) -> Table:
    return _grouped(conn, ctx, "resolved_at_stage", "Resolved at stage", _stage_names(ctx),
                    order=ctx.stage_order, every=[INFORMAL, *ctx.ladder.stage_keys])  # fmt: skip


_OUTCOMES = {"resolved_informally": "Resolved informally",
             "resolved_formally": "Resolved at a formal stage", "withdrawn": "Withdrawn"}  # fmt: skip


def _outcomes_table(conn: Connection, ctx: _Context) -> Table:
    counts = _counts(conn, SLICES["outcomes"], ctx.period)
    table = Table("outcomes", ["Outcome", *_COMPARED], chart_columns=(1, 2))
    for k, label in _OUTCOMES.items():
        table.add([label, *counts.get(k, (0, 0))], f"outcomes:{k}")
    ended = [sum(c[i] for c in counts.values()) for i in (0, 1)]
    table.add(["Total ended", *ended], "outcomes:*")
    cafcass = _counts(conn, SLICES["cafcass"], ctx.period).values()
    table.add(["CAFCASS referrals", sum(c[0] for c in cafcass), sum(c[1] for c in cafcass)],
              "cafcass:*")  # fmt: skip
    return table


# -- response times: a compact projection, working days counted in Python ---------


def _stage_start() -> Any:
    """The latest stage-opening moment before the response (`STAGE_OPENING_KINDS` into
    awaiting a response): one look-up in the partial index `ix_report_event_stage_open`,
    whose condition is written here literally (SQLite uses a partial index only then)."""
    o = EV.alias("o")
    return (sa.select(sa.func.max(o.c.occurred_at))
            .where(o.c.challenge_id == EV.c.challenge_id, o.c.seq < EV.c.seq,
                   sa.text(stage_opening_sql("o")))
            .scalar_subquery())  # fmt: skip


_LATE = EV.c.details["late"].as_boolean()
RESPONSES = _Slice(EV.join(CH, EV.c.challenge_id == CH.c.id), EV.c.occurred_at,
                   _text(EV.c.stage_key, INFORMAL), (EV.c.kind == Action.RESPOND.value,))  # fmt: skip
TIMEOUTS = _events([Action.TIME_OUT], _text(EV.c.details["timed_out_stage"].as_string(), INFORMAL))


class WorkingDays:
    """`DeadlineRules.working_days_elapsed`, made cheap for many (start, end) pairs.

    Moments are keyed by their UTC minute ("YYYY-MM-DD HH:MM", what the projection
    queries return): working day 1 comes from `DeadlineRules.first_day` (the ladder's
    day-one convention and cut-off, both on minute boundaries), and the count up to the
    end's local date is a difference of running totals of
    `WorkingCalendar.working_days_between`. Each distinct minute or hour is worked out
    once. Equal to `working_days_elapsed` (a test checks thousands of random pairs).
    """

    def __init__(self, ladder: Ladder) -> None:
        self.rules = DeadlineRules(ladder)
        self._anchor: date | None = None  # the first date asked about: totals count from it
        self.before_day_one = lru_cache(maxsize=200_000)(self._before_day_one)
        self.through_day_of = lru_cache(maxsize=100_000)(self._through_day_of)
        self._upto = lru_cache(maxsize=100_000)(self._total)

    def between(self, start: datetime, end: datetime) -> int:
        return self.between_keys(minute_key(start), minute_key(end))

    def between_keys(self, start: str, end: str) -> int:
        return max(0, self.through_day_of(end[:13]) - self.before_day_one(start[:16]))

    def _before_day_one(self, minute: str) -> int:
        """The running total on the day before working day 1 of a clock started then."""
        moment = datetime.fromisoformat(minute).replace(tzinfo=UTC)
        return self._upto(self.rules.first_day(moment) - timedelta(days=1))

    def _through_day_of(self, hour: str) -> int:
        """The running total through the local date of that UTC hour."""
        moment = datetime.fromisoformat(hour + ":00").replace(tzinfo=UTC)
        return self._upto(self.rules.local_date(moment))

    def _total(self, day: date) -> int:
        """Working days from the anchor to `day` (negative before it): only differences matter."""
        if self._anchor is None:
            self._anchor = day
        between = self.rules.calendar.working_days_between
        return between(self._anchor, day) if day >= self._anchor else -between(day, self._anchor)


def minute_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


# -- working days in SQL: a calendar of running totals joined to each moment's local date ------

LOOK_BACK_DAYS = 3 * 366  # stages opened longer ago than this before the period count from then


def _working_day_histogram(
    conn: Connection, ctx: _Context, inner: Any, start: Any, end: Any, keys: Sequence[Any]
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
    first, last = span_start - timedelta(days=LOOK_BACK_DAYS), max(ctx.period.end, _local(ctx.now))
    last += timedelta(days=1)
    cal = _calendar(conn, rules, first, last)
    ce, cs = cal.alias("ce"), cal.alias("cs")
    local = _LocalTime(conn, rules.tz, first, last)
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


class _LocalTime:
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


def _spread(days: list[int]) -> list[Cell]:
    days.sort()
    return [median(days), percentile(days, 0.9)]


def _response_table(conn: Connection, ctx: _Context) -> Table:
    span = Period(ctx.period.previous().start, ctx.period.end)
    s = RESPONSES
    cur_lo = ctx.period.bounds()[0]
    # The compact projection: stage, which period, late flag, and the two moments.
    inner = (
        sa.select(s.group.label("stage"), sa.case((EV.c.occurred_at >= cur_lo, 1), else_=0)
                  .label("cur"), sa.case((_LATE, 1), else_=0).label("late"),
                  EV.c.occurred_at.label("at"), _stage_start().label("started"))
        .where(_in(s.when, span), *s.where)
        .cte("responses")
        .prefix_with("MATERIALIZED")  # the stage start is looked up once per response
    )  # fmt: skip
    rows = _working_day_histogram(conn, ctx, inner, inner.c.started, inner.c.at,
                                  (inner.c.stage, inner.c.cur, inner.c.late))  # fmt: skip
    days: dict[tuple[str, bool], list[int]] = defaultdict(list)
    late: dict[tuple[str, bool], int] = defaultdict(int)
    for (stage, cur, was_late), n, count in rows:
        for pair in ((str(stage), bool(cur)), ("*", bool(cur))):
            days[pair].extend([n] * count)
            late[pair] += count if was_late else 0
    timeouts = _counts(conn, TIMEOUTS, ctx.period)
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


def _timescale(ctx: _Context, key: str) -> int | None:
    try:
        return ctx.ladder.stage(key).working_days
    except KeyError:
        return None


def _cap_table(conn: Connection, ctx: _Context) -> Table:
    span = Period(ctx.period.previous().start, ctx.period.end)
    s = CAPPED
    cur_lo = ctx.period.bounds()[0]
    inner = (
        sa.select(sa.case((EV.c.occurred_at >= cur_lo, 1), else_=0).label("cur"),
                  sa.case((IN_CAP, 1), else_=0).label("inside"),
                  CH.c.formal_started_at.label("started"), EV.c.occurred_at.label("at"))
        .select_from(s.source).where(_in(s.when, span), *s.where)
        .cte("ended").prefix_with("MATERIALIZED")
    )  # fmt: skip
    rows = _working_day_histogram(conn, ctx, inner, inner.c.started, inner.c.at,
                                  (inner.c.cur, inner.c.inside))  # fmt: skip
    days: dict[bool, list[int]] = {True: [], False: []}
    within = {True: 0, False: 0}
    for (cur, inside), n, count in rows:
        days[bool(cur)].extend([n] * count)
        within[bool(cur)] += count if inside else 0
    cap = ctx.ladder.overall_cap_working_days
    table = Table("cap", ["Measure", *_COMPARED])
    cur_days, old = sorted(days[True]), sorted(days[False])
    table.add([f"Formal challenges ended (cap {cap} working days)", len(cur_days), len(old)],
              "cap:*")  # fmt: skip
    table.add(["Ended within the cap", within[True], within[False]], "cap:within")
    table.add(["% within the cap", share(within[True], len(cur_days)),
               share(within[False], len(old))])  # fmt: skip
    table.add(["Median working days", median(cur_days), median(old)])
    table.add(["90th percentile working days", percentile(cur_days, 0.9), percentile(old, 0.9)])
    return table


IN_CAP = sa.or_(CH.c.cap_due_at.is_(None), EV.c.occurred_at <= CH.c.cap_due_at)
CAPPED = _events(
    ENDING_KINDS, sa.literal("*"), (CH.c.formal_started_at.is_not(None),), needs_challenge=True
)


# -- now, and the lists --------------------------------------------------------


def _open_table(conn: Connection, ctx: _Context) -> Table:
    stmt = (sa.select(CH.c.state, sa.func.count()).where(CH.c.state.in_(OPEN_STATE_VALUES))
            .group_by(CH.c.state))  # fmt: skip
    by_state = {str(k): int(n) for k, n in conn.execute(stmt)}
    overdue = conn.execute(sa.select(sa.func.count()).where(*_overdue_where(ctx.now))).scalar_one()
    table = Table("open_now", ["State", "Challenges"], chart_columns=(1,))
    for state in State:
        if state.value in OPEN_STATE_VALUES:
            table.add([state.label, by_state.get(state.value, 0)], f"open_now:{state.value}")
    table.add(["Total open", sum(by_state.values())], "open_now:*")
    table.add(["Overdue now", int(overdue)], "open_now:overdue")
    return table


def _overdue_where(now: datetime) -> tuple[Any, ...]:
    return (CH.c.state.in_(CLOCK_STATE_VALUES), CH.c.due_at.is_not(None), CH.c.due_at < now)


def _overdue_table(conn: Connection, ctx: _Context) -> Table:
    return overdue_list(conn, ctx.ladder, ctx.now)


def overdue_list(conn: Connection, ctx_ladder: Ladder, now: datetime,
                 limit: int | None = OVERDUE_LISTED) -> Table:  # fmt: skip
    """Overdue challenges now, oldest raised first: reference, child, stage, due, days late."""
    stmt = (sa.select(CH.c.reference, CHILD.c.case_reference, CH.c.stage_key, CH.c.raised_at,
                      CH.c.due_at)
            .select_from(CH.join(CHILD, CH.c.child_id == CHILD.c.id))
            .where(*_overdue_where(now)).order_by(CH.c.raised_at, CH.c.id).limit(limit))  # fmt: skip
    ctx = _Context(ctx_ladder, Period(now.date(), now.date()), now)
    wd = WorkingDays(ctx_ladder)
    # Day 1 of being overdue is the working day after the due day.
    table = Table("overdue", ["Challenge", "Child", "Stage", "Raised", "Due",
                              "Working days overdue"])  # fmt: skip
    for ref, child, stage, raised, due in conn.execute(stmt):
        late_by = wd.rules.calendar.working_days_between(_local(due), _local(now))
        table.add([ref, child, ctx.stage_name(stage or INFORMAL), _day(raised), _day(due),
                   late_by], f"challenge:{ref}")  # fmt: skip
    return table


def _local(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def _day(moment: datetime) -> str:
    return moment.astimezone(LONDON).date().isoformat()


def _cafcass_table(conn: Connection, ctx: _Context) -> Table:
    names = {g.value: g.label for g in CafcassGround}
    return _grouped(conn, ctx, "cafcass", "Ground (reg 45)", names)


def _impact_table(conn: Connection, ctx: _Context) -> Table:
    s = _events([Action.ACCEPT], sa.literal("*"))
    total = _counts(conn, s, ctx.period).get("*", (0, 0))
    stmt = (sa.select(CH.c.reference, EV.c.occurred_at, EV.c.stage_key, EV.c.details)
            .select_from(s.source).where(_in(s.when, ctx.period), *s.where)
            .order_by(EV.c.occurred_at.desc(), EV.c.id.desc()).limit(EXAMPLES))  # fmt: skip
    table = Table(
        "impact", ["Challenge", "Resolved on", "Stage", "Outcome", "Impact for the child"]
    )
    for ref, at, stage, details in conn.execute(stmt):
        table.add([ref, _day(at), ctx.stage_name(stage or INFORMAL), details.get("outcome"),
                   details.get("impact")], f"challenge:{ref}")  # fmt: skip
    table.add(["Resolved with impact recorded", total[0], None, None, f"previous period: {total[1]}"],
              "impact:*")  # fmt: skip
    return table


def _good_practice_table(conn: Connection, ctx: _Context) -> Table:
    return _grouped(conn, ctx, "good_practice", "Recorded by", _person_names(conn))


def _contacts(conn: Connection, period: Period) -> dict[str, tuple[int, int, int, int]]:
    contact = ACT.c.kind.in_([k.value for k in CONTACT_KINDS])

    def n(cond: Any) -> Any:
        return sa.func.sum(sa.case((cond, 1), else_=0))

    stmt = (sa.select(ACT.c.iro_id,
                      sa.func.count(sa.distinct(sa.case((contact, ACT.c.child_id)))), n(contact),
                      n(ACT.c.kind == ActivityKind.MIDWAY_REVIEW.value),
                      n(ACT.c.kind == ActivityKind.SOCIAL_WORKER_CONSULTATION.value))
            .where(ACT.c.occurred_on >= period.start, ACT.c.occurred_on <= period.end)
            .group_by(ACT.c.iro_id))  # fmt: skip
    return {str(r[0]): (int(r[1]), int(r[2] or 0), int(r[3] or 0), int(r[4] or 0))
            for r in conn.execute(stmt)}  # fmt: skip


def _contacts_table(conn: Connection, ctx: _Context) -> Table:
    cur, old = _contacts(conn, ctx.period), _contacts(conn, ctx.period.previous())
    names = _person_names(conn)
    table = Table("contacts", ["IRO", "Children seen or contacted", "Contacts", "Midway reviews",
                               "Consultations with the social worker",
                               "Previous: children seen or contacted"],
                  chart_columns=(1, 5))  # fmt: skip
    for iro in sorted(set(cur) | set(old), key=lambda k: names.get(k, k)):
        now_ = cur.get(iro, (0, 0, 0, 0))
        table.add([names.get(iro, iro), *now_, old.get(iro, (0,))[0]], f"contacts:{iro}")
    totals = [sum(v[i] for v in cur.values()) for i in range(4)]
    # Children are counted once in the total even when two IROs contacted them.
    totals[0] = _distinct_children(conn, ctx.period)
    table.add(["All IROs", *totals, _distinct_children(conn, ctx.period.previous())], "contacts:*")
    return table


def _distinct_children(conn: Connection, period: Period) -> int:
    stmt = sa.select(sa.func.count(sa.distinct(ACT.c.child_id))).where(
        ACT.c.kind.in_([k.value for k in CONTACT_KINDS]),
        ACT.c.occurred_on >= period.start, ACT.c.occurred_on <= period.end)  # fmt: skip
    return int(conn.execute(stmt).scalar_one())


def _caseload_table(conn: Connection, ctx: _Context) -> Table:
    stmt = (sa.select(PERSON.c.id, PERSON.c.name, sa.func.count(CHILD.c.id))
            .select_from(PERSON.outerjoin(CHILD, CHILD.c.iro_id == PERSON.c.id))
            .where(PERSON.c.role == Role.IRO.value, PERSON.c.active.is_(True))
            .group_by(PERSON.c.id, PERSON.c.name).order_by(PERSON.c.name))  # fmt: skip
    table = Table("caseloads", ["IRO", "Children", "Against 50-70"], chart_columns=(1,))
    for pid, name, n in conn.execute(stmt):
        table.add([name, int(n), caseload_band(int(n))], f"caseloads:{pid}")
    return table


# -- drill-down: the references behind one cell ------------------------------------


def drilldown(engine: Engine, ladder: Ladder, period: Period, cell: str,
              now: datetime) -> list[str]:  # fmt: skip
    """The challenge references (or, for contacts and caseloads, children) behind a cell."""
    figure, _, key = cell.partition(":")
    with engine.connect() as conn:
        _no_jit(conn)
        return [str(r[0]) for r in conn.execute(_drill_stmt(figure, key, period, ladder, now))]


def _drill_stmt(figure: str, key: str, period: Period, ladder: Ladder, now: datetime) -> Any:
    if figure == "challenge":
        return sa.select(CH.c.reference).where(CH.c.reference == key)
    if figure == "open_now":
        chosen = (
            _overdue_where(now)
            if key == "overdue"
            else ((CH.c.state.in_(OPEN_STATE_VALUES),) if key == "*" else (CH.c.state == key,))
        )
        return sa.select(CH.c.reference).where(*chosen).order_by(CH.c.raised_at, CH.c.id)
    if figure in ("contacts", "caseloads"):
        return _child_drill(figure, key, period)
    s = {"response_times": RESPONSES, "cap": CAPPED, "impact": _events([Action.ACCEPT],
         sa.literal("*"))}.get(figure) or SLICES.get(figure)  # fmt: skip
    if s is None:
        raise KeyError(f"there is no figure '{figure}'")
    where = list(s.where)
    if key == "within":
        where.append(IN_CAP)
    elif key not in ("*", ""):
        where.append(s.group == key)
    return (sa.select(s.reference).select_from(s.source).where(_in(s.when, period), *where)
            .distinct().order_by(s.reference))  # fmt: skip


def _child_drill(figure: str, key: str, period: Period) -> Any:
    if figure == "caseloads":
        return (sa.select(CHILD.c.case_reference).where(CHILD.c.iro_id == int(key))
                .order_by(CHILD.c.case_reference))  # fmt: skip
    where = [ACT.c.kind.in_([k.value for k in CONTACT_KINDS]),
             ACT.c.occurred_on >= period.start, ACT.c.occurred_on <= period.end]  # fmt: skip
    if key != "*":
        where.append(ACT.c.iro_id == int(key))
    return (sa.select(CHILD.c.case_reference).select_from(ACT.join(CHILD, ACT.c.child_id == CHILD.c.id))
            .where(*where).distinct().order_by(CHILD.c.case_reference))  # fmt: skip
