"""Events the deadline sweep writes (reminders, time-outs, escalations, cap alerts) record
the child's team and service area as they are when the sweep writes them, as a person's
action does (migration 0015_event_facts): the report groups by them as at any moment."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session

from tests.deadlines.conftest import CAP, DUE, SECOND, WED, raise_formal, run_sweep, utc
from tests.factories import Council
from workflow.domain import Challenge
from workflow.report_queries import EV
from workflow.runtime import Runtime
from workflow.tables import Child, Person, Team


def _facts(runtime: Runtime, challenge: Challenge) -> list[tuple[str, int | None, str | None]]:
    query = (sa.select(EV.c.kind, EV.c.team_id, EV.c.service_area)
             .where(EV.c.challenge_id == challenge.id).order_by(EV.c.seq))  # fmt: skip
    with runtime.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query)]


def _move_child_to_a_new_team(runtime: Runtime, council: Council, name: str) -> int:
    """The child's social worker moves to another team in another service area."""
    with Session(runtime.engine) as s:
        team = Team(name=name, service_area="Disabled Children")
        s.add(team)
        s.flush()
        child = s.get(Child, council.children["LL1001"])
        assert child is not None and child.social_worker_id is not None
        worker = s.get(Person, child.social_worker_id)
        assert worker is not None
        worker.team_id = team.id
        s.commit()
        assert team.id is not None
        return team.id


def test_reminders_timeouts_and_escalations_record_the_team_then(
    runtime: Runtime, council: Council
) -> None:
    c = raise_formal(runtime, council, WED)
    [(_, first_team, first_area)] = _facts(runtime, c)
    assert first_team is not None and first_area == "Children Looked After"
    moved = _move_child_to_a_new_team(runtime, council, "Disabled Children's Team")
    run_sweep(runtime, DUE - SECOND)  # the two reminders
    run_sweep(runtime, DUE + timedelta(seconds=12))  # the time-out escalates
    assert _facts(runtime, c) == [
        ("raise_formal", first_team, "Children Looked After"),
        ("remind", moved, "Disabled Children"),
        ("remind", moved, "Disabled Children"),
        ("time_out", moved, "Disabled Children"),
    ]


def test_an_ask_the_iro_timeout_and_a_cap_alert_record_the_team_then(
    notts: Runtime, council: Council
) -> None:
    c = raise_formal(notts, council, WED, stage="iro_alert")
    run_sweep(notts, utc(2026, 12, 17, 9, 0))  # reminders and the ask-the-IRO timeout
    moved = _move_child_to_a_new_team(notts, council, "Disabled Children's Team")
    run_sweep(notts, CAP + timedelta(minutes=2))
    facts = _facts(notts, c)
    assert [k for k, _, _ in facts] == ["raise_formal", "remind", "remind", "time_out", "alert_cap"]
    assert len({(t, a) for _, t, a in facts[:4]}) == 1  # the first team, before the move
    assert facts[0][1] != moved
    assert facts[-1] == ("alert_cap", moved, "Disabled Children")
