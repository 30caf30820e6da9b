"""Escalate, bypass, respond, accept and reject on plain objects."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.unit.workflow.support import (
    ACCEPT,
    LADDER_IDS,
    REFERENCE,
    WED,
    ctx,
    due_after,
    end_of,
    fields,
    find_responder,
    ladder,
    raised_formal,
    raised_informal,
    respond_params,
)
from workflow.errors import RuleViolation, TransitionNotAllowed
from workflow.states import Action, State

LATER = WED + timedelta(days=1, hours=2)  # Thursday 3 December, 12:00
PAIRS = [
    (lid, low.key, high.key)
    for lid in LADDER_IDS
    for i, low in enumerate(ladder(lid).stages)
    for high in ladder(lid).stages[i + 1 :]
]
NOT_UP = [
    (lid, here.key, there.key)
    for lid in LADDER_IDS
    for i, here in enumerate(ladder(lid).stages[:-1])
    for there in ladder(lid).stages[: i + 1]
]


@pytest.mark.parametrize("ladder_id", LADDER_IDS)
def test_escalate_without_a_stage_goes_to_the_next_one(ladder_id: str) -> None:
    lc, c = raised_formal(ladder_id)
    first, second = lc.ladder.stages[0], lc.ladder.stages[1]
    cap = c.cap_due_at

    event = lc.apply(c, Action.ESCALATE, ctx(LATER, {"reason": "No reply"}))

    assert c.state is State.AWAITING_RESPONSE
    assert (c.stage_key, c.highest_stage_key) == (second.key, second.key)
    assert c.responder_id == find_responder(second)
    assert c.due_at == due_after(LATER, second.working_days)
    assert c.stage_started_at == LATER
    assert (c.formal_started_at, c.cap_due_at) == (WED, cap)  # the cap runs from the first stage
    assert event.from_state == event.to_state == "awaiting_response"
    assert event.details == {
        "reason": "No reply",
        "stage": second.key,
        "responder_id": c.responder_id,
    }
    assert first.key != c.stage_key


@pytest.mark.parametrize(("ladder_id", "low", "high"), PAIRS)
def test_the_iro_may_bypass_to_any_higher_stage(ladder_id: str, low: str, high: str) -> None:
    lc, c = raised_formal(ladder_id, low)
    lc.apply(c, Action.ESCALATE, ctx(LATER, {"stage": high}))
    stage = lc.ladder.stage(high)
    assert (c.stage_key, c.highest_stage_key) == (high, high)
    assert c.responder_id == find_responder(stage)
    assert c.due_at == due_after(LATER, stage.working_days)


@pytest.mark.parametrize(("ladder_id", "here", "there"), NOT_UP)
def test_escalating_to_the_same_or_a_lower_stage_is_refused(
    ladder_id: str, here: str, there: str
) -> None:
    lc, c = raised_formal(ladder_id, here)
    before = c.tracked()
    allowed = ", ".join(s.key for s in lc.ladder.higher_stages(here))

    with pytest.raises(RuleViolation) as caught:
        lc.apply(c, Action.ESCALATE, ctx(LATER, {"stage": there}))

    assert caught.value.field == "stage"
    assert str(caught.value) == (
        f"Challenge {REFERENCE}: cannot escalate: cannot go to '{there}' from here "
        f"(choose one of: {allowed})"
    )
    assert c.tracked() == before
    assert len(c.pending_events) == 1


def test_escalating_from_informal_starts_the_formal_process_and_its_cap() -> None:
    lc, c = raised_informal("darlington")
    lc.apply(c, Action.ESCALATE, ctx(LATER, {"stage": "team_manager"}))
    assert (c.state, c.stage_key) == (State.AWAITING_RESPONSE, "team_manager")
    assert c.formal_started_at == LATER
    assert c.cap_due_at == due_after(LATER, 20)
    assert c.informal_recorded is True


@pytest.mark.parametrize("ladder_id", LADDER_IDS)
def test_the_top_stage_offers_no_escalation_and_refuses_one(ladder_id: str) -> None:
    top = ladder(ladder_id).stages[-1].key
    lc, c = raised_formal(ladder_id, top)
    assert Action.ESCALATE not in lc.allowed_actions(c)
    with pytest.raises(RuleViolation, match=f"'{top}' is the top stage of the ladder"):
        lc.apply(c, Action.ESCALATE, ctx(LATER))

    lc.apply(c, Action.RESPOND, ctx(LATER, respond_params(LATER), actor=c.responder_id))
    offered = lc.allowed_actions(c)
    assert Action.ESCALATE not in offered
    assert Action.REJECT not in offered
    before = c.tracked()
    with pytest.raises(RuleViolation, match="top stage") as caught:
        lc.apply(c, Action.REJECT, ctx(LATER, {"reason": "Not good enough"}))
    assert caught.value.field == "stage"
    assert c.tracked() == before


def test_a_response_is_recorded_with_its_actions_and_target_date() -> None:
    lc, c = raised_formal("handbook")
    due = c.due_at
    event = lc.apply(c, Action.RESPOND, ctx(LATER, respond_params(LATER), actor=11))
    assert c.state is State.RESPONSE_RECEIVED
    assert c.due_at == due
    assert event.changes == {"state": State.RESPONSE_RECEIVED}
    assert event.details == {
        "response": "Booked for next week",
        "actions": "Health assessment booked",
        "target_date": "2026-12-08",
        "responder_id": 11,
        "late": False,
    }


def test_a_target_date_today_is_accepted_but_one_in_the_past_is_refused() -> None:
    lc, c = raised_formal("handbook")
    before = c.tracked()
    with pytest.raises(RuleViolation) as caught:
        lc.apply(c, Action.RESPOND, ctx(LATER, respond_params(LATER, days=-1)))
    assert caught.value.field == "target_date"
    assert str(caught.value).endswith("the target date must be on or after 2026-12-03")
    assert c.tracked() == before
    lc.apply(c, Action.RESPOND, ctx(LATER, respond_params(LATER, days=0)))
    assert c.state is State.RESPONSE_RECEIVED


@pytest.mark.parametrize("field", ["response", "actions", "target_date"])
def test_a_response_needs_each_of_its_parts(field: str) -> None:
    lc, c = raised_formal("handbook")
    before = c.tracked()
    with pytest.raises(RuleViolation) as caught:
        lc.apply(c, Action.RESPOND, ctx(LATER, respond_params(LATER) | {field: ""}))
    assert caught.value.field == field
    assert c.tracked() == before


@pytest.mark.parametrize("missing", ["outcome", "impact"])
def test_accepting_needs_the_outcome_and_the_impact(missing: str) -> None:
    lc, c = raised_formal("handbook")
    lc.apply(c, Action.RESPOND, ctx(LATER, respond_params(LATER)))
    before = c.tracked()
    with pytest.raises(RuleViolation) as caught:
        lc.apply(c, Action.ACCEPT, ctx(LATER, ACCEPT | {missing: " "}))
    assert caught.value.field == missing
    assert str(caught.value) == f"Challenge {REFERENCE}: cannot accept: enter the {missing}"
    assert c.tracked() == before


def test_accepting_resolves_and_stops_the_clock() -> None:
    lc, c = raised_formal("handbook")
    lc.apply(c, Action.RESPOND, ctx(LATER, respond_params(LATER)))
    event = lc.apply(c, Action.ACCEPT, ctx(LATER, ACCEPT))
    assert c.state is State.RESOLVED
    assert (c.outcome, c.resolved_at, c.due_at) == ("Assessment booked", LATER, None)
    assert event.details == {"outcome": "Assessment booked", "impact": "Asthma now monitored"}
    assert c.cap_due_at is not None  # kept: the report measures against it


def test_an_informal_challenge_may_be_accepted_directly() -> None:
    lc, c = raised_informal("peterborough")
    lc.apply(c, Action.ACCEPT, ctx(LATER, ACCEPT))
    assert (c.state, c.stage_key, c.due_at) == (State.RESOLVED, None, None)


@pytest.mark.parametrize("ladder_id", LADDER_IDS)
def test_rejecting_a_response_escalates_to_the_next_stage(ladder_id: str) -> None:
    lc, c = raised_formal(ladder_id)
    lc.apply(c, Action.RESPOND, ctx(LATER, respond_params(LATER)))
    at = LATER + timedelta(hours=1)
    second = lc.ladder.stages[1]
    event = lc.apply(c, Action.REJECT, ctx(at, {"reason": "Nothing booked"}))
    assert (c.state, c.stage_key) == (State.AWAITING_RESPONSE, second.key)
    assert c.responder_id == find_responder(second)
    assert c.due_at == due_after(at, second.working_days)
    assert event.details["reason"] == "Nothing booked"


def test_rejecting_needs_a_reason_and_may_bypass() -> None:
    lc, c = raised_formal("handbook")
    lc.apply(c, Action.RESPOND, ctx(LATER, respond_params(LATER)))
    before = c.tracked()
    with pytest.raises(RuleViolation) as caught:
        lc.apply(c, Action.REJECT, ctx(LATER, {}))
    assert caught.value.field == "reason"
    assert c.tracked() == before
    lc.apply(c, Action.REJECT, ctx(LATER, {"reason": "Serious", "stage": "senior_manager"}))
    assert (c.stage_key, c.highest_stage_key) == ("senior_manager", "senior_manager")


def test_a_late_response_after_the_iro_was_asked_is_marked_late() -> None:
    lc, c = raised_formal("nottinghamshire")
    assert c.due_at == end_of(date(2026, 12, 16))
    after_due = c.due_at + timedelta(hours=17)
    lc.apply(c, Action.TIME_OUT, ctx(after_due, actor=None))
    assert c.state is State.AWAITING_IRO_DECISION
    event = lc.apply(c, Action.RESPOND, ctx(after_due, respond_params(after_due)))
    assert fields(c, "state") == (State.RESPONSE_RECEIVED,)
    assert event.details["late"] is True


def test_an_informal_challenge_has_nobody_to_respond() -> None:
    lc, c = raised_informal("handbook")
    assert c.due_at is not None
    with pytest.raises(TransitionNotAllowed):
        lc.apply(c, Action.RESPOND, ctx(LATER, respond_params(LATER)))
    lc.apply(c, Action.TIME_OUT, ctx(c.due_at, actor=None))
    assert c.state is State.AWAITING_IRO_DECISION
    assert Action.RESPOND not in lc.allowed_actions(c)
    before = c.tracked()
    with pytest.raises(
        TransitionNotAllowed, match="'respond' is not allowed while it is 'awaiting_iro_decision'"
    ):
        lc.apply(c, Action.RESPOND, ctx(c.due_at, respond_params(c.due_at)))
    assert c.tracked() == before
