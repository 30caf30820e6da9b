"""CAFCASS referrals and good-practice records: recorded, never moving the challenge."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from escalation_rules.loader import parse_ladder
from escalation_rules.model import LegalStatus
from tests.unit.workflow.support import (
    ACCEPT,
    LADDER_IDS,
    REFERENCE,
    WED,
    bundled_text,
    ctx,
    lifecycle,
    new_challenge,
    raised_formal,
    raised_informal,
    respond_params,
)
from workflow.domain import Challenge
from workflow.errors import RuleViolation, TransitionNotAllowed
from workflow.lifecycle import Lifecycle
from workflow.states import Action, CafcassGround, State

REFERRAL = {"ground": "review_decisions_not_implemented", "referred_on": "2026-12-02"}


def _informal() -> tuple[Lifecycle, Challenge]:
    return raised_informal("handbook")


def _awaiting() -> tuple[Lifecycle, Challenge]:
    return raised_formal("handbook")


def _answered() -> tuple[Lifecycle, Challenge]:
    lc, c = raised_formal("handbook")
    lc.apply(c, Action.RESPOND, ctx(WED, respond_params(WED)))
    return lc, c


def _asking() -> tuple[Lifecycle, Challenge]:
    lc, c = raised_formal("nottinghamshire")
    assert c.due_at is not None
    lc.apply(c, Action.TIME_OUT, ctx(c.due_at, actor=None))
    return lc, c


def _paused() -> tuple[Lifecycle, Challenge]:
    lc, c = raised_formal("handbook")
    lc.apply(c, Action.PAUSE, ctx(WED, {"reason": "r"}))
    return lc, c


OPEN: dict[State, Callable[[], tuple[Lifecycle, Challenge]]] = {
    State.INFORMAL: _informal,
    State.AWAITING_RESPONSE: _awaiting,
    State.RESPONSE_RECEIVED: _answered,
    State.AWAITING_IRO_DECISION: _asking,
    State.PAUSED: _paused,
}


def test_the_grounds_are_the_four_of_regulation_45() -> None:
    assert {g.value for g in CafcassGround} == {
        "care_plan_not_prepared",
        "case_not_reviewed",
        "review_decisions_not_implemented",
        "other_breach_of_duty",
    }


@pytest.mark.parametrize("state", list(OPEN))
def test_a_referral_may_be_made_in_any_open_state_and_moves_nothing(state: State) -> None:
    lc, c = OPEN[state]()
    assert c.state is state
    before = c.tracked()
    assert Action.REFER_CAFCASS in lc.allowed_actions(c, LegalStatus.LOOKED_AFTER)

    event = lc.apply(c, Action.REFER_CAFCASS, ctx(WED, REFERRAL | {"note": "Called CAFCASS"}))

    assert c.tracked() == before
    assert event.changes == {}
    assert event.from_state == event.to_state == state.value
    assert event.details == {
        "ground": "review_decisions_not_implemented",
        "referred_on": "2026-12-02",
        "note": "Called CAFCASS",
        "raised_with": "",
    }


def test_a_referral_may_be_made_at_the_moment_the_formal_process_starts() -> None:
    lc = lifecycle("nottinghamshire")
    c = new_challenge(lc.ladder)
    lc.apply(c, Action.RAISE_FORMAL, ctx(WED))
    lc.apply(c, Action.REFER_CAFCASS, ctx(WED, REFERRAL))
    assert [e.kind for e in c.pending_events] == ["raise_formal", "refer_cafcass"]
    assert [e.occurred_at for e in c.pending_events] == [WED, WED]
    assert c.state is State.AWAITING_RESPONSE


@pytest.mark.parametrize("ground", list(CafcassGround))
def test_each_ground_is_accepted(ground: CafcassGround) -> None:
    lc, c = _awaiting()
    event = lc.apply(c, Action.REFER_CAFCASS, ctx(WED, REFERRAL | {"ground": ground.value}))
    assert event.details["ground"] == ground.value


@pytest.mark.parametrize("ground", [None, "", "drift", "CASE_NOT_REVIEWED"])
def test_a_referral_needs_one_of_the_grounds(ground: str | None) -> None:
    lc, c = _awaiting()
    before = c.tracked()
    with pytest.raises(RuleViolation) as caught:
        lc.apply(c, Action.REFER_CAFCASS, ctx(WED, REFERRAL | {"ground": ground}))
    assert caught.value.field == "ground"
    assert all(g.value in str(caught.value) for g in CafcassGround)
    assert c.tracked() == before
    assert len(c.pending_events) == 1


def test_the_referral_date_may_be_today_or_past_but_not_future() -> None:
    lc, c = _awaiting()
    for day in (date(2026, 12, 2), date(2026, 11, 20)):
        lc.apply(c, Action.REFER_CAFCASS, ctx(WED, REFERRAL | {"referred_on": day}))
    before = c.tracked()
    for bad in (date(2026, 12, 3), None):
        with pytest.raises(RuleViolation) as caught:
            lc.apply(c, Action.REFER_CAFCASS, ctx(WED, REFERRAL | {"referred_on": bad}))
        assert caught.value.field == "referred_on"
    assert c.tracked() == before
    assert len(c.pending_events) == 3


def test_barnet_refers_only_children_in_care() -> None:
    lc, c = raised_formal("barnet")
    assert Action.REFER_CAFCASS not in lc.allowed_actions(c, LegalStatus.CHILD_IN_NEED)
    assert Action.REFER_CAFCASS in lc.allowed_actions(c, LegalStatus.LOOKED_AFTER)
    before = c.tracked()
    with pytest.raises(RuleViolation) as caught:
        lc.apply(c, Action.REFER_CAFCASS, ctx(WED, REFERRAL, status=LegalStatus.CHILD_IN_NEED))
    assert str(caught.value) == (
        f"Challenge {REFERENCE}: cannot refer cafcass: this ladder allows CAFCASS referral "
        "only for children who are: looked_after"
    )
    assert c.tracked() == before
    lc.apply(c, Action.REFER_CAFCASS, ctx(WED, REFERRAL, status=LegalStatus.LOOKED_AFTER))


@pytest.mark.parametrize("ladder_id", [lid for lid in LADDER_IDS if lid != "barnet"])
@pytest.mark.parametrize("status", list(LegalStatus))
def test_other_ladders_refer_any_child(ladder_id: str, status: LegalStatus) -> None:
    lc, c = raised_informal(ladder_id)
    assert Action.REFER_CAFCASS in lc.allowed_actions(c, status)
    lc.apply(c, Action.REFER_CAFCASS, ctx(WED, REFERRAL, status=status))


def test_a_ladder_may_require_the_formal_process_before_a_referral() -> None:
    text = bundled_text("handbook").replace(
        "requires_formal_process = false", "requires_formal_process = true"
    )
    lc = Lifecycle(parse_ladder(text.encode(), "strict.toml"))
    c = new_challenge(lc.ladder)
    lc.apply(c, Action.RAISE_INFORMAL, ctx(WED, {
        "discussed_with": "SW", "discussed_on": "2026-12-01", "agreed_actions": "a",
        "agreed_by": "2026-12-09",
    }))  # fmt: skip
    assert Action.REFER_CAFCASS not in lc.allowed_actions(c)
    with pytest.raises(RuleViolation, match="only once the formal process has started"):
        lc.apply(c, Action.REFER_CAFCASS, ctx(WED, REFERRAL))
    lc.apply(c, Action.ESCALATE, ctx(WED))
    lc.apply(c, Action.REFER_CAFCASS, ctx(WED, REFERRAL))


@pytest.mark.parametrize("finished", [State.WITHDRAWN, State.CLOSED])
def test_no_referral_once_withdrawn_or_closed(finished: State) -> None:
    lc, c = _informal()
    lc.apply(c, Action.WITHDRAW, ctx(WED, {"reason": "r"}))
    if finished is State.CLOSED:
        lc.apply(c, Action.CLOSE, ctx(WED))
    with pytest.raises(TransitionNotAllowed):
        lc.apply(c, Action.REFER_CAFCASS, ctx(WED, REFERRAL))


@pytest.mark.parametrize("state", list(OPEN))
def test_good_practice_is_recorded_without_moving_the_challenge(state: State) -> None:
    lc, c = OPEN[state]()
    before = c.tracked()
    event = lc.apply(
        c,
        Action.RECORD_GOOD_PRACTICE,
        ctx(WED, {"note": "Prompt reply", "recognised_person_id": "11"}),
    )
    assert c.tracked() == before
    assert event.changes == {}
    assert event.details == {"note": "Prompt reply", "recognised_person_id": 11}


def test_good_practice_needs_a_note_and_may_be_recorded_after_closing() -> None:
    lc, c = _informal()
    with pytest.raises(RuleViolation) as caught:
        lc.apply(c, Action.RECORD_GOOD_PRACTICE, ctx(WED, {"note": ""}))
    assert caught.value.field == "note"
    lc.apply(c, Action.ACCEPT, ctx(WED, ACCEPT))
    lc.apply(c, Action.CLOSE, ctx(WED + timedelta(days=1)))
    event = lc.apply(c, Action.RECORD_GOOD_PRACTICE, ctx(WED + timedelta(days=2), {"note": "Good"}))
    assert event.details == {"note": "Good", "recognised_person_id": None}
    assert c.state is State.CLOSED


@pytest.mark.parametrize("person", ["Sam Worker", [11], 1.5j])
def test_good_practice_refuses_a_person_that_is_not_an_id(person: object) -> None:
    lc, c = _informal()
    before = c.tracked()
    with pytest.raises(RuleViolation) as caught:
        lc.apply(
            c, Action.RECORD_GOOD_PRACTICE, ctx(WED, {"note": "n", "recognised_person_id": person})
        )
    assert caught.value.field == "recognised_person_id"
    assert c.tracked() == before
