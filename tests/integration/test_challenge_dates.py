"""The dates a new challenge carries are judged in the domain, on London's date."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from tests.factories import informal, new_challenge
from workflow.errors import RuleViolation
from workflow.services import raise_challenge

# 23:30 UTC on 15 July is 00:30 on 16 July in London (BST).
LATE_SUMMER_EVENING = datetime(2026, 7, 15, 23, 30, tzinfo=UTC)
LONDON_TODAY = date(2026, 7, 16)


def test_a_review_held_today_in_london_is_accepted_before_utc_midnight(runtime, council):
    new = replace(new_challenge(LATE_SUMMER_EVENING), review_date=LONDON_TODAY)
    with runtime.uow() as uow:
        raised = raise_challenge(uow, new, council.iro, LATE_SUMMER_EVENING)
    assert raised.review_date == LONDON_TODAY


def test_a_review_tomorrow_in_london_is_refused(runtime, council):
    new = replace(new_challenge(LATE_SUMMER_EVENING), review_date=date(2026, 7, 17))
    with pytest.raises(RuleViolation) as refused, runtime.uow() as uow:
        raise_challenge(uow, new, council.iro, LATE_SUMMER_EVENING)
    assert refused.value.field == "review_date"
    assert "review must be today or in the past" in refused.value.problem
    _assert_no_challenges(runtime)


@pytest.mark.parametrize(
    ("discussed", "agreed", "field"),
    [
        (date(2026, 7, 17), date(2026, 7, 20), "discussed_on"),
        (date(2026, 7, 10), date(2026, 7, 9), "agreed_by"),
    ],
)
def test_an_informal_discussion_in_the_future_or_due_before_it_is_refused(
    runtime, council, discussed, agreed, field
):
    new = replace(
        new_challenge(LATE_SUMMER_EVENING, formal=False), informal=informal(discussed, agreed)
    )
    with pytest.raises(RuleViolation) as refused, runtime.uow() as uow:
        raise_challenge(uow, new, council.iro, LATE_SUMMER_EVENING)
    assert refused.value.field == field
    _assert_no_challenges(runtime)


def _assert_no_challenges(runtime) -> None:
    with runtime.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM challenge")).scalar_one() == 0
