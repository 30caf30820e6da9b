"""The bank holidays deadlines are counted against, as reviewed by a person.

`holidays` is pinned in requirements/*.lock and updated on purpose. When an update
knows a bank holiday this list does not (a one-off like the 2023 coronation, or a
correction), the deadlines of running challenges would move: this test fails so that
someone reads the change, tells the IRO service, and then adds the day here.
"""

from __future__ import annotations

from datetime import date

import holidays

from escalation_rules.calendar import WorkingCalendar

# England and Wales bank holidays on weekdays (the ones that move a deadline), from
# https://www.gov.uk/bank-holidays, reviewed 30 November 2026.
REVIEWED = {
    2026: [date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4),
           date(2026, 5, 25), date(2026, 8, 31), date(2026, 12, 25), date(2026, 12, 28)],
    2027: [date(2027, 1, 1), date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 3),
           date(2027, 5, 31), date(2027, 8, 30), date(2027, 12, 27), date(2027, 12, 28)],
    2028: [date(2028, 1, 3), date(2028, 4, 14), date(2028, 4, 17), date(2028, 5, 1),
           date(2028, 5, 29), date(2028, 8, 28), date(2028, 12, 25), date(2028, 12, 26)],
}  # fmt: skip


def _weekday_closures(year: int) -> list[date]:
    calendar = WorkingCalendar()
    days = (date.fromordinal(n) for n in range(date(year, 1, 1).toordinal(),
                                               date(year + 1, 1, 1).toordinal()))  # fmt: skip
    return [d for d in days if d.weekday() < 5 and not calendar.is_working_day(d)]


def test_the_calendar_closes_exactly_the_reviewed_bank_holidays():
    for year, reviewed in REVIEWED.items():
        assert _weekday_closures(year) == reviewed, (
            f"holidays {holidays.__version__} changed England's bank holidays in {year}: "
            "deadlines of running challenges would move. Check gov.uk/bank-holidays, tell "
            "the IRO service, then update REVIEWED."
        )
