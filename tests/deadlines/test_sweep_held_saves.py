"""The sweep's held saves set only the columns a deadline changed, still version-checked."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.deadlines.conftest import WED, current, raise_formal, run_sweep, utc
from tests.factories import Council
from tests.statements import challenge_updates, set_columns
from workflow.domain import NewEvent
from workflow.errors import ConcurrentUpdate
from workflow.runtime import Runtime
from workflow.states import State


def test_a_time_out_sets_only_what_it_changed_and_the_row_reads_as_a_full_save_would(
    runtime: Runtime, council: Council
) -> None:
    first = raise_formal(runtime, council, WED, child="LL1001")
    second = raise_formal(runtime, council, WED, child="LL1002")
    before = current(runtime, first)
    at = utc(2026, 12, 10, 10, 0)  # past both reminder points and the due time

    updates = challenge_updates(runtime.engine, lambda: run_sweep(runtime, at))

    sets = {set_columns(statement) for statement in updates}
    # A reminder changes nothing but the version; a time-out moves the stage, and state,
    # the formal start and the cap stay as they were.
    assert sets == {
        frozenset({"version", "updated_at"}),
        frozenset({"stage_key", "responder_id", "due_at", "stage_started_at",
                   "highest_stage_key", "version", "updated_at"}),
    }  # fmt: skip
    for c in (first, second):
        after = current(runtime, c)
        assert after.state is State.AWAITING_RESPONSE
        assert after.stage_key == "team_manager"
        assert after.responder_id == council.team_manager
        assert after.highest_stage_key == "team_manager"
        assert after.version == c.version + 3  # two reminders, then the time-out
    after = current(runtime, first)
    unchanged = ("state", "formal_started_at", "cap_due_at", "informal_recorded", "outcome")
    assert {k: getattr(after, k) for k in unchanged} == {k: getattr(before, k) for k in unchanged}


def test_a_held_save_behind_the_stored_version_is_refused(
    runtime: Runtime, council: Council
) -> None:
    c = raise_formal(runtime, council, WED)
    with runtime.uow() as uow:
        read = uow.challenges.get(c.reference)
        uow.challenges.note_read([read])
        stale = replace(read, version=read.version - 1, pending_events=[])
        stale.responder_id = council.deputy_team_manager
        changes = {"responder_id": stale.responder_id}
        state = "awaiting_response"
        stale.pending_events.append(
            NewEvent("note", WED, None, state, state, "social_worker", changes, {})
        )
        uow.challenges.hold_writes = True
        uow.challenges.save(stale)
        with pytest.raises(ConcurrentUpdate):
            uow.challenges.write_held()
        uow.session.rollback()
    assert current(runtime, c).responder_id == council.social_worker
