"""The clock on plain objects: extend, pause and resume, time out, withdraw and close."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

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
    informal_params,
    ladder,
    lifecycle,
    local_date,
    london,
    new_challenge,
    nth_working_day_after,
    raised_formal,
    raised_informal,
    respond_params,
    working_days_in,
)
from workflow.errors import RuleViolation, TransitionNotAllowed
from workflow.states import Action, State

ESCALATING = [lid for lid in LADDER_IDS if ladder(lid).stages[0].on_timeout == "escalate"]
ASKING = [lid for lid in LADDER_IDS if ladder(lid).stages[0].on_timeout == "ask_iro"]


# -- extend ---------------------------------------------------------------


def test_an_extension_moves_the_due_day_on_by_working_days() -> None:
    lc, c = raised_formal("handbook")
    assert c.due_at == end_of(date(2026, 12, 9))
    cap = c.cap_due_at
    event = lc.apply(c, Action.EXTEND, ctx(WED, {"working_days": 3, "reason": "Manager off sick"}))
    assert c.state is State.AWAITING_RESPONSE
    assert c.due_at == end_of(date(2026, 12, 14))  # Thu 10, Fri 11, Mon 14
    assert c.cap_due_at == cap
    assert event.changes == {"due_at": c.due_at}
    assert event.details == {
        "working_days": 3,
        "reason": "Manager off sick",
        "previous_due_at": end_of(date(2026, 12, 9)).isoformat(),
    }


def test_an_extension_over_christmas_skips_the_bank_holidays() -> None:
    at = london("2026-12-17T10:00")
    lc, c = raised_formal("handbook", at=at)
    assert c.due_at == end_of(date(2026, 12, 24))
    lc.apply(c, Action.EXTEND, ctx(at, {"working_days": 2, "reason": "Christmas"}))
    # Friday 25 (Christmas), Saturday 26, Sunday 27, Monday 28 (Boxing Day substitute).
    assert c.due_at == end_of(date(2026, 12, 30))


def test_an_informal_timescale_may_be_extended() -> None:
    lc, c = raised_informal("handbook")
    agreed = local_date(c.due_at)  # type: ignore[arg-type]
    lc.apply(c, Action.EXTEND, ctx(WED, {"working_days": 1, "reason": "Agreed with the SW"}))
    assert c.state is State.INFORMAL
    assert c.due_at == end_of(nth_working_day_after(agreed, 1))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"working_days": 0, "reason": "r"}, "working_days"),
        ({"working_days": 61, "reason": "r"}, "working_days"),
        ({"working_days": "three", "reason": "r"}, "working_days"),
        ({"reason": "r"}, "working_days"),
        ({"working_days": 3}, "reason"),
    ],
)
def test_an_extension_needs_a_sensible_number_of_days_and_a_reason(
    params: dict[str, object], field: str
) -> None:
    lc, c = raised_formal("handbook")
    before = c.tracked()
    with pytest.raises(RuleViolation) as caught:
        lc.apply(c, Action.EXTEND, ctx(WED, params))
    assert caught.value.field == field
    assert c.tracked() == before


def test_extending_after_a_timeout_counts_the_days_from_now() -> None:
    lc, c = raised_formal("nottinghamshire")
    assert c.due_at == end_of(date(2026, 12, 16))
    lc.apply(c, Action.TIME_OUT, ctx(london("2026-12-18T10:00"), actor=None))
    assert c.state is State.AWAITING_IRO_DECISION
    monday = london("2026-12-21T10:00")
    lc.apply(c, Action.EXTEND, ctx(monday, {"working_days": 5, "reason": "Asked again"}))
    assert fields(c, "state", "stage_key") == (State.AWAITING_RESPONSE, "iro_alert")
    # Tue 22, Wed 23, Thu 24, Tue 29, Wed 30: not five days on from the old 16 December.
    assert c.due_at == end_of(date(2026, 12, 30))
    assert c.due_at == due_after(monday, 5)


def test_extending_an_informal_challenge_after_its_timeout_reopens_it() -> None:
    lc, c = raised_informal("handbook")
    assert c.due_at is not None
    lc.apply(c, Action.TIME_OUT, ctx(c.due_at, actor=None))
    at = c.due_at + timedelta(days=5)
    lc.apply(c, Action.EXTEND, ctx(at, {"working_days": 2, "reason": "SW back"}))
    assert (c.state, c.due_at) == (State.INFORMAL, due_after(at, 2))


# -- pause and resume -------------------------------------------------------


def test_pause_and_resume_over_christmas_moves_both_clocks_by_the_working_days_lost() -> None:
    raised = london("2026-12-23T10:00")
    lc, c = raised_formal("handbook", at=raised)
    # Day 1 is Thursday 24; then 29, 30, 31 and (after New Year's Day) Monday 4 January.
    assert c.due_at == end_of(date(2027, 1, 4))
    assert c.cap_due_at == end_of(date(2027, 1, 25))
    due, cap = c.due_at, c.cap_due_at

    paused = london("2026-12-24T11:00")
    lc.apply(c, Action.PAUSE, ctx(paused, {"reason": "Child in hospital"}))
    assert (c.state, c.paused_at, c.paused_from) == (State.PAUSED, paused, State.AWAITING_RESPONSE)
    assert (c.due_at, c.cap_due_at) == (due, cap)

    resumed = london("2026-12-29T09:00")
    event = lc.apply(c, Action.RESUME, ctx(resumed))
    # Fri 25 Christmas, Sat 26, Sun 27, Mon 28 Boxing Day (substitute): only Tue 29 is lost.
    assert working_days_in(date(2026, 12, 24), date(2026, 12, 29)) == 1
    assert event.details["paused_working_days"] == 1
    assert c.state is State.AWAITING_RESPONSE
    assert c.due_at == end_of(date(2027, 1, 5))
    assert c.cap_due_at == end_of(date(2027, 1, 26))
    assert (c.paused_at, c.paused_from) == (None, None)
    assert event.changes == {
        "state": State.AWAITING_RESPONSE,
        "due_at": c.due_at,
        "cap_due_at": c.cap_due_at,
        "paused_at": None,
        "paused_from": None,
    }


def test_a_long_pause_moves_the_clocks_by_exactly_the_working_days_between() -> None:
    lc, c = raised_formal("handbook", at=london("2026-12-16T10:00"))
    assert c.due_at is not None and c.cap_due_at is not None
    due, cap = local_date(c.due_at), local_date(c.cap_due_at)
    lc.apply(c, Action.PAUSE, ctx(london("2026-12-18T15:00"), {"reason": "r"}))
    lc.apply(c, Action.RESUME, ctx(london("2027-01-04T09:30")))
    lost = working_days_in(date(2026, 12, 18), date(2027, 1, 4))
    assert lost == 8  # 21, 22, 23, 24, 29, 30, 31 December and 4 January
    assert c.pending_events[-1].details["paused_working_days"] == lost
    assert c.due_at == end_of(nth_working_day_after(due, lost))
    assert c.cap_due_at == end_of(nth_working_day_after(cap, lost))


def test_an_informal_challenge_resumes_as_informal_without_a_cap() -> None:
    lc, c = raised_informal("handbook")
    assert c.due_at is not None
    agreed = local_date(c.due_at)
    lc.apply(c, Action.PAUSE, ctx(WED, {"reason": "r"}))
    assert c.paused_from is State.INFORMAL
    lc.apply(c, Action.RESUME, ctx(WED + timedelta(days=1)))  # Thursday: one day lost
    assert (c.state, c.cap_due_at) == (State.INFORMAL, None)
    assert c.due_at == end_of(nth_working_day_after(agreed, 1))


def test_a_pause_resumed_the_same_day_leaves_a_weekend_due_day_alone() -> None:
    # An informal timescale may be agreed to a Saturday; a pause of no working days
    # must not move it to the Monday.
    lc = lifecycle("handbook")
    c = new_challenge(lc.ladder)
    saturday = date(2026, 12, 12)
    lc.apply(c, Action.RAISE_INFORMAL, ctx(WED, informal_params(WED, saturday)))
    assert c.due_at == end_of(saturday)
    lc.apply(c, Action.PAUSE, ctx(WED, {"reason": "r"}))
    event = lc.apply(c, Action.RESUME, ctx(WED + timedelta(hours=2)))
    assert event.details["paused_working_days"] == 0
    assert c.due_at == end_of(saturday)


def test_a_pause_needs_a_reason_and_stops_what_a_running_clock_allows() -> None:
    lc, c = raised_formal("handbook")
    with pytest.raises(RuleViolation) as caught:
        lc.apply(c, Action.PAUSE, ctx(WED, {}))
    assert caught.value.field == "reason"
    lc.apply(c, Action.PAUSE, ctx(WED, {"reason": "r"}))
    assert c.due_at is not None
    for action in (Action.TIME_OUT, Action.ESCALATE, Action.RESPOND, Action.EXTEND, Action.PAUSE):
        with pytest.raises(TransitionNotAllowed):
            lc.apply(c, action, ctx(c.due_at + timedelta(days=1), {"reason": "r"}))
    assert c.state is State.PAUSED


# -- time out ---------------------------------------------------------------


@pytest.mark.parametrize("ladder_id", ESCALATING)
def test_under_an_escalating_ladder_a_timeout_moves_to_the_next_stage(ladder_id: str) -> None:
    lc, c = raised_formal(ladder_id)
    first, second = lc.ladder.stages[:2]
    assert c.due_at is not None
    due = c.due_at
    event = lc.apply(c, Action.TIME_OUT, ctx(due, actor=None))  # exactly at the due moment
    assert (c.state, c.stage_key) == (State.AWAITING_RESPONSE, second.key)
    assert c.responder_id == find_responder(second)
    # No working day lost: day 1 of the next stage is the working day after the last one.
    assert second.working_days is not None
    assert c.due_at == end_of(nth_working_day_after(local_date(due), second.working_days))
    assert c.due_at != due_after(due, second.working_days)  # the old rule lost a day here
    assert c.stage_started_at == due
    assert event.details["timed_out_stage"] == first.key
    assert event.details["late_seconds"] == 0
    assert event.details["stage"] == second.key


def test_handbook_timeouts_climb_to_the_top_and_then_ask_the_iro() -> None:
    lc, c = raised_formal("handbook")
    seen = [c.stage_key]
    for _ in range(3):
        assert c.due_at is not None
        lc.apply(c, Action.TIME_OUT, ctx(c.due_at + timedelta(minutes=1), actor=None))
        seen.append(c.stage_key)
    assert seen == ["social_worker", "team_manager", "head_of_service", "senior_manager"]
    assert c.state is State.AWAITING_RESPONSE
    assert c.due_at is not None
    due = c.due_at
    lc.apply(c, Action.TIME_OUT, ctx(due + timedelta(hours=1), actor=None))
    assert (c.state, c.stage_key, c.due_at) == (State.AWAITING_IRO_DECISION, "senior_manager", due)


@pytest.mark.parametrize("ladder_id", ASKING)
def test_under_an_ask_the_iro_ladder_a_timeout_waits_for_the_iro(ladder_id: str) -> None:
    lc, c = raised_formal(ladder_id)
    assert c.due_at is not None
    before = c.tracked()
    event = lc.apply(c, Action.TIME_OUT, ctx(c.due_at + timedelta(hours=2), actor=None))
    assert c.state is State.AWAITING_IRO_DECISION
    assert event.changes == {"state": State.AWAITING_IRO_DECISION}
    assert {k: v for k, v in c.tracked().items() if k != "state"} == {
        k: v for k, v in before.items() if k != "state"
    }
    assert event.details["late_seconds"] == 7200


def test_nottinghamshire_is_the_ask_the_iro_ladder() -> None:
    assert "nottinghamshire" in ASKING
    assert "handbook" in ESCALATING and "barnet" in ESCALATING


@pytest.mark.parametrize("ladder_id", LADDER_IDS)
def test_an_informal_timeout_asks_the_iro(ladder_id: str) -> None:
    lc, c = raised_informal(ladder_id)
    assert c.due_at is not None
    lc.apply(c, Action.TIME_OUT, ctx(c.due_at, actor=None))
    assert (c.state, c.stage_key) == (State.AWAITING_IRO_DECISION, None)


@pytest.mark.parametrize("ladder_id", LADDER_IDS)
def test_a_timeout_before_the_due_moment_is_refused(ladder_id: str) -> None:
    for lc, c in (raised_formal(ladder_id), raised_informal(ladder_id)):
        assert c.due_at is not None
        before = c.tracked()
        with pytest.raises(RuleViolation, match="it is not due until"):
            lc.apply(c, Action.TIME_OUT, ctx(c.due_at - timedelta(seconds=1), actor=None))
        assert c.tracked() == before
        assert len(c.pending_events) == 1


# -- withdraw and close -------------------------------------------------------


@pytest.mark.parametrize(
    "state",
    [
        State.INFORMAL,
        State.AWAITING_RESPONSE,
        State.RESPONSE_RECEIVED,
        State.AWAITING_IRO_DECISION,
        State.PAUSED,
    ],
)
def test_an_open_challenge_may_be_withdrawn_with_a_reason(state: State) -> None:
    lc, c = (
        raised_informal("handbook") if state is State.INFORMAL else raised_formal("nottinghamshire")
    )
    assert c.due_at is not None
    at = c.due_at + timedelta(hours=1)
    if state is State.RESPONSE_RECEIVED:
        lc.apply(c, Action.RESPOND, ctx(WED, respond_params(WED)))
    elif state is State.AWAITING_IRO_DECISION:
        lc.apply(c, Action.TIME_OUT, ctx(at, actor=None))
    elif state is State.PAUSED:
        lc.apply(c, Action.PAUSE, ctx(WED, {"reason": "r"}))
    assert c.state is state
    with pytest.raises(RuleViolation) as caught:
        lc.apply(c, Action.WITHDRAW, ctx(at, {}))
    assert caught.value.field == "reason"
    lc.apply(c, Action.WITHDRAW, ctx(at, {"reason": "Care plan now agreed"}))
    assert fields(c, "state", "due_at", "paused_at", "paused_from") == (
        State.WITHDRAWN,
        None,
        None,
        None,
    )


@pytest.mark.parametrize("how", ["accept", "withdraw"])
def test_a_finished_challenge_is_closed(how: str) -> None:
    lc, c = raised_informal("barnet")
    if how == "accept":
        lc.apply(c, Action.ACCEPT, ctx(WED, ACCEPT))
    else:
        lc.apply(c, Action.WITHDRAW, ctx(WED, {"reason": "r"}))
    at = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    event = lc.apply(c, Action.CLOSE, ctx(at))
    assert (c.state, c.closed_at) == (State.CLOSED, at)
    assert event.details == {"note": ""}
    with pytest.raises(TransitionNotAllowed, match=f"Challenge {REFERENCE}: 'close'"):
        lc.apply(c, Action.CLOSE, ctx(at))
