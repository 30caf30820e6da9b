"""The use cases against real databases: one transaction each, the log, the version check."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.factories import Council, new_challenge
from workflow.errors import ConcurrentUpdate
from workflow.lifecycle import ActionContext
from workflow.replay import replay
from workflow.runtime import Runtime
from workflow.services import lifecycle, raise_challenge, take_action
from workflow.states import Action, State


def test_a_raise_and_an_answer_are_stored_with_their_events(
    runtime: Runtime, council: Council, now: datetime
) -> None:
    with runtime.uow() as uow:
        raised = raise_challenge(uow, new_challenge(now), council.iro, now)
    with runtime.uow() as uow:
        take_action(
            uow,
            raised.reference,
            "respond",
            council.social_worker,
            {"response": "Booked", "actions": "Assessment on 9 Dec", "target_date": "2026-12-09"},
            now + timedelta(hours=3),
        )
    with runtime.uow() as uow:
        stored = uow.challenges.get(raised.reference)
        events = uow.challenges.events(stored.id or 0)
    assert stored.state is State.RESPONSE_RECEIVED
    assert [e.kind for e in events] == ["raise_formal", "respond"]
    assert stored.version == 2
    assert replay(e.changes for e in events) == stored.tracked()


def test_the_loser_of_a_race_gets_a_conflict_and_changes_nothing(
    runtime: Runtime, council: Council, now: datetime
) -> None:
    with runtime.uow() as uow:
        raised = raise_challenge(uow, new_challenge(now), council.iro, now)
    with runtime.uow() as uow:
        stale = uow.challenges.get(raised.reference)  # read, as a form page does
    answer = {"response": "Done", "actions": "A", "target_date": "2026-12-09"}
    with runtime.uow() as uow:
        take_action(uow, raised.reference, "respond", council.social_worker, answer, now)

    with runtime.uow() as uow:
        lifecycle(uow, stale).apply(
            stale, Action.WITHDRAW, ActionContext(now, council.iro, {"reason": "x"})
        )
        with pytest.raises(ConcurrentUpdate):
            uow.challenges.save(stale)
    with runtime.uow() as uow, pytest.raises(ConcurrentUpdate, match="expected version 1"):
        take_action(uow, raised.reference, "withdraw", council.iro, {"reason": "x"}, now,
                    expected_version=stale.version)  # fmt: skip

    with runtime.uow() as uow:
        stored = uow.challenges.get(raised.reference)
        assert stored.state is State.RESPONSE_RECEIVED
        assert [e.kind for e in uow.challenges.events(stored.id or 0)] == [
            "raise_formal",
            "respond",
        ]


def test_the_log_refuses_to_be_rewritten(runtime: Runtime, council: Council, now: datetime) -> None:
    with runtime.uow() as uow:
        raise_challenge(uow, new_challenge(now), council.iro, now)
    for statement in ("UPDATE challenge_event SET kind = 'x'", "DELETE FROM challenge_event"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), runtime.engine.begin() as conn:
            conn.execute(sa.text(statement))
