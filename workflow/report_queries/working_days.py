"""Working days between many pairs of moments, counted in Python and cached."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from escalation_rules.deadlines import DeadlineRules
from escalation_rules.model import Ladder


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
