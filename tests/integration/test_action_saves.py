"""An action's save sets only the columns it changed, still version-checked: on SQLite an
UPDATE rewrites every index on a column it sets, changed or not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from tests.factories import Council, new_challenge
from tests.statements import challenge_updates, set_columns
from workflow.domain import TRACKED_FIELDS, NewEvent
from workflow.errors import ConcurrentUpdate
from workflow.runtime import Runtime
from workflow.services import raise_challenge, take_action
from workflow.states import Action


def _set_columns(runtime: Runtime, run: Callable[[], object]) -> list[frozenset[str]]:
    """The columns each `UPDATE challenge` the run sends sets."""
    return [set_columns(update) for update in challenge_updates(runtime.engine, run)]


def _raised(runtime: Runtime, council: Council, now: datetime) -> str:
    with runtime.uow() as uow:
        return raise_challenge(
            uow, new_challenge(now, stage="social_worker"), council.iro, now
        ).reference


def _row(runtime: Runtime, reference: str) -> dict[str, Any]:
    table = sa.table("challenge", *(sa.column(n) for n in (*TRACKED_FIELDS, "version")))
    with runtime.engine.connect() as connection:
        query = sa.select(table).where(sa.column("reference") == reference)
        return dict(connection.execute(query).one()._mapping)


def _act(runtime: Runtime, reference: str, action: Action, actor: int, params: dict[str, Any],
         at: datetime) -> None:  # fmt: skip
    with runtime.uow() as uow:
        take_action(uow, reference, action, actor, params, at)


def test_a_pause_and_a_resume_set_only_what_they_change(
    runtime: Runtime, council: Council, now: datetime
) -> None:
    reference = _raised(runtime, council, now)
    before = _row(runtime, reference)

    pause = {"reason": "Court proceedings."}
    sets = _set_columns(
        runtime, lambda: _act(runtime, reference, Action.PAUSE, council.iro, pause, now)
    )
    paused = _row(runtime, reference)
    changed = {n for n in TRACKED_FIELDS if paused[n] != before[n]}
    assert {"state", "paused_at", "paused_from"} <= changed
    assert sets == [frozenset({*changed, "version", "updated_at"})]
    # The stage, its responder and the report's columns were not set, and read as before.
    for name in ("stage_key", "responder_id", "formal_started_at", "highest_stage_key"):
        assert name not in changed
        assert paused[name] == before[name]
    assert paused["version"] == before["version"] + 1

    resume = {"reason": "Proceedings ended."}
    sets = _set_columns(
        runtime, lambda: _act(runtime, reference, Action.RESUME, council.iro, resume, now)
    )
    resumed = _row(runtime, reference)
    changed = {n for n in TRACKED_FIELDS if resumed[n] != paused[n]}
    assert sets == [frozenset({*changed, "version", "updated_at"})]
    assert resumed["state"] == before["state"]
    assert resumed["paused_at"] is None and resumed["paused_from"] is None


def test_a_save_behind_the_stored_version_is_still_refused(
    runtime: Runtime, council: Council, now: datetime
) -> None:
    reference = _raised(runtime, council, now)
    with runtime.uow() as uow:
        read = uow.challenges.get(reference)
    # Someone else pauses it after that read.
    _act(runtime, reference, Action.PAUSE, council.iro, {"reason": "Court proceedings."}, now)
    paused = _row(runtime, reference)

    stale = replace(read, pending_events=[])
    stale.responder_id = council.deputy_team_manager
    state = read.state.value
    stale.pending_events.append(
        NewEvent("note", now, None, state, state, read.stage_key, {"responder_id": 0}, {})
    )
    with runtime.uow() as uow, pytest.raises(ConcurrentUpdate):
        uow.challenges.note_read([read])
        uow.challenges.save(stale)
    assert _row(runtime, reference) == paused
