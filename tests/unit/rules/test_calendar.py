from datetime import date

import pytest

from escalation_rules import WorkingCalendar

D = date.fromisoformat


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        ("2021-12-25", "Christmas Day"),
        ("2021-12-27", "Christmas Day (substitute day)"),
        ("2021-12-28", "Boxing Day (substitute day)"),
        ("2022-01-03", "New Year's Day (substitute day)"),
        ("2022-12-26", "Boxing Day"),
        ("2022-12-27", "Christmas Day (substitute day)"),
        ("2023-01-02", "New Year's Day (substitute day)"),
        ("2027-12-27", "Christmas Day (substitute day)"),
        ("2027-12-28", "Boxing Day (substitute day)"),
        ("2026-12-28", "Boxing Day (substitute day)"),
        ("2026-04-03", "Good Friday"),
        ("2026-04-06", "Easter Monday"),
        ("2027-03-26", "Good Friday"),
        ("2027-03-29", "Easter Monday"),
        ("2020-05-08", "May Day"),
        ("2022-06-02", "Spring Bank Holiday"),
        ("2022-06-03", "Platinum Jubilee of Elizabeth II"),
        ("2022-09-19", "State Funeral of Queen Elizabeth II"),
        ("2023-05-08", "Coronation of Charles III"),
        ("2026-12-19", "Saturday"),
        ("2026-12-20", "Sunday"),
    ],
)
def test_non_working_days_in_england(calendar, day, reason):
    assert not calendar.is_working_day(D(day))
    assert calendar.closure_reason(D(day)) == reason


@pytest.mark.parametrize(
    "day",
    [
        "2026-11-30",  # St Andrew's Day: Scotland only
        "2027-01-04",
        "2022-01-04",  # 4 Jan 2022: the Scottish substitute for 2 Jan
        "2026-01-02",  # 2 January: Scotland only
        "2026-03-17",  # St Patrick's Day: Northern Ireland only
        "2026-07-13",  # Battle of the Boyne (observed): Northern Ireland only
        "2026-08-03",  # Scotland's summer bank holiday
        "2020-05-04",  # moved to 8 May in 2020
        "2023-05-09",
    ],
)
def test_days_that_are_working_in_england(calendar, day):
    assert calendar.is_working_day(D(day))
    assert calendar.closure_reason(D(day)) is None


def test_local_closure_days():
    cal = WorkingCalendar(closure_days=[D("2026-12-29"), D("2026-12-30")])
    assert cal.closure_reason(D("2026-12-29")) == "Local closure"
    assert cal.next_working_day(D("2026-12-24")) == D("2026-12-31")


def test_local_closure_on_a_bank_holiday_keeps_the_holiday_name():
    cal = WorkingCalendar(closure_days=[D("2026-12-25")])
    assert cal.closure_reason(D("2026-12-25")) == "Christmas Day"


def test_next_and_previous_working_day_across_christmas_2021(calendar):
    assert calendar.next_working_day(D("2021-12-24")) == D("2021-12-29")
    assert calendar.previous_working_day(D("2021-12-29")) == D("2021-12-24")
    assert calendar.next_working_day(D("2021-12-31")) == D("2022-01-04")
    assert calendar.previous_working_day(D("2022-01-04")) == D("2021-12-31")


def test_add_working_days(calendar):
    assert calendar.add_working_days(D("2022-12-23"), 1) == D("2022-12-28")
    assert calendar.add_working_days(D("2022-12-23"), 5) == D("2023-01-04")
    assert calendar.add_working_days(D("2026-04-02"), 1) == D("2026-04-07")  # Easter


def test_add_zero_working_days(calendar):
    assert calendar.add_working_days(D("2026-12-23"), 0) == D("2026-12-23")
    assert calendar.add_working_days(D("2026-12-25"), 0) == D("2026-12-29")


def test_add_working_days_across_several_years(calendar):
    start = D("2025-06-02")
    later = calendar.add_working_days(start, 600)
    assert calendar.working_days_between(start, later) == 600


def test_subtract_working_days(calendar):
    assert calendar.subtract_working_days(D("2027-01-04"), 2) == D("2026-12-30")
    assert calendar.subtract_working_days(D("2027-01-04"), 0) == D("2027-01-04")
    assert calendar.subtract_working_days(D("2027-01-01"), 0) == D("2026-12-31")


def test_negative_counts_are_refused(calendar):
    with pytest.raises(ValueError, match=">= 0"):
        calendar.add_working_days(D("2026-01-05"), -1)
    with pytest.raises(ValueError, match=">= 0"):
        calendar.subtract_working_days(D("2026-01-05"), -1)


def test_working_days_between(calendar):
    assert calendar.working_days_between(D("2026-12-23"), D("2027-01-04")) == 5
    assert calendar.working_days_between(D("2022-05-31"), D("2022-06-06")) == 2
    assert calendar.working_days_between(D("2027-01-04"), D("2026-12-23")) == 0
    assert calendar.working_days_between(D("2027-01-04"), D("2027-01-04")) == 0


def test_skipped_between(calendar):
    assert calendar.skipped_between(D("2020-05-06"), D("2020-05-11")) == [
        (D("2020-05-08"), "May Day"),
        (D("2020-05-09"), "Saturday"),
        (D("2020-05-10"), "Sunday"),
    ]
    assert calendar.skipped_between(D("2020-05-08"), D("2020-05-08")) == []


def test_skipped_between_crosses_years(calendar):
    skipped = calendar.skipped_between(D("2022-12-30"), D("2023-01-03"))
    assert [d.isoformat() for d, _ in skipped] == ["2022-12-31", "2023-01-01", "2023-01-02"]


def test_timezone_is_validated():
    with pytest.raises(Exception, match="Mars"):
        WorkingCalendar(timezone="Mars/Olympus")
