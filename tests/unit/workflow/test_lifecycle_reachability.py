"""Every state but NEW is reachable, on every bundled ladder, along explicit paths."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.unit.workflow.support import (
    ACCEPT,
    LADDER_IDS,
    WED,
    ctx,
    informal_params,
    lifecycle,
    new_challenge,
    respond_params,
)
from workflow.states import Action, State

A = Action
INFORMAL_START = (A.RAISE_INFORMAL, informal_params(WED))
FORMAL_START = (A.RAISE_FORMAL, {"informal_discussion": "Held on Monday"})
PATHS: dict[str, list[tuple[Action, dict[str, Any]]]] = {
    "informal, paused, resumed, timed out, extended, accepted, closed": [
        INFORMAL_START, (A.PAUSE, {"reason": "r"}), (A.RESUME, {}), (A.TIME_OUT, {}),
        (A.EXTEND, {"working_days": 2, "reason": "r"}), (A.ACCEPT, ACCEPT), (A.CLOSE, {}),
    ],
    "formal, answered, rejected, answered, accepted, closed": [
        FORMAL_START, (A.RESPOND, {}), (A.REJECT, {"reason": "r"}), (A.RESPOND, {}),
        (A.ACCEPT, ACCEPT), (A.CLOSE, {}),
    ],
    "formal to the top, timed out, late answer, withdrawn, closed": [
        FORMAL_START, (A.ESCALATE, {"stage": "<top>"}), (A.TIME_OUT, {}), (A.RESPOND, {}),
        (A.WITHDRAW, {"reason": "r"}), (A.CLOSE, {}),
    ],
}  # fmt: skip


def _walk(ladder_id: str, path: list[tuple[Action, dict[str, Any]]]) -> list[State]:
    lc = lifecycle(ladder_id)
    c = new_challenge(lc.ladder)
    at, reached = WED, []
    for action, params in path:
        if action is A.TIME_OUT:
            assert c.due_at is not None
            at = max(at, c.due_at)
        if action is A.RESPOND:
            params = respond_params(at)
        if params.get("stage") == "<top>":
            params = {"stage": lc.ladder.stages[-1].key}
        lc.apply(c, action, ctx(at, params, actor=None if action is A.TIME_OUT else 1))
        reached.append(c.state)
        at += timedelta(hours=1)
    return reached


@pytest.mark.parametrize("ladder_id", LADDER_IDS)
def test_every_state_but_new_is_reachable(ladder_id: str) -> None:
    reached = {name: _walk(ladder_id, path) for name, path in PATHS.items()}
    assert reached["formal, answered, rejected, answered, accepted, closed"] == [
        State.AWAITING_RESPONSE, State.RESPONSE_RECEIVED, State.AWAITING_RESPONSE,
        State.RESPONSE_RECEIVED, State.RESOLVED, State.CLOSED,
    ]  # fmt: skip
    assert reached["formal to the top, timed out, late answer, withdrawn, closed"] == [
        State.AWAITING_RESPONSE, State.AWAITING_RESPONSE, State.AWAITING_IRO_DECISION,
        State.RESPONSE_RECEIVED, State.WITHDRAWN, State.CLOSED,
    ]  # fmt: skip
    assert reached["informal, paused, resumed, timed out, extended, accepted, closed"] == [
        State.INFORMAL, State.PAUSED, State.INFORMAL, State.AWAITING_IRO_DECISION,
        State.INFORMAL, State.RESOLVED, State.CLOSED,
    ]  # fmt: skip
    everywhere = {s for states in reached.values() for s in states}
    assert everywhere == set(State) - {State.NEW}
