"""The ONE definition of every figure in the SMT report.

Pages, exports, the API and the annual-report prose all read the figures that
`workflow.report_queries` computes from these definitions; the `definition`
text of each figure is printed beside it and in docs/reports.md.

Conventions shared by every figure:
- A period is a range of whole local (Europe/London) dates, both ends included.
  An event belongs to the period when its `occurred_at`, read in London time,
  falls on one of those dates. The previous period is the same number of days
  immediately before.
- Working days are counted with the ladder's calendar
  (`DeadlineRules.working_days_elapsed`): from working day 1 of the clock
  (the ladder's day-one convention and end-of-day cut-off apply) up to and
  including the local date of the later moment. A response on day 1 is 1.
- "On time" means the moment was no later than the due moment in force at the
  time, which already includes agreed extensions and paused time.
- Event kinds are the values of `workflow.states.Action`; any other kind (for
  example a reminder or cap alert written by the deadline sweep) is ignored.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from workflow.states import CLOCK_RUNNING_STATES, OPEN_STATES, Action, State

LONDON = ZoneInfo("Europe/London")
INFORMAL = "informal"  # the stage label for a challenge with no formal stage
HANDBOOK_CASELOAD = (50, 70)  # looked-after children per full-time IRO (IRO Handbook)
# Shown in every cell of a compared period in which nothing at all had been recorded yet
# (the service was not in use): its zeros would otherwise read as "none happened".
NO_DATA = "no data for that period"
YEAR_EARLIER = "Same period a year earlier"

RAISE_KINDS = (Action.RAISE_INFORMAL.value, Action.RAISE_FORMAL.value)
# Events that start a formal stage's clock (a time-out that escalates opens the next stage).
STAGE_OPENING_KINDS = (
    Action.RAISE_FORMAL.value,
    Action.ESCALATE.value,
    Action.REJECT.value,
    Action.TIME_OUT.value,
)


# The same condition as SQL text (our own constants, no user input): the partial index
# `ix_report_event_stage_open` and the query that uses it must say it in the same words,
# literally, for SQLite to use the index.
def stage_opening_sql(table: str = "") -> str:
    """`STAGE_OPENING_KINDS` into awaiting a response, as SQL text (columns of `table`)."""
    at = f"{table}." if table else ""
    kinds = ", ".join(f"'{k}'" for k in STAGE_OPENING_KINDS)
    return f"{at}kind IN ({kinds}) AND {at}to_state = '{State.AWAITING_RESPONSE.value}'"


STAGE_OPENING_SQL = stage_opening_sql()


def raise_sql(table: str = "") -> str:
    """`RAISE_KINDS` as SQL text, in the words of the partial index `ix_report_event_raise`
    (each challenge's one raise event, its first)."""
    at = f"{table}." if table else ""
    return f"{at}kind IN ({', '.join(repr(k) for k in RAISE_KINDS)})"


RAISE_SQL = raise_sql()
ENDING_KINDS = (Action.ACCEPT.value, Action.WITHDRAW.value)
OPEN_STATE_VALUES = tuple(sorted(s.value for s in OPEN_STATES))
# Only a running clock can be overdue: informal resolution, or a stage awaiting its response.
CLOCK_STATE_VALUES = tuple(sorted(s.value for s in CLOCK_RUNNING_STATES))


@dataclass(frozen=True)
class Period:
    """Whole London dates, `start` to `end` inclusive."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length immediately before this one.

        Whole calendar months (a month, a quarter, a year) compare with the same number
        of whole months before; other periods with the same number of days before.
        """
        months = self._whole_months()
        end = self.start - timedelta(days=1)
        if months:
            first = date(self.start.year, self.start.month, 1)
            for _ in range(months):
                first = (first - timedelta(days=1)).replace(day=1)
            return Period(first, end)
        return Period(end - timedelta(days=self.days - 1), end)

    def year_earlier(self) -> Period:
        """The same dates a year earlier (whole months: the same months; 29 February: the
        28th). For a whole year it is the previous period."""
        if self._whole_months():
            end = date(self.end.year - 1, self.end.month, 1)
            end = end.replace(day=calendar.monthrange(end.year, end.month)[1])
            return Period(date(self.start.year - 1, self.start.month, 1), end)
        return Period(_a_year_before(self.start), _a_year_before(self.end))

    def _whole_months(self) -> int:
        last_day = calendar.monthrange(self.end.year, self.end.month)[1]
        if self.start.day != 1 or self.end.day != last_day:
            return 0
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """[from, to) as aware UTC moments: midnight London at each end."""
        return _midnight(self.start), _midnight(self.end + timedelta(days=1))

    def label(self) -> str:
        return f"{self.start:%-d %B %Y} to {self.end:%-d %B %Y}"

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        first = 3 * (quarter - 1) + 1
        return cls(cls.month(year, first).start, cls.month(year, first + 2).end)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))


