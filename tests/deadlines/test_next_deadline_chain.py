"""One pending row per clock: each reminder plans what follows it when it fires, a
failing reminder does not hold the stage clock back, and the overview shows the lot."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

import workflow.sweep
from tests.deadlines.conftest import (
    CAP,
    DUE,
    SETTINGS,
    WED,
    current,
    events,
    pending,
    raise_formal,
    rows,
    run_sweep,
    utc,
)
from tests.factories import Council
from workflow.deadline_queries import deadline_overview
from workflow.runtime import Runtime
from workflow.sweep import claim

MONDAY_9 = utc(2026, 12, 7, 9, 0)  # the first reminder point (see test_planning_and_firing)
WEDNESDAY_9 = utc(2026, 12, 9, 9, 0)


def test_each_reminder_plans_the_next_point_then_the_timeout(
    runtime: Runtime, council: Council
) -> None:
    c = raise_formal(runtime, council, WED)
    assert pending(runtime, c) == [("reminder", MONDAY_9), ("cap", CAP)]
    run_sweep(runtime, MONDAY_9)
    assert pending(runtime, c) == [("reminder", WEDNESDAY_9), ("cap", CAP)]
    [second] = [r for r in rows(runtime, c, "pending") if r.kind == "reminder"]
    assert (second.stage_key, second.applies_to_due_at, second.label) == (
        "social_worker", DUE, "morning of the due day",
    )  # fmt: skip
    assert second.details == {"working_days_before": 0, "at": "09:00"}
    run_sweep(runtime, WEDNESDAY_9)
    assert pending(runtime, c) == [("timeout", DUE), ("cap", CAP)]
    assert [r.status for r in rows(runtime, c) if r.kind == "reminder"] == ["done", "done"]


def _reminders_fail(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    real = workflow.sweep.act
    tried: list[str] = []

    def failing(uow: Any, challenge: Any, child: Any, action: Any, *args: Any) -> Any:
        if action.value == "remind":
            tried.append(challenge.reference)
            raise RuntimeError("mail template broken")
        return real(uow, challenge, child, action, *args)

    monkeypatch.setattr(workflow.sweep, "act", failing)
    return tried


@pytest.mark.sweep_falls_back
def test_a_failing_reminder_does_not_hold_back_the_timeout_after_it(
    runtime: Runtime, council: Council, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = raise_formal(runtime, council, WED)
    run_sweep(runtime, MONDAY_9)  # the first reminder fires
    _reminders_fail(monkeypatch)
    [failed] = run_sweep(runtime, WEDNESDAY_9)
    assert (failed.kind, failed.status) == ("reminder", "pending")
    # Planned at its first failure: the timeout is pending beside the reminder being retried.
    assert pending(runtime, c) == [("reminder", WEDNESDAY_9), ("timeout", DUE), ("cap", CAP)]
    for minutes in (1, 3):  # the retries, then stuck; the timeout is not planned again
        run_sweep(runtime, WEDNESDAY_9 + timedelta(minutes=minutes))
    assert [(r.kind, r.attempts) for r in rows(runtime, c, "stuck")] == [
        ("reminder", SETTINGS.max_attempts)
    ]
    assert pending(runtime, c) == [("timeout", DUE), ("cap", CAP)]
    [fired] = run_sweep(runtime, DUE)
    assert (fired.kind, fired.status) == ("timeout", "done")
    assert current(runtime, c).stage_key == "team_manager"
    assert [e.kind for e in events(runtime, c)] == ["raise_formal", "remind", "time_out"]


@pytest.mark.sweep_falls_back
def test_a_reminder_that_fires_after_failing_plans_nothing_twice(
    runtime: Runtime, council: Council, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = raise_formal(runtime, council, WED)
    with monkeypatch.context() as patch:
        _reminders_fail(patch)
        run_sweep(runtime, MONDAY_9)
    assert pending(runtime, c) == [("reminder", MONDAY_9), ("reminder", WEDNESDAY_9), ("cap", CAP)]
    [retried] = run_sweep(runtime, MONDAY_9 + timedelta(minutes=1))
    assert (retried.status, retried.reason) == ("done", "retry after 1 failed attempt")
    assert pending(runtime, c) == [("reminder", WEDNESDAY_9), ("cap", CAP)]
    assert [f.kind for f in run_sweep(runtime, DUE)] == ["reminder", "timeout"]
    assert [e.kind for e in events(runtime, c)] == ["raise_formal", "remind", "remind", "time_out"]


def test_the_overview_lists_the_deadlines_each_reminder_will_plan(
    runtime: Runtime, council: Council
) -> None:
    c = raise_formal(runtime, council, WED)
    views = deadline_overview(runtime, WED)
    assert [(v.section, v.kind, v.due_at) for v in views] == [
        ("upcoming", "reminder", MONDAY_9),
        ("upcoming", "reminder", WEDNESDAY_9),
        ("upcoming", "timeout", DUE),
        ("upcoming", "cap", CAP),
    ]
    assert {v.reference for v in views} == {c.reference}
    assert views[1].reason.endswith("planned when the one before it fires")
    # Limited as asked, nearest first, whether a row or planned later.
    assert [v.kind for v in deadline_overview(runtime, WED, upcoming=2)] == ["reminder"] * 2


def test_a_batch_stops_before_a_row_a_reminder_in_it_may_overtake(
    runtime: Runtime, council: Council
) -> None:
    early = raise_formal(runtime, council, WED)
    late = raise_formal(runtime, council, WED + timedelta(days=7), child="LL1002")
    wall = utc(2026, 11, 26, 12, 0)
    # Both first reminders due; the later challenge's falls after the early one's stage is
    # due, when its second reminder and timeout (not rows yet) come first.
    claimed = claim(runtime, utc(2026, 12, 20, 9, 0), "w", SETTINGS, lambda: wall)
    assert [(k.reference, k.kind) for k in claimed] == [(early.reference, "reminder")]
    assert pending(runtime, late)[0][1] > DUE
