"""Facts recorded on each challenge event when it is written, for the SMT report.

- The child's team and its service area, as they were then (the team of the child's
  allocated social worker, the report's "team"): a report as at a past moment groups by
  them, not by today's records.
- Working-day numbers from the council calendar (the ladder's `WorkingCalendar`:
  weekends, England and Wales bank holidays, the ladder's closure days), so working days
  between two events are a subtraction in SQL:
  - `working_day`: the number of the London date the event happened on: working days
    from `EPOCH` up to and including that date (a closed day has the number of the
    working day before it);
  - `day_zero`: the number of the day before working day 1 of a clock started at the
    event (the ladder's day-one setting and end-of-day cut-off applied).
  Working days from a clock started at event A to event B are then
  `max(0, B.working_day - A.day_zero)`, exactly `DeadlineRules.working_days_elapsed`.

The numbers are worked out with the calendar in force when the event is written. A
calendar change that only adds future closed days (a new bank holiday announced ahead)
leaves every stored number right. One that changes a past date (a closure day added
afterwards, a corrected bank holiday, a new ladder with another cut-off) leaves the
numbers of events written before it on the old count: `renumber_working_days` (the
command `iro-disputes report renumber-working-days`) works them out again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from escalation_rules.deadlines import DeadlineRules
from escalation_rules.model import Ladder
from workflow.access_tables import WorkingDayRenumbering
from workflow.rollup_tables import mark_all
from workflow.tables import ChallengeEvent, Child, Person, Team

EPOCH = date(2000, 1, 1)  # working day numbers count from here (the day itself is 0)

_CHILD: sa.Table = Child.__table__  # type: ignore[attr-defined]
_PERSON: sa.Table = Person.__table__  # type: ignore[attr-defined]
_TEAM: sa.Table = Team.__table__  # type: ignore[attr-defined]
_EVENT: sa.Table = ChallengeEvent.__table__  # type: ignore[attr-defined]
_RENUMBERED: sa.Table = WorkingDayRenumbering.__table__  # type: ignore[attr-defined]
_WORKER = _PERSON.alias("allocated_worker")


@dataclass(frozen=True)
class ChildTeam:
    """The team of the child's allocated social worker, and its service area, then."""

    team_id: int | None = None
    service_area: str | None = None


NO_TEAM = ChildTeam()


# The team's id and service area, as extra columns of a read of the child (`join_team`).
TEAM_COLUMNS = (_TEAM.c.id.label("_team_id"), _TEAM.c.service_area.label("_service_area"))


def join_team(source: Any, child: sa.Table = _CHILD) -> Any:
    """`source` (which holds the child's row) with its social worker's team joined."""
    return source.outerjoin(_WORKER, child.c.social_worker_id == _WORKER.c.id).outerjoin(
        _TEAM, _WORKER.c.team_id == _TEAM.c.id
    )


def team_of(row: Any) -> ChildTeam:
    """The team from a row read with `TEAM_COLUMNS`."""
    return ChildTeam(row._team_id, row._service_area or None)


def child_with_team() -> sa.Select[Any]:
    """The child's row with its team's id and service area: what an action already reads
    about the child, in the same query."""
    return sa.select(_CHILD, *TEAM_COLUMNS).select_from(join_team(_CHILD))


class WorkingDayNumbers:
    """`working_day` and `day_zero` for moments, each London date worked out once."""

    def __init__(self, ladder: Ladder) -> None:
        self.rules = DeadlineRules(ladder)
        self.number = lru_cache(maxsize=20_000)(self._number)
        self._zero_of_minute = lru_cache(maxsize=100_000)(self._zero)

    def _number(self, day: date) -> int:
        between = self.rules.calendar.working_days_between
        return between(EPOCH, day) if day >= EPOCH else -between(day, EPOCH)

    def working_day(self, moment: datetime) -> int:
        return self.number(self.rules.local_date(moment))

    def day_zero(self, moment: datetime) -> int:
        return self._zero_of_minute(moment.astimezone(UTC).replace(second=0, microsecond=0))

    def _zero(self, minute: datetime) -> int:
        # The cut-off and day one work on whole minutes: a minute's seconds change nothing.
        return self.number(self.rules.first_day(minute) - timedelta(days=1))

    def of(self, moment: datetime) -> dict[str, int]:
        return {"working_day": self.working_day(moment), "day_zero": self.day_zero(moment)}


def renumber_working_days(
    conn: Connection,
    ladder: Ladder,
    batch: int = 5000,
    now: datetime | None = None,
    keep_before: bool = True,
    mark_rollup: bool = True,
) -> int:
    """Work out every event's working-day numbers again with `ladder`'s calendar (after a
    change to past dates of the calendar). The log is append-only: its trigger is set
    aside for this transaction only, so run it as the tables' owner (the migration role).
    Each change is recorded with the numbers before (`working_day_renumbering`): the audit
    chain sealed them (`keep_before=False` only for migration 0015's first numbering, before
    that table was). The report's rollup of closed days is marked to be counted again
    (`mark_rollup=False` only for migration 0015, which runs before that table exists).
    Returns how many events changed."""
    numbers = WorkingDayNumbers(ladder)
    at_time = now or datetime.now(UTC)
    update = (sa.update(_EVENT).where(_EVENT.c.id == sa.bindparam("_id"))
              .values(working_day=sa.bindparam("wd"), day_zero=sa.bindparam("dz")))  # fmt: skip
    changed = 0
    with log_writable(conn):
        for rows in _pages(conn, batch):
            params, records = [], []
            for event_id, at, old_day, old_zero in rows:
                day, zero = numbers.working_day(at), numbers.day_zero(at)
                if (day, zero) != (old_day, old_zero):
                    params.append({"_id": event_id, "wd": day, "dz": zero})
                    records.append({"event_id": event_id, "working_day_before": old_day,
                                    "day_zero_before": old_zero, "working_day_after": day,
                                    "day_zero_after": zero, "renumbered_at": at_time})  # fmt: skip
            if params:
                conn.execute(update, params)
                if keep_before:
                    conn.execute(_RENUMBERED.insert(), records)
                changed += len(params)
    if changed and mark_rollup:  # the rollup of closed days holds the old numbers
        mark_all(conn)
    return changed


def _pages(conn: Connection, batch: int) -> Iterator[list[Any]]:
    last = 0
    cols = (_EVENT.c.id, _EVENT.c.occurred_at, _EVENT.c.working_day, _EVENT.c.day_zero)
    while True:
        rows = list(conn.execute(sa.select(*cols).where(_EVENT.c.id > last)
                                 .order_by(_EVENT.c.id).limit(batch)))  # fmt: skip
        if not rows:
            return
        last = rows[-1][0]
        yield rows


class log_writable:  # noqa: N801 - a context manager, named like one
    """The append-only triggers of `challenge_event` set aside inside this transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"

    def __enter__(self) -> None:
        if self.sqlite:
            self.conn.exec_driver_sql("DROP TRIGGER IF EXISTS challenge_event_no_update")
        else:
            self.conn.exec_driver_sql(
                "ALTER TABLE challenge_event DISABLE TRIGGER challenge_event_append_only"
            )

    def __exit__(self, *exc: object) -> None:
        if self.sqlite:
            self.conn.exec_driver_sql(
                "CREATE TRIGGER challenge_event_no_update BEFORE UPDATE ON challenge_event "
                "BEGIN SELECT RAISE(ABORT, 'challenge_event is append-only: UPDATE refused'); "
                "END"
            )
        else:
            self.conn.exec_driver_sql(
                "ALTER TABLE challenge_event ENABLE TRIGGER challenge_event_append_only"
            )
