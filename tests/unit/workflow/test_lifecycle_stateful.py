"""Random journeys through the lifecycle on plain objects, with a clock that only moves on.

Illegal and ill-formed actions are mixed in on purpose: each must be refused with
TransitionNotAllowed or RuleViolation and leave the challenge exactly as it was.

The deadline rule checked after every successful action, precisely:
  * `due_at` changes to another moment only when the stage changes, when the challenge
    is first raised, or by extend or resume (time_out moves it only by changing stage);
  * extend and resume never move it earlier;
  * it is cleared only by accept and withdraw.
`cap_due_at`, once set, never moves earlier and is never cleared.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from escalation_rules.model import LegalStatus
from tests.unit.workflow.support import (
    IRO_ID,
    LADDER_IDS,
    LONDON,
    ctx,
    lifecycle,
    local_date,
    new_challenge,
    nth_working_day_after,
)
from tests.unit.workflow.test_lifecycle_refusals import LEGAL
from workflow.domain import Challenge
from workflow.errors import RuleViolation, TransitionNotAllowed
from workflow.lifecycle import Lifecycle
from workflow.replay import encode, replay
from workflow.states import CLOCK_RUNNING_STATES, Action, CafcassGround, State

S, A = State, Action
OPEN = [S.INFORMAL, S.AWAITING_RESPONSE, S.RESPONSE_RECEIVED, S.AWAITING_IRO_DECISION, S.PAUSED]
# Every (from, action, to) the issue declares; anything else reached is a bug.
DECLARED: set[tuple[State, Action, State]] = {
    (S.NEW, A.RAISE_INFORMAL, S.INFORMAL),
    (S.NEW, A.RAISE_FORMAL, S.AWAITING_RESPONSE),
    *((s, A.ESCALATE, S.AWAITING_RESPONSE) for s in OPEN if s is not S.PAUSED),
    (S.AWAITING_RESPONSE, A.RESPOND, S.RESPONSE_RECEIVED),
    (S.AWAITING_IRO_DECISION, A.RESPOND, S.RESPONSE_RECEIVED),
    *(
        (s, A.ACCEPT, S.RESOLVED)
        for s in (S.INFORMAL, S.RESPONSE_RECEIVED, S.AWAITING_IRO_DECISION)
    ),
    (S.RESPONSE_RECEIVED, A.REJECT, S.AWAITING_RESPONSE),
    (S.INFORMAL, A.EXTEND, S.INFORMAL),
    (S.AWAITING_RESPONSE, A.EXTEND, S.AWAITING_RESPONSE),
    (S.AWAITING_IRO_DECISION, A.EXTEND, S.AWAITING_RESPONSE),
    (S.AWAITING_IRO_DECISION, A.EXTEND, S.INFORMAL),
    (S.INFORMAL, A.PAUSE, S.PAUSED),
    (S.AWAITING_RESPONSE, A.PAUSE, S.PAUSED),
    (S.PAUSED, A.RESUME, S.INFORMAL),
    (S.PAUSED, A.RESUME, S.AWAITING_RESPONSE),
    *((s, A.WITHDRAW, S.WITHDRAWN) for s in OPEN),
    (S.RESOLVED, A.CLOSE, S.CLOSED),
    (S.WITHDRAWN, A.CLOSE, S.CLOSED),
    (S.INFORMAL, A.TIME_OUT, S.AWAITING_IRO_DECISION),
    (S.AWAITING_RESPONSE, A.TIME_OUT, S.AWAITING_RESPONSE),
    (S.AWAITING_RESPONSE, A.TIME_OUT, S.AWAITING_IRO_DECISION),
    *((s, A.REMIND, s) for s in (S.INFORMAL, S.AWAITING_RESPONSE)),
    *((s, A.ALERT_CAP, s) for s in OPEN),
    *((s, A.REFER_CAFCASS, s) for s in (*OPEN, S.RESOLVED)),
    *((s, A.RECORD_GOOD_PRACTICE, s) for s in State if s is not S.NEW),
}
MOVES_DEADLINE = frozenset({A.EXTEND, A.RESUME})
SYSTEM = frozenset({A.TIME_OUT, A.REMIND, A.ALERT_CAP})
RECORDING = frozenset({A.REMIND, A.ALERT_CAP, A.REFER_CAFCASS, A.RECORD_GOOD_PRACTICE})
CLEARS_DEADLINE = frozenset({A.ACCEPT, A.WITHDRAW})

TEXT = st.sampled_from(["Agreed with Sam", "Health assessment booked", "", "   "])
START = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 1), timezones=st.just(UTC)
)


class LifecycleJourney(RuleBasedStateMachine):
    lc: Lifecycle
    c: Challenge
    now: datetime

    @initialize(ladder_id=st.sampled_from(LADDER_IDS), start=START)
    def start(self, ladder_id: str, start: datetime) -> None:
        self.lc = lifecycle(ladder_id)
        self.now = start
        self.c = new_challenge(self.lc.ladder, start)
        self.reached: list[State] = [S.NEW]

    # -- the clock: hours, calendar days (weekends and holidays too), working days --

    @rule(
        kind=st.sampled_from(["hours", "days", "working_days", "until_due", "until_due"]),
        amount=st.integers(0, 12),
        minutes=st.integers(0, 600),
    )
    def wait(self, kind: str, amount: int, minutes: int) -> None:
        local = self.now.astimezone(LONDON)
        if kind == "hours":
            self.now += timedelta(hours=amount * 2, minutes=minutes)
        elif kind == "days":  # lands on any day, working or not, at any hour
            day = local.date() + timedelta(days=amount + 1)
            hour = minutes % 24
            self.now = datetime(day.year, day.month, day.day, hour, tzinfo=LONDON).astimezone(UTC)
        elif kind == "working_days":
            day = nth_working_day_after(local.date(), amount + 1)
            self.now = datetime.combine(day, local.timetz()).astimezone(UTC)
        elif self.c.due_at is not None and self.c.due_at > self.now:
            self.now = self.c.due_at + timedelta(minutes=minutes % 60)

    @precondition(
        lambda self: (
            self.c.state in CLOCK_RUNNING_STATES
            and self.c.due_at is not None
            and self.c.due_at <= self.now
        )
    )
    @rule()
    def sweep(self) -> None:
        """What the deadline sweep does when a running clock has passed its due moment."""
        self._act(A.TIME_OUT, {}, LegalStatus.LOOKED_AFTER)

    # -- the actions -------------------------------------------------------------

    @rule(data=st.data())
    def act(self, data: st.DataObject) -> None:
        """Mostly what the state allows with well-formed input; sometimes anything at all."""
        mode = data.draw(st.integers(0, 9), label="mode")
        if mode < 2:  # any action at all, legal or not, with any input
            action = data.draw(st.sampled_from(list(Action)), label="action")
        else:
            legal = sorted(LEGAL[self.c.state])
            if data.draw(st.booleans(), label="keep going"):  # fewer journeys end at once
                legal = [a for a in legal if a not in (A.WITHDRAW, A.CLOSE)] or legal
            action = data.draw(st.sampled_from(legal), label="action")
        shape = self._good(action) if mode >= 4 else self._messy(action)
        params = data.draw(shape, label="params")
        status = data.draw(st.sampled_from([LegalStatus.LOOKED_AFTER] * 3 + list(LegalStatus)))
        self._act(action, params, status)

    def _act(self, action: Action, params: dict[str, Any], status: LegalStatus) -> None:
        c = self.c
        before, state, n = c.tracked(), c.state, len(c.pending_events)
        actor = None if action in SYSTEM else IRO_ID
        try:
            event = self.lc.apply(c, action, ctx(self.now, params, actor=actor, status=status))
        except TransitionNotAllowed:
            informal_respond = action is A.RESPOND and c.stage_key is None
            assert action not in LEGAL[state] or informal_respond, (state, action)
            self._unchanged(before, n)
            return
        except RuleViolation:
            assert action in LEGAL[state], (state, action)
            self._unchanged(before, n)
            return
        after = c.tracked()
        assert (state, action, c.state) in DECLARED, (state, action, c.state)
        assert c.pending_events[-1] is event and len(c.pending_events) == n + 1
        assert event.changes == {k: v for k, v in after.items() if before[k] != v}
        self._check_transition(action, before, after)
        self.reached.append(c.state)
        TRANSITIONS_SEEN.add((state, action, c.state))

    def _unchanged(self, before: dict[str, Any], n: int) -> None:
        assert self.c.tracked() == before
        assert len(self.c.pending_events) == n

    def _check_transition(
        self, action: Action, before: dict[str, Any], after: dict[str, Any]
    ) -> None:
        keys = self.lc.ladder.stage_keys
        stage_changed = before["stage_key"] != after["stage_key"]
        if stage_changed:
            assert after["stage_key"] is not None
            if before["stage_key"] is not None:
                assert keys.index(after["stage_key"]) > keys.index(before["stage_key"])
        if action is A.TIME_OUT and after["state"] is S.AWAITING_RESPONSE:
            assert self.lc.ladder.next_stage(before["stage_key"]).key == after["stage_key"]  # type: ignore[union-attr]
        if action is A.RESUME:
            assert after["state"] is before["paused_from"]
        if action is A.EXTEND and before["state"] is S.AWAITING_IRO_DECISION:
            assert after["state"] is (
                S.INFORMAL if before["stage_key"] is None else S.AWAITING_RESPONSE
            )
        if action in RECORDING:
            assert after == before

        old_due, new_due = before["due_at"], after["due_at"]
        if new_due != old_due:
            if new_due is None:
                assert action in CLEARS_DEADLINE, action
            else:
                assert stage_changed or action in MOVES_DEADLINE or before["state"] is S.NEW, action
        if action in MOVES_DEADLINE and old_due is not None:
            assert new_due is not None and new_due >= old_due

        old_cap, new_cap = before["cap_due_at"], after["cap_due_at"]
        if old_cap is not None:
            assert new_cap is not None and new_cap >= old_cap

    # -- invariants ---------------------------------------------------------------

    @invariant()
    def state_is_a_state(self) -> None:
        assert isinstance(self.c.state, State)
        assert self.c.state is self.reached[-1]

    @invariant()
    def fields_agree_with_the_state(self) -> None:
        c = self.c
        assert (c.state is S.PAUSED) == (c.paused_at is not None) == (c.paused_from is not None)
        if c.state in CLOCK_RUNNING_STATES:
            assert c.due_at is not None
        if c.state in (S.AWAITING_RESPONSE, S.RESPONSE_RECEIVED):
            assert c.stage_key is not None and c.responder_id is not None
        if c.state is S.INFORMAL:
            assert c.stage_key is None
        formal = c.stage_key is not None
        assert formal == (c.formal_started_at is not None) == (c.cap_due_at is not None)
        if formal:
            keys = self.lc.ladder.stage_keys
            assert c.highest_stage_key is not None
            assert keys.index(c.highest_stage_key) >= keys.index(c.stage_key)
        if c.state is not S.NEW:
            assert c.pending_events[0].kind in ("raise_informal", "raise_formal")

    @invariant()
    def offered_buttons_are_legal(self) -> None:
        offered = set(self.lc.allowed_actions(self.c))
        assert offered <= LEGAL[self.c.state] - SYSTEM

    @invariant()
    def the_log_replays_to_the_object(self) -> None:
        stored = [json.loads(json.dumps(encode(e.changes))) for e in self.c.pending_events]
        assert replay(stored) == self.c.tracked()

    # -- parameters: mostly well-formed, sometimes not ------------------------------

    def _good(self, action: Action) -> st.SearchStrategy[dict[str, Any]]:
        today = local_date(self.now)
        keys = [None, *self.lc.ladder.stage_keys]

        def day(lo: int, hi: int) -> st.SearchStrategy[Any]:
            return st.integers(lo, hi).map(lambda d: today + timedelta(days=d))

        shapes: dict[Action, st.SearchStrategy[dict[str, Any]]] = {
            A.RAISE_INFORMAL: day(-10, 0).flatmap(lambda on: st.fixed_dictionaries({
                "discussed_with": st.just("Sam Worker"), "discussed_on": st.just(on),
                "agreed_actions": st.just("Book it"),
                "agreed_by": st.integers(0, 20).map(lambda d: on + timedelta(days=d)),
            })),
            A.RAISE_FORMAL: st.fixed_dictionaries({
                "stage": st.sampled_from([None, *(s.key for s in self.lc.ladder.starting_stages)]),
                "informal_discussion": st.just("Held on Monday"),
            }),
            A.ESCALATE: st.fixed_dictionaries({"stage": st.sampled_from(keys)}),
            A.REJECT: st.fixed_dictionaries({"stage": st.sampled_from(keys), "reason": st.just("No")}),
            A.RESPOND: st.fixed_dictionaries({
                "response": st.just("Done"), "actions": st.just("Booked"), "target_date": day(0, 20),
            }),
            A.ACCEPT: st.just({"outcome_kind": "plan_updated", "outcome": "Booked", "impact": "Monitored"}),
            A.EXTEND: st.fixed_dictionaries({"working_days": st.integers(1, 15), "reason": st.just("r")}),
            A.REFER_CAFCASS: st.fixed_dictionaries({
                "ground": st.sampled_from([g.value for g in CafcassGround]), "referred_on": day(-5, 0),
            }),
            A.RECORD_GOOD_PRACTICE: st.fixed_dictionaries({
                "note": st.just("Good"), "recognised_person_id": st.sampled_from([None, 11]),
            }),
        }  # fmt: skip
        return shapes.get(action, st.just({"reason": "Because", "note": "Noted"}))

    def _messy(self, action: Action) -> st.SearchStrategy[dict[str, Any]]:
        today = local_date(self.now)
        stages = st.sampled_from([None, *self.lc.ladder.stage_keys, "nowhere"])

        def day(lo: int, hi: int) -> st.SearchStrategy[Any]:
            return st.one_of(
                st.integers(lo, hi).map(lambda d: today + timedelta(days=d)),
                st.sampled_from([None, "", "2026-02-30"]),
            )

        shapes: dict[Action, st.SearchStrategy[dict[str, Any]]] = {
            A.RAISE_INFORMAL: st.fixed_dictionaries({
                "discussed_with": TEXT, "discussed_on": day(-10, 2), "agreed_actions": TEXT,
                "agreed_by": day(-3, 20),
            }),
            A.RAISE_FORMAL: st.fixed_dictionaries({
                "stage": stages, "informal_discussion": st.sampled_from([None, "", "Held 1 Dec"]),
            }),
            A.ESCALATE: st.fixed_dictionaries({"stage": stages, "reason": TEXT}),
            A.RESPOND: st.fixed_dictionaries({
                "response": TEXT, "actions": TEXT, "target_date": day(-3, 20),
            }),
            A.ACCEPT: st.fixed_dictionaries({"outcome_kind": TEXT, "outcome": TEXT, "impact": TEXT}),
            A.REJECT: st.fixed_dictionaries({"stage": stages, "reason": TEXT}),
            A.EXTEND: st.fixed_dictionaries({
                "working_days": st.one_of(st.integers(-1, 65), st.sampled_from(["3", "x", None])),
                "reason": TEXT,
            }),
            A.REFER_CAFCASS: st.fixed_dictionaries({
                "ground": st.sampled_from([*(g.value for g in CafcassGround), "drift", None]),
                "referred_on": day(-5, 2),
            }),
            A.RECORD_GOOD_PRACTICE: st.fixed_dictionaries({
                "note": TEXT, "recognised_person_id": st.sampled_from([None, "", 11, "12", "Sam"]),
            }),
        }  # fmt: skip
        return shapes.get(action, st.fixed_dictionaries({"reason": TEXT, "note": TEXT}))


# Transitions the random journeys took, across the whole run (checked below).
TRANSITIONS_SEEN: set[tuple[State, Action, State]] = set()


# Derandomised so the coverage guard below sees the same journeys on every run:
# CI must not pass or fail by chance.
LifecycleJourney.TestCase.settings = settings(
    derandomize=True,
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_lifecycle_journeys = LifecycleJourney.TestCase


def test_the_journeys_took_most_declared_transitions() -> None:
    """Guards the generator: random journeys that never leave the first state prove nothing."""
    if not TRANSITIONS_SEEN:  # run alone, or before the journeys: run them here
        LifecycleJourney.TestCase("runTest").runTest()
    missing = DECLARED - TRANSITIONS_SEEN
    assert len(missing) <= len(DECLARED) // 4, sorted(missing)
