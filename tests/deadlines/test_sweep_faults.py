"""Faults inside a sweep: a database error on one deadline, a sweep that runs too long,
and the one path every action takes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

import workflow.sweep
from tests.deadlines.conftest import SETTINGS, WED, current, events, raise_formal, rows, run_sweep
from tests.factories import Council
from workflow.runtime import Runtime
from workflow.sweep import sweep
from workflow.tables import utc_now


def _statement_timeout_for(monkeypatch: pytest.MonkeyPatch, reference: str) -> list[str]:
    """Every action on `reference` fails as PostgreSQL's statement timeout does."""
    real = workflow.sweep.act
    tried: list[str] = []

    def failing(uow: Any, challenge: Any, *args: Any, **kwargs: Any) -> Any:
        if challenge.reference == reference:
            tried.append(reference)
            raise sa.exc.OperationalError(
                "UPDATE challenge", {}, Exception("canceling statement due to statement timeout")
            )
        return real(uow, challenge, *args, **kwargs)

    monkeypatch.setattr(workflow.sweep, "act", failing)
    return tried


@pytest.mark.sweep_falls_back
def test_a_database_error_on_one_deadline_counts_attempts_backs_off_and_ends_stuck(
    runtime: Runtime, council: Council, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = raise_formal(runtime, council, WED)
    good = raise_formal(runtime, council, WED, child="LL1002")
    due = current(runtime, bad).due_at
    assert due is not None
    run_sweep(runtime, due - timedelta(hours=1))  # the reminders, before the fault
    tried = _statement_timeout_for(monkeypatch, bad.reference)

    first = {f.reference: f for f in run_sweep(runtime, due)}
    assert len(tried) == 2  # the fast path, then its own savepoint: not again and again
    assert first[good.reference].status == "done"
    assert first[bad.reference].status == "pending"
    assert "OperationalError" in first[bad.reference].outcome
    [timeout] = [r for r in rows(runtime, bad, "pending") if r.kind == "timeout"]
    assert (timeout.attempts, timeout.next_attempt_at) == (1, due + timedelta(seconds=60))
    assert "statement timeout" in timeout.last_error

    assert run_sweep(runtime, due + timedelta(seconds=59)) == []  # backing off
    assert [f.status for f in run_sweep(runtime, due + timedelta(seconds=60))] == ["pending"]
    assert [f.status for f in run_sweep(runtime, due + timedelta(seconds=180))] == ["stuck"]
    [stuck] = rows(runtime, bad, "stuck")
    assert stuck.attempts == SETTINGS.max_attempts
    assert run_sweep(runtime, due + timedelta(days=1)) == []
    assert current(runtime, bad).stage_key == "social_worker"
    assert current(runtime, good).stage_key == "team_manager"


@pytest.mark.sweep_falls_back
def test_a_concurrent_change_is_released_for_the_next_sweep_without_counting(
    runtime: Runtime, council: Council, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = raise_formal(runtime, council, WED)
    due = current(runtime, c).due_at
    assert due is not None
    run_sweep(runtime, due - timedelta(hours=1))
    real = workflow.sweep.act
    calls: list[int] = []

    def racing(uow: Any, challenge: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) <= 2:
            raise workflow.sweep.ConcurrentUpdate(challenge.reference, challenge.version)
        return real(uow, challenge, *args, **kwargs)

    monkeypatch.setattr(workflow.sweep, "act", racing)
    [released] = run_sweep(runtime, due)
    assert released.status == "pending" and "concurrent change" in released.outcome
    assert len(calls) == 2  # this sweep did not take it again
    [row] = [r for r in rows(runtime, c, "pending") if r.kind == "timeout"]
    assert row.attempts == 0 and row.claimed_by is None
    assert row.next_attempt_at == due + timedelta(seconds=1)
    [fired] = run_sweep(runtime, due + timedelta(seconds=1))
    assert fired.status == "done"
    assert [e.kind for e in events(runtime, c)][-1] == "time_out"


def test_a_sweep_stops_claiming_after_its_time_limit_and_the_next_carries_on(
    runtime: Runtime, council: Council
) -> None:
    for n in range(8):  # eight first reminders due at once: over one batch of 7
        raise_formal(runtime, council, WED + timedelta(minutes=n), child=f"LL100{1 + n % 2}")
    late = WED + timedelta(days=30)  # every reminder, timeout and more
    ticks = iter(range(1000))

    def slow_clock() -> Any:
        return utc_now() + timedelta(minutes=next(ticks))  # a minute passes per reading

    limited = SETTINGS.model_copy(update={"time_limit_seconds": 1})
    first = sweep(runtime, late, worker="w1", settings=limited, wall_clock=slow_clock)
    assert len(first) == SETTINGS.batch_size  # one batch, then the limit stopped it
    rest = run_sweep(runtime, late)
    assert rest and not {f.deadline_id for f in first} & {f.deadline_id for f in rest}
    assert run_sweep(runtime, late) == []
