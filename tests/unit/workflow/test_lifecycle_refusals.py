"""What the machine refuses, what it offers, and that a refusal changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest

from escalation_rules.model import LegalStatus, Role
from tests.unit.workflow.support import (
    ACCEPT,
    REFERENCE,
    WED,
    ctx,
    lifecycle,
    new_challenge,
    raised_formal,
    raised_informal,
    respond_params,
)
from workflow.domain import Challenge
from workflow.errors import TransitionNotAllowed
from workflow.lifecycle import ActionContext, Lifecycle
from workflow.states import Action, State

A = Action
# The machine as the issue specifies it, written out independently of lifecycle.py.
LEGAL: dict[State, set[Action]] = {
    State.NEW: {A.RAISE_INFORMAL, A.RAISE_FORMAL},
    State.INFORMAL: {A.ESCALATE, A.ACCEPT, A.EXTEND, A.PAUSE, A.WITHDRAW, A.TIME_OUT,
                     A.REMIND, A.ALERT_CAP, A.REFER_CAFCASS, A.RECORD_GOOD_PRACTICE},
    State.AWAITING_RESPONSE: {A.ESCALATE, A.RESPOND, A.EXTEND, A.PAUSE, A.WITHDRAW, A.TIME_OUT,
                              A.REMIND, A.ALERT_CAP, A.REFER_CAFCASS, A.RECORD_GOOD_PRACTICE},
    State.RESPONSE_RECEIVED: {A.ESCALATE, A.ACCEPT, A.REJECT, A.WITHDRAW, A.ALERT_CAP,
                              A.REFER_CAFCASS, A.RECORD_GOOD_PRACTICE},
    State.AWAITING_IRO_DECISION: {A.ESCALATE, A.RESPOND, A.ACCEPT, A.EXTEND, A.WITHDRAW,
                                  A.ALERT_CAP, A.REFER_CAFCASS, A.RECORD_GOOD_PRACTICE},
    State.PAUSED: {A.RESUME, A.WITHDRAW, A.ALERT_CAP, A.REFER_CAFCASS, A.RECORD_GOOD_PRACTICE},
    State.RESOLVED: {A.CLOSE, A.REFER_CAFCASS, A.RECORD_GOOD_PRACTICE},
    State.WITHDRAWN: {A.CLOSE, A.RECORD_GOOD_PRACTICE},
    State.CLOSED: {A.RECORD_GOOD_PRACTICE},
}  # fmt: skip


def _new() -> tuple[Lifecycle, Challenge]:
    lc = lifecycle("handbook")
    return lc, new_challenge(lc.ladder)


def _then(
    start: Callable[[], tuple[Lifecycle, Challenge]], *steps: tuple[Action, Mapping[str, Any]]
) -> Callable[[], tuple[Lifecycle, Challenge]]:
    def build() -> tuple[Lifecycle, Challenge]:
        lc, c = start()
        for action, params in steps:
            at = c.due_at if action is A.TIME_OUT and c.due_at else WED
            lc.apply(c, action, ctx(at, params))
        return lc, c

    return build


def _formal() -> tuple[Lifecycle, Challenge]:
    return raised_formal("handbook")


def _informal() -> tuple[Lifecycle, Challenge]:
    return raised_informal("handbook")


BUILD: dict[State, Callable[[], tuple[Lifecycle, Challenge]]] = {
    State.NEW: _new,
    State.INFORMAL: _informal,
    State.AWAITING_RESPONSE: _formal,
    State.RESPONSE_RECEIVED: _then(_formal, (A.RESPOND, respond_params(WED))),
    State.AWAITING_IRO_DECISION: _then(
        lambda: raised_formal("handbook", "senior_manager"), (A.TIME_OUT, {})
    ),
    State.PAUSED: _then(_formal, (A.PAUSE, {"reason": "r"})),
    State.RESOLVED: _then(_informal, (A.ACCEPT, ACCEPT)),
    State.WITHDRAWN: _then(_formal, (A.WITHDRAW, {"reason": "r"})),
    State.CLOSED: _then(_formal, (A.WITHDRAW, {"reason": "r"}), (A.CLOSE, {})),
}
ILLEGAL = [(s, a) for s in State for a in Action if a not in LEGAL[s]]


def test_the_table_covers_every_state() -> None:
    assert set(BUILD) == set(State) == set(LEGAL)
    for state, build in BUILD.items():
        assert build()[1].state is state


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
def test_an_illegal_action_names_the_challenge_the_action_and_the_state(
    state: State, action: Action
) -> None:
    lc, c = BUILD[state]()
    before, events = c.tracked(), list(c.pending_events)
    at = WED + timedelta(days=40)  # late enough that no clock check could be the reason

    with pytest.raises(TransitionNotAllowed) as caught:
        lc.apply(c, action, ctx(at, {"reason": "r", "note": "n"}))

    error = caught.value
    assert (error.reference, error.action, error.state) == (REFERENCE, action, state)
    assert str(error) == (
        f"Challenge {REFERENCE}: '{action.value}' is not allowed while it is '{state.value}'"
    )
    assert c.tracked() == before
    assert c.pending_events == events


def test_an_unknown_action_is_refused_by_name() -> None:
    lc, c = _formal()
    with pytest.raises(
        TransitionNotAllowed,
        match="'fly' is not allowed while it is 'awaiting_response': unknown action",
    ):
        lc.apply(c, "fly", ctx(WED))  # type: ignore[arg-type]


ESC, RESP, ACC, REJ, EXT, PAU, RES, WD, CLO, CAF, GP = (
    A.ESCALATE, A.RESPOND, A.ACCEPT, A.REJECT, A.EXTEND, A.PAUSE, A.RESUME, A.WITHDRAW,
    A.CLOSE, A.REFER_CAFCASS, A.RECORD_GOOD_PRACTICE,
)  # fmt: skip


@pytest.mark.parametrize(
    ("build", "buttons"),
    [
        (_new, [A.RAISE_INFORMAL, A.RAISE_FORMAL]),
        (_informal, [ESC, ACC, EXT, PAU, WD, CAF, GP]),
        (_formal, [ESC, RESP, EXT, PAU, WD, CAF, GP]),
        (BUILD[State.RESPONSE_RECEIVED], [ESC, ACC, REJ, WD, CAF, GP]),
        (lambda: raised_formal("handbook", "senior_manager"), [RESP, EXT, PAU, WD, CAF, GP]),
        (_then(lambda: raised_formal("handbook", "senior_manager"), (RESP, respond_params(WED))),
         [ACC, WD, CAF, GP]),
        (BUILD[State.AWAITING_IRO_DECISION], [RESP, ACC, EXT, WD, CAF, GP]),
        (_then(lambda: raised_formal("nottinghamshire"), (A.TIME_OUT, {})),
         [ESC, RESP, ACC, EXT, WD, CAF, GP]),
        (_then(_informal, (A.TIME_OUT, {})), [ESC, ACC, EXT, WD, CAF, GP]),
        (BUILD[State.PAUSED], [RES, WD, CAF, GP]),
        (BUILD[State.RESOLVED], [CLO, CAF, GP]),
        (BUILD[State.WITHDRAWN], [CLO, GP]),
        (BUILD[State.CLOSED], [GP]),
    ],
    ids=[
        "new", "informal", "awaiting", "answered", "awaiting-top", "answered-top",
        "asking-top", "asking", "asking-informal", "paused", "resolved", "withdrawn", "closed",
    ],
)  # fmt: skip
def test_allowed_actions_are_exactly_the_buttons(
    build: Callable[[], tuple[Lifecycle, Challenge]], buttons: list[Action]
) -> None:
    lc, c = build()
    assert lc.allowed_actions(c, LegalStatus.LOOKED_AFTER) == buttons
    assert not {A.TIME_OUT, A.REMIND, A.ALERT_CAP} & set(lc.allowed_actions(c))


@pytest.mark.parametrize("state", [s for s in State if s is not State.NEW])
def test_every_offered_button_is_one_the_machine_takes(state: State) -> None:
    lc, c = BUILD[state]()
    assert set(lc.allowed_actions(c)) <= LEGAL[state]


def _boom(_role: Role) -> int:
    raise LookupError("the people records are unreachable")


def test_a_failure_after_fields_were_set_leaves_the_challenge_as_it_was() -> None:
    # A naive clock reading fails inside the deadline arithmetic, after the stage and
    # responder were already set on the object: apply must put them back.
    lc, c = _formal()
    before = c.tracked()
    naive = datetime(2026, 12, 3, 10, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        lc.apply(c, A.ESCALATE, ActionContext(naive, 1, {}, find_responder=lambda r: 99))
    assert c.tracked() == before
    assert len(c.pending_events) == 1


@pytest.mark.parametrize(
    ("build", "action"),
    [(_formal, A.ESCALATE), (_informal, A.ESCALATE), (_new, A.RAISE_FORMAL),
     (BUILD[State.RESPONSE_RECEIVED], A.REJECT)],
)  # fmt: skip
def test_a_failed_responder_lookup_leaves_the_challenge_as_it_was(
    build: Callable[[], tuple[Lifecycle, Challenge]], action: Action
) -> None:
    lc, c = build()
    before, events = c.tracked(), list(c.pending_events)
    params = {"reason": "r", "informal_discussion": "held"}
    with pytest.raises(LookupError):
        lc.apply(c, action, ActionContext(WED, 1, params, find_responder=_boom))
    assert c.tracked() == before
    assert c.pending_events == events
