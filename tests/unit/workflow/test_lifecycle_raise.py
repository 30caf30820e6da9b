"""Raising a challenge on plain objects: informally, formally, and the refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from escalation_rules.model import Ladder
from tests.unit.workflow.support import (
    LADDER_IDS,
    REFERENCE,
    WED,
    ctx,
    due_after,
    end_of,
    find_responder,
    informal_params,
    ladder,
    ladder_with_fixed_top,
    lifecycle,
    new_challenge,
)
from workflow.errors import RuleViolation
from workflow.lifecycle import Lifecycle
from workflow.states import Action, State

STARTS = [(lid, s.key) for lid in LADDER_IDS for s in ladder(lid).starting_stages]
INFORMAL_FIRST = [lid for lid in LADDER_IDS if ladder(lid).informal_first]


def test_the_bundled_ladders_are_the_ones_the_brief_names() -> None:
    assert INFORMAL_FIRST == ["handbook", "darlington", "barnet", "peterborough"]
    assert ladder("nottinghamshire").informal_first is False
    # Every bundled stage may start a challenge; the refusal is tested on a variant.
    assert len(STARTS) == sum(len(ladder(lid).stages) for lid in LADDER_IDS)


@pytest.mark.parametrize("ladder_id", LADDER_IDS)
def test_an_informal_raise_records_the_discussion_and_is_due_at_the_end_of_the_agreed_day(
    ladder_id: str,
) -> None:
    lc = lifecycle(ladder_id)
    c = new_challenge(lc.ladder)
    params = informal_params(WED, agreed_by=date(2026, 12, 11))

    event = lc.apply(c, Action.RAISE_INFORMAL, ctx(WED, params))

    assert c.state is State.INFORMAL
    assert c.informal_recorded is True
    assert c.due_at == datetime(2026, 12, 11, 17, 0, tzinfo=UTC)
    assert c.stage_started_at == WED
    assert (c.stage_key, c.responder_id, c.formal_started_at, c.cap_due_at) == (None,) * 4
    assert event.kind == "raise_informal"
    assert (event.from_state, event.to_state, event.stage_key) == ("new", "informal", None)
    assert event.details == {
        "discussed_with": "Sam Worker (social worker)",
        "discussed_on": "2026-12-01",
        "agreed_actions": "Book the health assessment",
        "agreed_by": "2026-12-11",
    }
    assert event.changes == {
        "state": State.INFORMAL,
        "due_at": c.due_at,
        "stage_started_at": WED,
        "informal_recorded": True,
    }
    assert c.pending_events == [event]


def test_an_informal_timescale_agreed_in_summer_ends_at_five_london_time() -> None:
    at = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
    lc = lifecycle("handbook")
    c = new_challenge(lc.ladder, at)
    lc.apply(c, Action.RAISE_INFORMAL, ctx(at, informal_params(at, date(2026, 6, 17))))
    assert c.due_at == datetime(2026, 6, 17, 16, 0, tzinfo=UTC)  # 17:00 BST


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("discussed_with", "  ", "enter the discussed with"),
        ("agreed_actions", None, "enter the agreed actions"),
        ("discussed_on", None, "enter the discussed on"),
        ("discussed_on", "2026-12-03", "the discussed on must be today or in the past"),
        ("discussed_on", "2026-13-01", "the discussed on must be a real date"),
        ("agreed_by", "", "enter the agreed by"),
        ("agreed_by", "2026-11-30", "the agreed by must be on or after 2026-12-01"),
    ],
)
def test_an_informal_raise_refuses_incomplete_records(
    field: str, value: object, problem: str
) -> None:
    lc = lifecycle("handbook")
    c = new_challenge(lc.ladder)
    before = c.tracked()
    params = informal_params(WED) | {field: value}

    with pytest.raises(RuleViolation) as caught:
        lc.apply(c, Action.RAISE_INFORMAL, ctx(WED, params))

    assert caught.value.field == field
    assert str(caught.value) == f"Challenge {REFERENCE}: cannot raise informal: {problem}"
    assert c.tracked() == before
    assert c.pending_events == []


@pytest.mark.parametrize(("ladder_id", "stage_key"), STARTS)
def test_a_formal_raise_opens_any_allowed_stage(ladder_id: str, stage_key: str) -> None:
    lc = lifecycle(ladder_id)
    c = new_challenge(lc.ladder)
    stage = lc.ladder.stage(stage_key)

    event = lc.apply(
        c,
        Action.RAISE_FORMAL,
        ctx(WED, {"stage": stage_key, "informal_discussion": "Discussed with Sam on 1 December"}),
    )

    assert c.state is State.AWAITING_RESPONSE
    assert (c.stage_key, c.highest_stage_key) == (stage_key, stage_key)
    assert c.responder_id == find_responder(stage)
    assert c.due_at == due_after(WED, stage.working_days)
    assert c.stage_started_at == c.formal_started_at == WED
    assert c.cap_due_at == due_after(WED, 20)
    assert c.informal_recorded is True
    assert event.details["stage"] == stage_key
    assert event.details["responder_id"] == c.responder_id
    assert event.details["informal_discussion"] == "Discussed with Sam on 1 December"


def test_formal_deadlines_for_two_ladders_in_plain_dates() -> None:
    # Day 1 is Thursday 3 December; the cap runs over Christmas and New Year's Day.
    lc = lifecycle("handbook")
    c = new_challenge(lc.ladder)
    lc.apply(c, Action.RAISE_FORMAL, ctx(WED, {"informal_discussion": "yes"}))
    assert c.stage_key == "social_worker"  # the first stage when none is named
    assert c.due_at == end_of(date(2026, 12, 9))
    assert c.cap_due_at == end_of(date(2027, 1, 4))

    lc = lifecycle("nottinghamshire")
    c = new_challenge(lc.ladder)
    lc.apply(c, Action.RAISE_FORMAL, ctx(WED))
    assert (c.stage_key, c.due_at) == ("iro_alert", end_of(date(2026, 12, 16)))
    assert c.informal_recorded is False


@pytest.mark.parametrize("ladder_id", INFORMAL_FIRST)
@pytest.mark.parametrize("discussion", [None, ""])
def test_a_formal_raise_needs_the_informal_discussion_when_the_ladder_says_so(
    ladder_id: str, discussion: str | None
) -> None:
    lc = lifecycle(ladder_id)
    c = new_challenge(lc.ladder)
    before = c.tracked()

    with pytest.raises(RuleViolation) as caught:
        lc.apply(c, Action.RAISE_FORMAL, ctx(WED, {"informal_discussion": discussion}))

    assert caught.value.field == "informal_discussion"
    assert "needs informal resolution first" in str(caught.value)
    assert c.tracked() == before
    assert c.pending_events == []


def _fixed_top() -> Lifecycle:
    fixed: Ladder = ladder_with_fixed_top()
    assert [s.key for s in fixed.starting_stages] == [
        "social_worker",
        "team_manager",
        "head_of_service",
    ]
    return Lifecycle(fixed)


def test_a_formal_raise_is_refused_at_a_stage_where_challenges_may_not_start() -> None:
    lc = _fixed_top()
    c = new_challenge(lc.ladder)
    before = c.tracked()

    with pytest.raises(RuleViolation) as caught:
        lc.apply(
            c,
            Action.RAISE_FORMAL,
            ctx(WED, {"stage": "senior_manager", "informal_discussion": "y"}),
        )

    assert caught.value.field == "stage"
    assert str(caught.value) == (
        f"Challenge {REFERENCE}: cannot raise formal: a challenge may not start at "
        "'senior_manager' (it may start at: social_worker, team_manager, head_of_service)"
    )
    assert c.tracked() == before


def test_escalating_from_informal_cannot_land_on_a_stage_where_challenges_may_not_start() -> None:
    lc = _fixed_top()
    c = new_challenge(lc.ladder)
    lc.apply(c, Action.RAISE_INFORMAL, ctx(WED, informal_params(WED)))
    before = c.tracked()
    with pytest.raises(
        RuleViolation, match="choose one of: social_worker, team_manager, head_of_service"
    ):
        lc.apply(c, Action.ESCALATE, ctx(WED, {"stage": "senior_manager"}))
    assert c.tracked() == before


def test_a_formal_raise_at_a_stage_the_ladder_lacks_is_refused() -> None:
    lc = lifecycle("barnet")
    c = new_challenge(lc.ladder)
    with pytest.raises(RuleViolation) as caught:
        lc.apply(
            c, Action.RAISE_FORMAL, ctx(WED, {"stage": "social_worker", "informal_discussion": "y"})
        )
    assert caught.value.field == "stage"
    assert "no stage 'social_worker' in ladder 'barnet'" in str(caught.value)
    assert "(practice_alert, head_of_service, senior_manager)" in str(caught.value)
    assert c.state is State.NEW


def test_raised_after_the_end_of_a_friday_the_clock_starts_on_monday() -> None:
    friday_evening = datetime(2026, 12, 4, 17, 30, tzinfo=UTC)
    lc = lifecycle("handbook")
    c = new_challenge(lc.ladder, friday_evening)
    lc.apply(c, Action.RAISE_FORMAL, ctx(friday_evening, {"informal_discussion": "y"}))
    # Effective start Monday 7th; day 1 Tuesday 8th; the fifth working day is Monday 14th.
    assert c.due_at == end_of(date(2026, 12, 14))
    assert c.due_at == due_after(friday_evening, 5)
