"""When a periodic message falls due, worked out from the clock on every check.

APScheduler 3's cron jobs do not catch up: a moment missed while the worker was down is
simply skipped (measured: `misfire_grace_time=None` and `coalesce=True` do not help). So the
worker checks often, and on start, whether the period's moment has passed; the outbox's
dedupe key per period then makes "due and not yet sent" send exactly once.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from workflow.report_definitions import LONDON

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekly_moment(now: datetime, day_of_week: str, hour: int) -> datetime:
    """This (ISO, London) week's scheduled moment, whether or not it has passed."""
    if day_of_week.lower() not in DAYS:
        raise ValueError(f"the digest day must be one of {', '.join(DAYS)}, not {day_of_week!r}")
    local = now.astimezone(LONDON).date()
    monday = local - timedelta(days=local.weekday())
    day = monday + timedelta(days=DAYS.index(day_of_week.lower()))
    return _at(day, hour)


def week_key(moment: datetime) -> str:
    year, week, _ = moment.astimezone(LONDON).isocalendar()
    return f"{year}-W{week:02d}"


def monthly_moment(now: datetime, day: int, hour: int) -> datetime:
    """This (London) month's scheduled moment, whether or not it has passed."""
    local = now.astimezone(LONDON).date()
    return _at(local.replace(day=day), hour)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LONDON)
