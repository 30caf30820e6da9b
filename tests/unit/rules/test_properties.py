"""Properties of deadline arithmetic over random starts and timescales."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from escalation_rules import DeadlineRules, load_ladder_setting

RULES = DeadlineRules(load_ladder_setting("handbook"))
LONDON = ZoneInfo("Europe/London")

starts = st.datetimes(
    min_value=datetime(2019, 1, 1),
    max_value=datetime(2031, 12, 31),
    timezones=st.sampled_from([UTC, LONDON]),
    allow_imaginary=False,
)
spans = st.integers(min_value=1, max_value=40)


@settings(max_examples=300, deadline=None)
@given(start=starts, n=spans)
def test_due_day_is_a_working_day_n_working_days_from_day_one(start, n):
    deadline = RULES.deadline(start, n)
    calendar = RULES.calendar
    assert calendar.is_working_day(deadline.first_day)
    assert calendar.is_working_day(deadline.last_day)
    assert deadline.first_day > RULES.effective_start_day(start)
    assert RULES.working_days_elapsed(start, deadline.due_at) == n
    assert deadline.due_at.astimezone(LONDON).time() == RULES.ladder.end_of_day
    assert all(not calendar.is_working_day(d) for d, _ in deadline.skipped)


@settings(max_examples=300, deadline=None)
@given(start=starts, n=st.integers(min_value=1, max_value=39))
def test_deadline_is_monotonic_in_n(start, n):
    assert RULES.deadline(start, n).due_at < RULES.deadline(start, n + 1).due_at


@settings(max_examples=300, deadline=None)
@given(a=starts, b=starts, n=spans)
def test_deadline_is_monotonic_in_start(a, b, n):
    early, late = sorted((a, b))
    assert RULES.deadline(early, n).due_at <= RULES.deadline(late, n).due_at
