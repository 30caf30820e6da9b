"""Deadline arithmetic under a ladder's conventions.

Pure functions of a ladder and a calendar: no clock is read here. Inputs may be in any
time zone but must be aware; outputs are aware UTC, because that is what is stored.
Working days are counted on the ladder's local (Europe/London) dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from escalation_rules.calendar import WorkingCalendar
from escalation_rules.model import DayOne, Ladder, Reminder, Stage


@dataclass(frozen=True)
class Deadline:
    due_at: datetime  # UTC
    first_day: date  # working day 1
    last_day: date  # the working day the response is due, local date
    skipped: tuple[tuple[date, str], ...]  # non-working days inside the timescale


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


class DeadlineRules:
    """Due moments, pauses, extensions and reminders for one ladder."""

    def __init__(self, ladder: Ladder, calendar: WorkingCalendar | None = None):
        self.ladder = ladder
        if calendar is None:
            calendar = WorkingCalendar(ladder.closure_days, ladder.timezone)
        self.calendar = calendar
        self.tz = self.calendar.tz
        # Answers by local date: they depend on nothing else, and a sweep's batch asks
        # the same few hundreds of times (every challenge timed out at the same hour).
        # A handful of dates a day, so they are kept for the life of the rules.
        self._deadlines: dict[tuple[date, int], Deadline] = {}
        self._following: dict[tuple[date, int], Deadline] = {}
        self._reminders: dict[date, tuple[tuple[Reminder, datetime], ...]] = {}

    def local_date(self, moment: datetime) -> date:
        _require_aware(moment, "moment")
        return moment.astimezone(self.tz).date()

    def end_of(self, day: date) -> datetime:
        """The ladder's end of the working day on `day`, in UTC."""
        local = datetime.combine(day, self.ladder.end_of_day, tzinfo=self.tz)
        return local.astimezone(UTC)

    def effective_start_day(self, at: datetime) -> date:
        """The local date the clock is deemed to start.

        A challenge raised on a non-working day, or at or after the end of the working
        day, is treated as raised on the next working day: nobody was there to read it.
        """
        _require_aware(at, "at")
        local = at.astimezone(self.tz)
        day = local.date()
        if not self.calendar.is_working_day(day) or local.time() >= self.ladder.end_of_day:
            return self.calendar.next_working_day(day)
        return day

    def first_day(self, start: datetime) -> date:
        """Working day 1 for a clock started at `start`."""
        effective = self.effective_start_day(start)
        if self.ladder.day_one is DayOne.SAME_DAY:
            return effective
        return self.calendar.next_working_day(effective)

    def deadline(self, start: datetime, working_days: int) -> Deadline:
        """Due at the end of the `working_days`-th working day, counting from day 1."""
        if working_days < 1:
            raise ValueError(f"working_days must be >= 1, not {working_days}")
        effective = self.effective_start_day(start)
        found = self._deadlines.get((effective, working_days))
        if found is None:
            found = self._deadlines[effective, working_days] = self._deadline_from(
                effective, working_days
            )
        return found

    def _deadline_from(self, effective: date, working_days: int) -> Deadline:
        if self.ladder.day_one is DayOne.SAME_DAY:
            first = day_before_clock = effective
        else:
            first, day_before_clock = self.calendar.next_working_day(effective), effective
        last = self.calendar.add_working_days(first, working_days - 1)
        # Day 1 is a working day, so counting from the day before it skips nothing early.
        skipped = self.calendar.skipped_between(day_before_clock, last)
        return Deadline(self.end_of(last), first, last, tuple(skipped))

    def following_deadline(self, previous_due: datetime, working_days: int) -> Deadline:
        """A stage opened by a timeout: day 1 is the working day after the last one ran out.

        The timeout fires at (or after) the end of the previous stage's last working
        day; counting from that moment would lose a working day at every step.
        """
        if working_days < 1:
            raise ValueError(f"working_days must be >= 1, not {working_days}")
        previous = self.local_date(previous_due)
        found = self._following.get((previous, working_days))
        if found is None:
            first = self.calendar.next_working_day(previous)
            last = self.calendar.add_working_days(first, working_days - 1)
            skipped = self.calendar.skipped_between(previous, last)
            found = Deadline(self.end_of(last), first, last, tuple(skipped))
            self._following[previous, working_days] = found
        return found

    def stage_deadline(
        self, stage: Stage, start: datetime, after: datetime | None = None
    ) -> Deadline | None:
        """None for a stage with no timescale; `after`: the due moment a timeout ended."""
        if stage.working_days is None:
            return None
        if after is not None:
            return self.following_deadline(after, stage.working_days)
        return self.deadline(start, stage.working_days)

    def cap_deadline(self, start: datetime) -> Deadline | None:
        """When the whole formal process should be finished (IRO Handbook 6.2), if capped."""
        days = self.ladder.overall_cap_working_days
        return None if days is None else self.deadline(start, days)

    def shift(self, due_at: datetime, working_days: int) -> datetime:
        """Move a due moment forward by whole working days, due at the end of that day.

        Used for extensions and for resuming a paused clock.
        """
        if working_days < 0:
            raise ValueError(f"working_days must be >= 0, not {working_days}")
        day = self.calendar.add_working_days(self.local_date(due_at), working_days)
        return self.end_of(day)

    def working_days_elapsed(self, start: datetime, end: datetime) -> int:
        """Working days from day 1 up to and including the local date of `end`."""
        first = self.first_day(start)
        return self.calendar.working_days_between(first - timedelta(days=1), self.local_date(end))

    def reminder_times(self, due_at: datetime) -> list[tuple[Reminder, datetime]]:
        """When each of the ladder's reminders falls for a response due at `due_at`."""
        due_day = self.local_date(due_at)
        found = self._reminders.get(due_day)
        if found is None:
            times = [(r, self._reminder_at(r, due_day)) for r in self.ladder.reminders]
            found = self._reminders[due_day] = tuple(sorted(times, key=lambda pair: pair[1]))
        return list(found)

    def _reminder_at(self, reminder: Reminder, due_day: date) -> datetime:
        day = self.calendar.subtract_working_days(due_day, reminder.working_days_before)
        return datetime.combine(day, reminder.at, tzinfo=self.tz).astimezone(UTC)
