from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from escalation_rules import DayOne, DeadlineRules, Reminder, WorkingCalendar

from .conftest import london

D = date.fromisoformat


def test_handbook_over_christmas_2026(rules, handbook):
    start = london("2026-12-23T10:00")
    for stage in handbook.stages:
        deadline = rules.stage_deadline(stage, start)
        assert deadline.due_at == datetime(2027, 1, 4, 17, 0, tzinfo=UTC)
        assert deadline.first_day == D("2026-12-24")
        assert deadline.last_day == D("2027-01-04")
        assert deadline.skipped == (
            (D("2026-12-25"), "Christmas Day"),
            (D("2026-12-26"), "Boxing Day"),
            (D("2026-12-27"), "Sunday"),
            (D("2026-12-28"), "Boxing Day (substitute day)"),
            (D("2027-01-01"), "New Year's Day"),
            (D("2027-01-02"), "Saturday"),
            (D("2027-01-03"), "Sunday"),
        )


def test_due_at_is_utc(rules):
    due = rules.deadline(london("2026-12-23T10:00"), 5).due_at
    assert due.utcoffset() == timedelta(0)


def test_summer_time_due_moment_is_an_hour_earlier_in_utc(rules):
    # 17:00 BST is 16:00 UTC.
    deadline = rules.deadline(london("2026-06-01T10:00"), 5)
    assert deadline.due_at == datetime(2026, 6, 8, 16, 0, tzinfo=UTC)


def test_deadline_across_the_october_clock_change(rules):
    # Clocks go back on Sunday 25 October 2026: raised in BST, due in GMT.
    start = london("2026-10-22T10:00")
    assert start.utcoffset() == timedelta(hours=1)
    deadline = rules.deadline(start, 5)
    assert deadline.last_day == D("2026-10-29")
    assert deadline.due_at == datetime(2026, 10, 29, 17, 0, tzinfo=UTC)


def test_deadline_across_the_march_clock_change(rules):
    # Clocks go forward on Sunday 28 March 2027, just before Easter 2027.
    deadline = rules.deadline(london("2027-03-24T10:00"), 5)
    assert deadline.last_day == D("2027-04-02")  # Good Friday and Easter Monday skipped
    assert deadline.due_at == datetime(2027, 4, 2, 16, 0, tzinfo=UTC)
    assert [d.isoformat() for d, _ in deadline.skipped] == [
        "2027-03-26",
        "2027-03-27",
        "2027-03-28",
        "2027-03-29",
    ]


def test_input_in_another_time_zone_uses_the_london_date(rules):
    # 23:30 UTC on 30 June is 00:30 BST on 1 July: a Wednesday, before the cut-off.
    start = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    assert rules.effective_start_day(start) == D("2026-07-01")


def test_raise_after_the_cut_off_counts_from_the_next_working_day(rules):
    assert rules.effective_start_day(london("2026-12-23T16:59")) == D("2026-12-23")
    assert rules.effective_start_day(london("2026-12-23T17:00")) == D("2026-12-24")
    late = rules.deadline(london("2026-12-23T17:30"), 5)
    assert late.first_day == D("2026-12-29")
    assert late.last_day == D("2027-01-05")


def test_raise_on_a_saturday(rules):
    saturday = london("2026-11-14T11:00")
    assert rules.effective_start_day(saturday) == D("2026-11-16")
    deadline = rules.deadline(saturday, 5)
    assert deadline.first_day == D("2026-11-17")
    assert deadline.last_day == D("2026-11-23")
    assert [d for d, _ in deadline.skipped] == [D("2026-11-21"), D("2026-11-22")]


def test_same_day_convention(handbook):
    rules = DeadlineRules(replace(handbook, day_one=DayOne.SAME_DAY))
    deadline = rules.deadline(london("2026-12-23T10:00"), 5)
    assert deadline.first_day == D("2026-12-23")
    assert deadline.last_day == D("2026-12-31")
    assert deadline.skipped[0] == (D("2026-12-25"), "Christmas Day")


