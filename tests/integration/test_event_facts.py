"""Facts recorded on each event: the child's team and service area then, and working-day
numbers; written by every action, backfilled by migration 0015, outside the digest of links sealed before 0017."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.factories import Council, new_challenge
from workflow import audit_chain
from workflow.event_facts import WorkingDayNumbers, renumber_working_days
from workflow.migrate import alembic_config
from workflow.report_queries import EV
from workflow.runtime import Runtime
from workflow.services import raise_challenge, take_action
from workflow.states import Action
from workflow.tables import Child, Team


def _facts(engine: Engine) -> list[tuple[int, str, int | None, str | None, int, int]]:
    cols = (EV.c.seq, EV.c.kind, EV.c.team_id, EV.c.service_area, EV.c.working_day,
            EV.c.day_zero)  # fmt: skip
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(*cols).order_by(EV.c.id))]


def _lifecycle(runtime: Runtime, council: Council, now: datetime) -> str:
    with runtime.uow() as uow:
        ref = raise_challenge(uow, new_challenge(now, stage="social_worker"), council.iro, now)
    # The child's social worker leaves the team: later events record no team.
    with Session(runtime.engine) as s:
        child = s.get(Child, council.children["LL1001"])
        assert child is not None
        child.social_worker_id = None
        s.commit()
    later = now + timedelta(days=6, hours=8)  # Tue 8 Dec 18:00: after the cut-off
    with runtime.uow() as uow:
        take_action(uow, ref.reference, Action.RECORD_GOOD_PRACTICE, council.iro,
                    {"note": "Quick answer"}, later)  # fmt: skip
    return ref.reference


def test_each_event_records_the_team_then_and_its_working_day_numbers(
    runtime: Runtime, council: Council, now: datetime
) -> None:
    _lifecycle(runtime, council, now)
    with Session(runtime.engine) as s:
        team = s.exec(select(Team).where(Team.name == "Children in Care Team 1")).one()
    numbers = WorkingDayNumbers(runtime.ladders.current)
    later = now + timedelta(days=6, hours=8)
    assert _facts(runtime.engine) == [
        (1, "raise_formal", team.id, "Children Looked After", numbers.working_day(now),
         numbers.day_zero(now)),
        (2, "record_good_practice", None, None, numbers.working_day(later), numbers.day_zero(later)),
    ]  # fmt: skip
    # Wed 2 Dec 10:00 before the cut-off: day zero is that day; 18:00 Tue 8 Dec is after it,
    # so a clock started then counts from Thu 10 Dec (Wed 9 Dec is day zero).
    assert numbers.day_zero(now) == numbers.working_day(now)
    assert numbers.working_day(later) - numbers.working_day(now) == 4
    assert numbers.day_zero(later) == numbers.working_day(later) + 1


def test_the_migration_backfills_from_the_records_and_keeps_the_audit_chain(
    runtime: Runtime, council: Council, now: datetime
) -> None:
    _lifecycle(runtime, council, now)
    written = _facts(runtime.engine)
    audit_chain.seal(runtime.engine, now, version=1)  # rows sealed before migration 0017
    engine = runtime.engine
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0014_retention_deletes")
    try:
        with engine.begin() as conn:  # the social worker is back in the team
            conn.execute(sa.text("UPDATE child SET social_worker_id = :sw WHERE id = :id"),
                         {"sw": council.social_worker, "id": council.children["LL1001"]})  # fmt: skip
    finally:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "heads")
    backfilled = _facts(engine)
    # Best effort for history: both events get the team the records hold now.
    assert [r[2:4] for r in backfilled] == [written[0][2:4]] * 2
    assert [r[4:] for r in backfilled] == [r[4:] for r in written]  # the same numbers
    assert audit_chain.verify(engine).ok
    # Filling the facts did not open the log to updates: the triggers are back.
    with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
        conn.execute(sa.text("UPDATE challenge_event SET kind = 'x'"))


def test_renumbering_after_a_calendar_change_of_past_dates(
    runtime: Runtime, council: Council, now: datetime
) -> None:
    """A closure day added afterwards (Mon 7 Dec) moves the later event's numbers by one."""
    _lifecycle(runtime, council, now)
    before = _facts(runtime.engine)
    ladder = runtime.ladders.current
    closed = replace(ladder, closure_days=ladder.closure_days | {(now + timedelta(days=5)).date()})
    with runtime.engine.begin() as conn:
        assert renumber_working_days(conn, closed) == 1
    after = _facts(runtime.engine)
    assert after[0] == before[0]
    assert after[1][4:] == (before[1][4] - 1, before[1][5] - 1)
    with pytest.raises(sa.exc.DBAPIError), runtime.engine.begin() as conn:
        conn.execute(sa.text("UPDATE challenge_event SET kind = 'x'"))
