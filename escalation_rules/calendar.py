"""Working days in England.

A working day is any day but Saturday, Sunday, Christmas Day, Boxing Day, Good Friday
or a bank holiday (Children Act 1989 Representations Procedure (England) Regulations
2006, reg 2), plus any local closure day a council adds.

England uses the England and Wales bank holidays: `GB` with subdivision `ENG`. The plain
UK calendar adds Scottish and Northern Irish days and would be wrong.

Each year is computed once, on first use, into a dict of closed dates and a sorted list
of working-day ordinals, so every question after that is a set lookup or a bisect: the
calendar sits on the hot path of the deadline sweep.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

_WEEKEND = {5: "Saturday", 6: "Sunday"}
LOCAL_CLOSURE = "Local closure"


@dataclass(frozen=True, slots=True)
class _Year:
    closed: dict[date, str]
    working: list[int]  # ordinals of the year's working days, ascending


def _bank_holidays(year: int) -> dict[date, str]:
    # Imported on first use (a deadline to compute): loading its calendars costs about
    # 0.1 s, which every process paid at start, including those that never compute one.
    import holidays

    found = holidays.country_holidays("GB", subdiv="ENG", years=year)
    # `holidays` says "(observed)"; English councils and gov.uk say "substitute day".
    return {d: name.replace("(observed)", "(substitute day)") for d, name in found.items()}


class WorkingCalendar:
    """Which dates are working days for one council."""

    def __init__(self, closure_days: Iterable[date] = (), timezone: str = "Europe/London"):
        self.closure_days = frozenset(closure_days)
        self.timezone = timezone
        self.tz = ZoneInfo(timezone)
        self._years: dict[int, _Year] = {}

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is None:
            cached = self._years[year] = self._build_year(year)
        return cached

    def _build_year(self, year: int) -> _Year:
        bank = _bank_holidays(year)
        closed: dict[date, str] = {}
        working: list[int] = []
        day = date(year, 1, 1)
        while day.year == year:
            reason = self._reason(day, bank)
            if reason is None:
                working.append(day.toordinal())
            else:
                closed[day] = reason
            day += timedelta(days=1)
        return _Year(closed, working)

    def _reason(self, day: date, bank: dict[date, str]) -> str | None:
        # A bank holiday's name says more than "Saturday" when both apply.
        if day in bank:
            return bank[day]
        if day.weekday() in _WEEKEND:
            return _WEEKEND[day.weekday()]
        return LOCAL_CLOSURE if day in self.closure_days else None

    def is_working_day(self, d: date) -> bool:
        return d not in self._year(d.year).closed

    def closure_reason(self, d: date) -> str | None:
        """Why `d` is not a working day, or None when it is one."""
        return self._year(d.year).closed.get(d)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        return self.add_working_days(d, 1)

    def previous_working_day(self, d: date) -> date:
        """The last working day strictly before `d`."""
        return self.subtract_working_days(d, 1)

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after `d`; for n == 0, `d` itself if working, else the next."""
        if n < 0:
            raise ValueError(f"n must be >= 0, not {n}")
        if n == 0:
            return d if self.is_working_day(d) else self.add_working_days(d, 1)
        year = d.year
        index = bisect_right(self._year(year).working, d.toordinal()) + n - 1
        while index >= len(days := self._year(year).working):
            index -= len(days)
            year += 1
        return date.fromordinal(days[index])

    def subtract_working_days(self, d: date, n: int) -> date:
        """The n-th working day before `d`; for n == 0, `d` itself if working, else the previous."""
        if n < 0:
            raise ValueError(f"n must be >= 0, not {n}")
        if n == 0:
            return d if self.is_working_day(d) else self.subtract_working_days(d, 1)
        year = d.year
        index = bisect_left(self._year(year).working, d.toordinal()) - n
        while index < 0:
            year -= 1
            index += len(self._year(year).working)
        return date.fromordinal(self._year(year).working[index])

    def working_days_between(self, a: date, b: date) -> int:
        """How many working days d satisfy a < d <= b (0 when b <= a)."""
        if b <= a:
            return 0
        count = 0
        for year in range(a.year, b.year + 1):
            days = self._year(year).working
            count += bisect_right(days, b.toordinal()) - bisect_right(days, a.toordinal())
        return count

    def skipped_between(self, a: date, b: date) -> list[tuple[date, str]]:
        """The non-working dates d with a < d <= b, with the reason for each, in order."""
        skipped: list[tuple[date, str]] = []
        for year in range(a.year, b.year + 1):
            closed = self._year(year).closed
            skipped.extend((d, closed[d]) for d in sorted(closed) if a < d <= b)
        return skipped
