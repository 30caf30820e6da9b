"""The lifecycle through the use cases, on SQLite and PostgreSQL: journeys, who may act,
who responds, and the references."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, func, select

from tests.factories import Council, informal, new_challenge
from workflow.errors import NoResponder, NotPermitted
from workflow.replay import replay
from workflow.runtime import Runtime
from workflow.services import allowed_actions, raise_challenge, take_action
from workflow.states import Action, State
from workflow.tables import ChallengeEvent, ChallengeRecord, Child, Person

ANSWER = {"response": "Booked", "actions": "Assessment on 9 December", "target_date": "2026-12-09"}


def _end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 17, 0, tzinfo=UTC)  # GMT in December


def _raise(runtime: Runtime, council: Council, at: datetime, **kw: Any) -> str:
    with runtime.uow() as uow:
        return raise_challenge(uow, new_challenge(at, **kw), council.iro, at).reference


def _act(runtime: Runtime, ref: str, action: str, actor: int | None, params: dict[str, Any],
         at: datetime) -> None:  # fmt: skip
    with runtime.uow() as uow:
        take_action(uow, ref, action, actor, params, at)


def _stored(runtime: Runtime, ref: str) -> tuple[Any, list[ChallengeEvent]]:
    with runtime.uow() as uow:
        c = uow.challenges.get(ref)
        return c, uow.challenges.events(c.id or 0)


def _update_person(runtime: Runtime, person_id: int, **values: Any) -> None:
    with Session(runtime.engine) as s:
        row = s.get(Person, person_id)
        assert row is not None
        for key, value in values.items():
            setattr(row, key, value)
        s.commit()


def test_a_full_journey_through_the_database(
    runtime: Runtime, council: Council, now: datetime
) -> None:
    start = replace(
        new_challenge(now, formal=False), informal=informal(date(2026, 12, 1), date(2026, 12, 4))
    )
    with runtime.uow() as uow:
        ref = raise_challenge(uow, start, council.iro, now).reference
    c, _ = _stored(runtime, ref)
    assert (c.state, c.due_at, c.informal_recorded) == (
        State.INFORMAL,
        _end_of(date(2026, 12, 4)),
        True,
    )

    t1 = now + timedelta(days=6)  # Tuesday 8 December
    _act(
        runtime,
        ref,
        "escalate",
        council.iro,
        {"stage": "social_worker", "reason": "Not booked"},
        t1,
    )
    c, _ = _stored(runtime, ref)
    assert (c.state, c.stage_key, c.responder_id) == (
        State.AWAITING_RESPONSE,
        "social_worker",
        council.social_worker,
    )
    assert c.due_at == _end_of(date(2026, 12, 15))
    assert c.formal_started_at == t1

    _act(runtime, ref, "respond", council.social_worker, ANSWER, t1 + timedelta(hours=2))
    _act(runtime, ref, "reject", council.iro, {"reason": "No date given"}, t1 + timedelta(hours=3))
    c, _ = _stored(runtime, ref)
    assert (c.state, c.stage_key, c.responder_id) == (
        State.AWAITING_RESPONSE,
        "team_manager",
        council.team_manager,
    )

    t2 = t1 + timedelta(days=1)
    _act(runtime, ref, "respond", council.team_manager, ANSWER, t2)
    _act(runtime, ref, "accept", council.iro, {"outcome": "Booked", "impact": "Monitored"}, t2)
    _act(runtime, ref, "close", council.iro, {}, t2 + timedelta(hours=1))

    c, events = _stored(runtime, ref)
    assert c.state is State.CLOSED
    assert (c.highest_stage_key, c.outcome, c.resolved_at) == ("team_manager", "Booked", t2)
    assert [e.kind for e in events] == [
        "raise_informal", "escalate", "respond", "reject", "respond", "accept", "close",
    ]  # fmt: skip
    assert [e.seq for e in events] == list(range(1, 8)) and c.version == 7
    assert [e.actor_id for e in events][2:5] == [
        council.social_worker,
        council.iro,
        council.team_manager,
    ]
    assert events[4].details["responder_id"] == council.team_manager
    assert replay(e.changes for e in events) == c.tracked()
    with runtime.uow() as uow:
        assert allowed_actions(uow, c) == [Action.RECORD_GOOD_PRACTICE]


@pytest.mark.parametrize(
    ("stage", "role"),
    [("social_worker", "social_worker"), ("team_manager", "team_manager"),
     ("head_of_service", "head_of_service"), ("senior_manager", "senior_manager")],
)  # fmt: skip
def test_the_responder_is_found_up_the_line(
    runtime: Runtime, council: Council, now: datetime, stage: str, role: str
) -> None:
    ref = _raise(runtime, council, now, stage=stage)
    c, events = _stored(runtime, ref)
    assert c.responder_id == getattr(council, role)
    assert events[0].details["responder_id"] == getattr(council, role)


def test_the_deputy_answers_only_while_the_team_manager_is_away(
    runtime: Runtime, council: Council, now: datetime
) -> None:
    before_absence = [_raise(runtime, council, now, stage="team_manager") for _ in range(3)]
    _update_person(runtime, council.team_manager, absent=True)

    # Raised during the absence: still the team manager's stage; their deputy acts.
    during = _raise(runtime, council, now, stage="team_manager")
    assert _stored(runtime, during)[0].responder_id == council.team_manager

    first, second, third = before_absence
    assert _stored(runtime, first)[0].responder_id == council.team_manager
    _act(runtime, first, "respond", council.deputy_team_manager, ANSWER, now)
    _act(runtime, during, "respond", council.deputy_team_manager, ANSWER, now)
    for ref in (first, during):
        c, events = _stored(runtime, ref)
        assert c.state is State.RESPONSE_RECEIVED
        assert events[-1].actor_id == council.deputy_team_manager

    # Back again: the team manager answers their own stage, the deputy no longer may.
    _update_person(runtime, council.team_manager, absent=False)
    with pytest.raises(NotPermitted):
        _act(runtime, second, "respond", council.deputy_team_manager, ANSWER, now)
    _act(runtime, third, "respond", council.team_manager, ANSWER, now)
    assert _stored(runtime, third)[1][-1].actor_id == council.team_manager
    assert _stored(runtime, second)[0].state is State.AWAITING_RESPONSE


def test_the_fallback_answers_when_the_whole_deputy_chain_is_away(
    runtime: Runtime, council: Council, now: datetime
) -> None:
    _update_person(runtime, council.team_manager, absent=True)
    _update_person(runtime, council.deputy_team_manager, absent=True)
    # The handbook's fallback for the team manager stage: the Head of Service of the area.
    ref = _raise(runtime, council, now, stage="team_manager")
    assert _stored(runtime, ref)[0].responder_id == council.head_of_service
    _update_person(runtime, council.head_of_service, active=False)
    with pytest.raises(NoResponder, match=r"^Nobody can answer at Team manager: no team manager"):
        _raise(runtime, council, now, stage="team_manager")


@pytest.mark.parametrize("outsider", ["head_of_service", "social_worker", "iro", "other_iro"])
def test_only_the_responder_or_their_deputy_may_respond(
    runtime: Runtime, council: Council, now: datetime, outsider: str
) -> None:
    ref = _raise(runtime, council, now, stage="team_manager")
    person = getattr(council, outsider)
    with Session(runtime.engine) as s:
        name = s.get(Person, person).name  # type: ignore[union-attr]
    with pytest.raises(NotPermitted, match=f"^{name} may not respond challenge {ref}$"):
        _act(runtime, ref, "respond", person, ANSWER, now)
    c, events = _stored(runtime, ref)
    assert (c.state, c.version, len(events)) == (State.AWAITING_RESPONSE, 1, 1)


def test_only_the_iro_of_the_challenge_or_child_may_escalate(
    runtime: Runtime, council: Council, now: datetime
) -> None:
    ref = _raise(runtime, council, now)
    for outsider in (council.other_iro, council.team_manager, council.social_worker):
        with pytest.raises(NotPermitted, match="may not escalate"):
            _act(runtime, ref, "escalate", outsider, {}, now)
    with pytest.raises(NotPermitted, match=r"^The system may not escalate"):
        _act(runtime, ref, "escalate", None, {}, now)
    assert _stored(runtime, ref)[0].version == 1

    _act(runtime, ref, "escalate", council.iro, {}, now)  # raised it and is the child's IRO
    with Session(runtime.engine) as s:
        child = s.get(Child, council.children["LL1001"])
        assert child is not None
        child.iro_id = council.other_iro  # the case moves to another IRO
        s.commit()
    _act(runtime, ref, "escalate", council.other_iro, {}, now)  # now the child's IRO
    _act(runtime, ref, "escalate", council.iro, {}, now)  # still the one who raised it
    c, events = _stored(runtime, ref)
    assert c.stage_key == "senior_manager"
    assert [e.actor_id for e in events[1:]] == [council.iro, council.other_iro, council.iro]


def test_people_may_not_time_out_and_the_system_may(
    runtime: Runtime, council: Council, now: datetime
) -> None:
    ref = _raise(runtime, council, now)
    due = _stored(runtime, ref)[0].due_at
    with pytest.raises(NotPermitted, match="may not time out"):
        _act(runtime, ref, "time_out", council.iro, {}, due)
    _act(runtime, ref, "time_out", None, {}, due)
    assert _stored(runtime, ref)[0].stage_key == "team_manager"


def test_no_responder_when_nobody_in_the_line_holds_the_role(
    runtime: Runtime, council: Council, now: datetime
) -> None:
    _update_person(runtime, council.head_of_service, active=False)
    _update_person(runtime, council.senior_manager, absent=True)  # nor the handbook's fallback
    with pytest.raises(NoResponder) as caught:
        _raise(runtime, council, now, stage="head_of_service")
    assert caught.value.role == "head_of_service"
    with Session(runtime.engine) as s:
        assert s.exec(select(func.count()).select_from(ChallengeRecord)).one() == 0

    ref = _raise(runtime, council, now, stage="team_manager")
    assert ref == "IRO-2026-0001"  # the failed raise used no number
    with pytest.raises(
        NoResponder, match=rf"^Nobody can answer at Head of Service on challenge {ref}: no head"
    ):
        _act(runtime, ref, "escalate", council.iro, {"stage": "head_of_service"}, now)
    c, events = _stored(runtime, ref)
    assert (c.stage_key, c.version, len(events)) == ("team_manager", 1, 1)
    _update_person(runtime, council.senior_manager, absent=False)
    _act(runtime, ref, "escalate", council.iro, {"stage": "senior_manager"}, now)  # bypass works
    assert _stored(runtime, ref)[0].responder_id == council.senior_manager


def test_references_are_sequential_within_a_london_year(
    runtime: Runtime, council: Council, now: datetime
) -> None:
    refs = [_raise(runtime, council, now + timedelta(minutes=i)) for i in range(3)]
    assert refs == ["IRO-2026-0001", "IRO-2026-0002", "IRO-2026-0003"]
    new_year = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    assert _raise(runtime, council, new_year) == "IRO-2027-0001"
    assert _raise(runtime, council, now) == "IRO-2026-0004"
    assert _raise(runtime, council, new_year, child="LL1002") == "IRO-2027-0002"