def last_day_before(moment: datetime) -> date:
    """The last London date that had begun before `moment`: activity is dated, not timed, so
    activity on that date counts as having happened by then (none on a day not yet begun)."""
    return (moment.astimezone(LONDON) - timedelta(microseconds=1)).date()


def _a_year_before(day: date) -> date:
    return day.replace(year=day.year - 1, day=28 if (day.month, day.day) == (2, 29) else day.day)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    definition: str
    compared: bool = True  # whether the previous period is shown beside it


FIGURES: tuple[Figure, ...] = (
    Figure("raised", "Challenges raised",
           "Challenges raised in the period (the moment the challenge was first recorded), "
           "split by how they were raised: informally (informal resolution recorded first) or "
           "formally (straight to a formal stage). 'Went formal' counts challenges raised "
           "informally, in any period, whose first formal stage opened in the period. 'Where "
           "risk is high' counts challenges raised formally in the period on the ladder's "
           "high-risk route: the IRO skipped informal resolution and recorded why."),
    Figure("by_theme", "Challenges raised, by theme",
           "Challenges raised in the period, by the theme recorded when they were raised."),
    Figure("by_team", "Challenges raised, by team and service area",
           "Challenges raised in the period, by the team (and its service area) of the child's "
           "allocated social worker now. Children with no allocated social worker are shown "
           "as 'No allocated social worker'."),
    Figure("by_iro", "Challenges raised, by IRO",
           "Challenges raised in the period, by the IRO who raised them."),
    Figure("highest_stage", "Highest stage reached",
           "Challenges raised in the period, by the highest formal stage they have reached "
           "so far (at the time the report is produced); 'Informal' means no formal stage."),
    Figure("resolved_at_stage", "Stage at which challenges were resolved",
           "Challenges accepted as resolved in the period (the IRO accepted the response), "
           "by the stage they were at when accepted: 'Informal' when accepted during informal "
           "resolution. A challenge is 'resolved at stage X' when the accept event's stage is X."),
    Figure("outcomes", "Outcomes",
           "How challenges ended in the period: resolved informally, resolved at a formal "
           "stage, or withdrawn; and CAFCASS referrals made in the period (a parallel track "
           "that does not end the internal process)."),
    Figure("response_times", "Response times, by stage",
           "Every response given in the period to a formal stage, by the stage. Working days "
           "run from working day 1 of the stage (the day after it opened, or the next working "
           "day if it opened on a closed day or after the cut-off) to the day of the response, "
           "both included. 'On time' means the response came no later than the stage's due "
           "moment in force then, including extensions and paused time. Timed out counts "
           "stages whose time ran out in the period without a response."),
    Figure("cap", "Against the overall cap",
           "Challenges that went formal and ended (resolved or withdrawn) in the period: working "
           "days from working day 1 of the first formal stage to the day it ended. 'Within the "
           "cap' means it ended no later than the cap due moment (20 working days under the "
           "Handbook), moved on by any paused time. 'Cap alerts sent' counts the alerts the "
           "system sent in the period when a challenge passed the cap."),
    Figure("rates", "Rates",
           "Challenges raised in the period per 100 children looked after at the end of the "
           "period (from the looked-after start and end dates on the children's records; a "
           "child with no start date counts when their legal status is looked after); "
           "different children with at least one challenge raised in the period; of the "
           "challenges the IRO accepted as resolved in the period, the share resolved "
           "informally or at a stage answered by a social worker or team manager (the headline "
           "councils publish); the median working days from raise to the end (resolved or "
           "withdrawn), informal resolution included, for challenges that ended in the period; "
           "and the IRO caseload per full-time post: children looked after at the end of the "
           "period with an active IRO, divided by the full-time posts the active IROs filled "
           "then (the sum of their working-time fractions, 0.6 for three days a week), each "
           "read from the records as they stood at the end of the period."),
    Figure("trend", "Trend by quarter", compared=False,
           definition="Calendar quarters up to the one that holds the period's last day, over "
           "up to three years, from the first quarter with any challenge: challenges raised, "
           "resolved (the IRO accepted the response), withdrawn, and CAFCASS referrals made, "
           "each counted in the quarter in which it happened (London dates)."),
    Figure("open_now", "Open and stuck", compared=False,
           definition="Challenges open at the end of the period and at the time the report is "
           "produced (or the moment it is produced as at), rebuilt from the event log: by "
           "state, and how many were stuck. Stuck means: the stage ran out of time (its due "
           "moment passed while the clock was running, or it timed out and waits for the "
           "IRO's decision); or the challenge is past the overall cap; or a response's "
           "committed target date has passed while it waits for the IRO to accept or reject "
           "it. A paused challenge is never stuck (its clocks are stopped). One challenge may "
           "be stuck for more than one reason; 'Stuck (any reason)' counts it once."),
    Figure("stuck", "Stuck at the report time, longest first", compared=False,
           definition="Each challenge stuck at the time the report is produced (see 'Open and "
           "stuck'): the child's team, the stage, who holds it (the responder while a "
           "response is awaited, otherwise the IRO), the date it became stuck (the due day, "
           "the cap's due day or the target date) and the working days since, up to and "
           "including today. The first 25 are listed; the drill-down gives them all."),
    Figure("cafcass", "CAFCASS referrals, by ground",
           "Referrals to CAFCASS recorded in the period, by the reg 45 ground given."),
    Figure("outcome_kinds", "What changed for children, by kind of outcome",
           "Challenges the IRO accepted as resolved in the period, by the kind of outcome the "
           "IRO picked when accepting, from the council's list (for example care plan updated "
           "or contact arranged); 'Not recorded' for resolutions accepted before the kind was "
           "asked for. Examples in the IRO's own words follow under 'Impact recorded at "
           "resolution'."),
    Figure("impact", "Impact recorded at resolution",
           "Challenges resolved in the period with the impact for the child recorded when the "
           "IRO accepted the response; the most recent examples are shown, each with the kind "
           "of outcome the IRO picked."),
    Figure("good_practice", "Good-practice alerts",
           "Good-practice alerts recorded on challenges in the period, by the IRO who recorded "
           "them."),
    Figure("good_practice_recorded", "Good practice recognised without a challenge",
           "Good practice IROs recorded without a challenge, dated in the period (the date it "
           "happened), by who it was about: a child, a worker or a team."),
    Figure("contacts", "IRO contact with children between reviews",
           "Activity recorded by IROs for dates in the period, by IRO: the number of "
           "different children seen or contacted (a visit, phone call, video call or text "
           "messages with the child), the number of those contacts, midway reviews and "
           "consultations with the social worker."),
    Figure("caseloads", "IRO caseloads", compared=False,
           definition="Looked-after children allocated to each active IRO at the report's moment "
           "(the IRO named on the child's record then; looked after as in 'Rates'), the IRO's "
           "working time then as a "
           "fraction of a full-time post, and the caseload per full-time post, against the IRO "
           "Handbook's recommended 50 to 70 looked-after children per full-time IRO: 'below', "
           "'within' or 'above' that range. Every active IRO is listed, even with no children."),
)  # fmt: skip
FIGURE_BY_KEY = {f.key: f for f in FIGURES}


def percentile(sorted_values: list[int], fraction: float) -> float | None:
    """The nearest-rank percentile (median = 0.5): a value that actually occurred."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * fraction // 1))
    return float(sorted_values[int(rank) - 1])


def median(sorted_values: list[int]) -> float | None:
    """The middle value, or the mean of the two middle values."""
    n = len(sorted_values)
    if n == 0:
        return None
    mid = n // 2
    if n % 2:
        return float(sorted_values[mid])
    return (sorted_values[mid - 1] + sorted_values[mid]) / 2


def share(part: int, whole: int) -> float | None:
    """A percentage to one decimal place, or None when there is nothing to divide."""
    return None if whole == 0 else round(100 * part / whole, 1)


def caseload_band(children: float) -> str:
    low, high = HANDBOOK_CASELOAD
    return "below" if children < low else "above" if children > high else "within"
