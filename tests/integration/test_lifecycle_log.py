"""The stored log and the ladder version, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, func, select

from api.wiring import build
from tests.factories import Council, new_challenge
from tests.unit.workflow.support import due_after, local_date
from workflow.domain import Challenge
from workflow.errors import NoResponder, RuleViolation
from workflow.replay import replay
from workflow.runtime import Runtime
from workflow.services import allowed_actions, raise_challenge, take_action
from workflow.settings import WorkflowSettings
from workflow.states import CLOCK_RUNNING_STATES, Action
from workflow.tables import ChallengeEvent, LadderVersion, Person


def _stored(runtime: Runtime, ref: str) -> tuple[Challenge, list[ChallengeEvent]]:
    with runtime.uow() as uow:
        c = uow.challenges.get(ref)
        return c, uow.challenges.events(c.id or 0)


def _ten_day_handbook(tmp_path: Path) -> Path:
    text = resources.files("escalation_rules").joinpath("ladders", "handbook.toml").read_text()
    assert text.count("working_days = 5\n") == 4
    path = tmp_path / "handbook-10.toml"
    path.write_text(
        text.replace("working_days = 5\n", "working_days = 10\n").replace(
            "overall_cap_working_days = 20", "overall_cap_working_days = 40"
        )
    )
    return path


def test_a_running_challenge_keeps_the_ladder_version_it_started_under(
    runtime: Runtime, council: Council, now: datetime, tmp_path: Path
) -> None:
    with runtime.uow() as uow:
        old = raise_challenge(uow, new_challenge(now), council.iro, now)
    assert old.due_at == due_after(now, 5)

    settings = WorkflowSettings(IRO_DISPUTES_LADDER=str(_ten_day_handbook(tmp_path)))
    changed = build(settings, engine=runtime.engine)
    assert changed.ladders.current.content_hash != old.ladder_hash
    later = now + timedelta(days=1, hours=3)  # Thursday 3 December, 13:00

    with changed.uow() as uow:
        take_action(uow, old.reference, "escalate", council.iro, {}, later)
        fresh = raise_challenge(uow, new_challenge(later, stage="team_manager"), council.iro, later)

    pinned, _ = _stored(changed, old.reference)
    assert (pinned.stage_key, pinned.ladder_hash) == ("team_manager", old.ladder_hash)
    assert pinned.due_at == due_after(later, 5)  # the old version, read back from the table
    assert pinned.cap_due_at == old.cap_due_at == due_after(now, 20)
    assert fresh.stage_key == "team_manager"
    assert fresh.due_at == due_after(later, 10)
    assert fresh.cap_due_at == due_after(later, 40)
    assert fresh.ladder_hash == changed.ladders.current.content_hash
    with Session(runtime.engine) as s:
        hashes = set(s.exec(select(LadderVersion.content_hash)).all())
    assert hashes == {old.ladder_hash, fresh.ladder_hash}

    # A process that never saw the old ladder in memory still acts under it.
    again = build(settings, engine=runtime.engine)
    later2 = later + timedelta(days=1)
    with again.uow() as uow:
        take_action(uow, old.reference, "escalate", council.iro, {}, later2)
    assert _stored(again, old.reference)[0].due_at == due_after(later2, 5)


# -- random journeys: the log replays to the row -------------------------------------

_GOOD: dict[Action, dict[str, Any]] = {
    Action.ACCEPT: {"outcome": "Booked", "impact": "Monitored"},
    Action.REJECT: {"reason": "Not enough"},
    Action.EXTEND: {"working_days": 3, "reason": "Asked for"},
    Action.PAUSE: {"reason": "Child in hospital"},
    Action.WITHDRAW: {"reason": "Resolved another way"},
    Action.RECORD_GOOD_PRACTICE: {"note": "Quick reply"},
}


def _params(action: Action, at: datetime, rng: random.Random) -> dict[str, Any]:
    today = local_date(at)
    if action is Action.RESPOND:
        target = today + timedelta(days=rng.randint(0, 10))
        return {"response": "Done", "actions": "Booked", "target_date": target.isoformat()}
    if action is Action.REFER_CAFCASS:
        return {"ground": "case_not_reviewed", "referred_on": today.isoformat()}
    if action is Action.ESCALATE:
        return {}
    return dict(_GOOD.get(action, {}))


def _step(runtime: Runtime, council: Council, ref: str, at: datetime, rng: random.Random) -> None:
    with runtime.uow() as uow:
        c = uow.challenges.get(ref)
        offered = allowed_actions(uow, c)
    if c.state in CLOCK_RUNNING_STATES and c.due_at is not None and c.due_at <= at:
        offered.append(Action.TIME_OUT)
    if not offered:
        return
    action = rng.choice(offered)
    actor = {Action.TIME_OUT: None, Action.RESPOND: c.responder_id}.get(action, council.iro)
    with runtime.uow() as uow:
        take_action(uow, ref, action, actor, _params(action, at, rng), at, c.version)


@pytest.mark.parametrize("seed", [1, 2])
def test_after_random_journeys_the_log_replays_to_every_stored_row(
    runtime: Runtime, council: Council, now: datetime, seed: int
) -> None:
    rng = random.Random(seed)
    refs = []
    for _ in range(4):
        with runtime.uow() as uow:
            new = new_challenge(now, formal=rng.random() < 0.5)
            refs.append(raise_challenge(uow, new, council.iro, now).reference)
    at = now
    for _ in range(40):
        at += timedelta(hours=rng.choice([1, 5, 20, 70]))
        _step(runtime, council, rng.choice(refs), at, rng)

    kinds = set()
    for ref in refs:
        c, events = _stored(runtime, ref)
        assert replay(e.changes for e in events) == c.tracked(), ref
        assert [e.seq for e in events] == list(range(1, c.version + 1))
        assert events[-1].to_state == c.state.value
        kinds |= {e.kind for e in events}
    assert len(kinds) >= 5  # the journeys went somewhere


# -- a refusal writes nothing ---------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "params", "error"),
    [
        (
            "respond",
            {"response": "Done", "actions": "A", "target_date": "2026-12-01"},
            RuleViolation,
        ),
        ("extend", {"working_days": 0, "reason": "r"}, RuleViolation),
        ("escalate", {"stage": "social_worker"}, RuleViolation),
        ("refer_cafcass", {"ground": "drift", "referred_on": "2026-12-02"}, RuleViolation),
        ("escalate", {"stage": "head_of_service"}, NoResponder),
    ],
)
def test_a_refused_action_leaves_no_event_and_the_same_version(
    runtime: Runtime, council: Council, now: datetime, action: str, params: dict[str, Any],
    error: type[Exception],
) -> None:  # fmt: skip
    with runtime.uow() as uow:
        ref = raise_challenge(
            uow, new_challenge(now, stage="team_manager"), council.iro, now
        ).reference
    if error is NoResponder:
        with Session(runtime.engine) as s:
            hos = s.get(Person, council.head_of_service)
            director = s.get(Person, council.senior_manager)  # the handbook's fallback
            assert hos is not None and director is not None
            hos.active, director.active = False, False
            s.commit()
    before, events_before = _stored(runtime, ref)
    actor = council.team_manager if action == "respond" else council.iro

    with pytest.raises(error):
        _act_once(runtime, ref, action, actor, params, now + timedelta(hours=1))

    after, events_after = _stored(runtime, ref)
    assert after.version == before.version == 1
    assert after.tracked() == before.tracked()
    assert [e.id for e in events_after] == [e.id for e in events_before]
    with Session(runtime.engine) as s:
        assert s.exec(select(func.count()).select_from(ChallengeEvent)).one() == 1


def _act_once(runtime: Runtime, ref: str, action: str, actor: int, params: dict[str, Any],
              at: datetime) -> None:  # fmt: skip
    with runtime.uow() as uow:
        take_action(uow, ref, action, actor, params, at)