def test_same_day_on_a_saturday_lists_nothing_before_day_one(handbook):
    rules = DeadlineRules(replace(handbook, day_one=DayOne.SAME_DAY))
    deadline = rules.deadline(london("2026-11-14T11:00"), 1)
    assert deadline.first_day == deadline.last_day == D("2026-11-16")
    assert deadline.skipped == ()


def test_closure_days_from_the_ladder(handbook):
    closed = frozenset({D("2026-12-29"), D("2026-12-30"), D("2026-12-31")})
    rules = DeadlineRules(replace(handbook, closure_days=closed))
    deadline = rules.deadline(london("2026-12-23T10:00"), 5)
    assert deadline.last_day == D("2027-01-07")
    assert (D("2026-12-30"), "Local closure") in deadline.skipped


def test_explicit_calendar_is_used(handbook):
    calendar = WorkingCalendar(closure_days=[D("2026-12-24")])
    rules = DeadlineRules(handbook, calendar)
    assert rules.deadline(london("2026-12-23T10:00"), 1).last_day == D("2026-12-29")


def test_end_of_day_setting(handbook):
    rules = DeadlineRules(replace(handbook, end_of_day=time(16, 30)))
    assert rules.effective_start_day(london("2026-12-23T16:45")) == D("2026-12-24")
    due = rules.deadline(london("2026-12-23T10:00"), 1).due_at
    assert due == datetime(2026, 12, 24, 16, 30, tzinfo=UTC)


def test_cap_deadline(rules):
    cap = rules.cap_deadline(london("2026-12-23T10:00"))
    assert cap.last_day == D("2027-01-25")


def test_naive_datetimes_are_refused(rules):
    with pytest.raises(ValueError, match="timezone-aware"):
        rules.deadline(datetime(2026, 12, 23, 10, 0), 5)


def test_zero_working_days_is_refused(rules):
    with pytest.raises(ValueError, match=">= 1"):
        rules.deadline(london("2026-12-23T10:00"), 0)


def test_shift_keeps_the_end_of_day(rules):
    due = datetime(2026, 12, 24, 17, 0, tzinfo=UTC)
    assert rules.shift(due, 1) == datetime(2026, 12, 29, 17, 0, tzinfo=UTC)
    assert rules.shift(due, 0) == due
    # Into summer time: the end of day stays 17:00 London, which is 16:00 UTC.
    assert rules.shift(datetime(2027, 3, 25, 17, 0, tzinfo=UTC), 1) == datetime(
        2027, 3, 30, 16, 0, tzinfo=UTC
    )
    with pytest.raises(ValueError):
        rules.shift(due, -1)


def test_working_days_elapsed(rules):
    start = london("2026-12-23T10:00")
    assert rules.working_days_elapsed(start, london("2026-12-23T16:00")) == 0
    assert rules.working_days_elapsed(start, london("2026-12-24T09:00")) == 1
    assert rules.working_days_elapsed(start, london("2026-12-28T12:00")) == 1
    assert rules.working_days_elapsed(start, london("2027-01-04T18:00")) == 5
    assert rules.working_days_elapsed(start, london("2026-12-01T18:00")) == 0


def test_reminder_times(rules):
    due = rules.deadline(london("2026-12-23T10:00"), 5).due_at
    times = rules.reminder_times(due)
    assert [(r.working_days_before, at) for r, at in times] == [
        (2, datetime(2026, 12, 30, 9, 0, tzinfo=UTC)),
        (0, datetime(2027, 1, 4, 9, 0, tzinfo=UTC)),
    ]


def test_reminders_are_sorted_and_in_london_time(handbook):
    reminders = (Reminder(0, time(9, 0)), Reminder(3, time(14, 0)), Reminder(1, time(9, 0)))
    rules = DeadlineRules(replace(handbook, reminders=reminders))
    times = rules.reminder_times(datetime(2026, 6, 8, 16, 0, tzinfo=UTC))
    assert [at for _, at in times] == [
        datetime(2026, 6, 3, 13, 0, tzinfo=UTC),
        datetime(2026, 6, 5, 8, 0, tzinfo=UTC),
        datetime(2026, 6, 8, 8, 0, tzinfo=UTC),
    ]
