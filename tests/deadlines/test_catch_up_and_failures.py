"""Downtime, failures and the operations view."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from tests.deadlines.conftest import (
    SETTINGS,
    WED,
    current,
    events,
    pending,
    raise_formal,
    rows,
    run_sweep,
    stage_clock,
    utc,
)
from tests.factories import Council
from workflow.deadline_queries import deadline_overview
from workflow.runtime import Runtime
from workflow.tables import Child, Person


def test_a_restart_after_three_days_down_fires_every_missed_deadline_once_in_order(
    runtime: Runtime, council: Council
) -> None:
    raised = [
        raise_formal(runtime, council, WED),
        raise_formal(runtime, council, WED + timedelta(hours=2), child="LL1002"),
        raise_formal(runtime, council, WED + timedelta(days=1)),
    ]
    # Each has one row of its stage clock pending; the rest is planned as each fires.
    assert [[k for k, _ in pending(runtime, c)] for c in raised] == [["reminder", "cap"]] * 3
    planned = {
        (c.reference, kind, due)
        for c, at in zip(
            raised, (WED, WED + timedelta(hours=2), WED + timedelta(days=1)), strict=True
        )
        for kind, due in stage_clock(runtime, c, at)
    }
    assert run_sweep(runtime, utc(2026, 12, 7, 8, 0)) == []  # last sweep before the outage
    back = utc(2026, 12, 10, 17, 30)  # three and a half days later
    fired = run_sweep(runtime, back)
    assert {(f.reference, f.kind, f.due_at) for f in fired} == planned  # nothing missed
    assert len(fired) == len(planned) == 9  # nothing doubled
    assert [f.due_at for f in fired] == sorted(f.due_at for f in fired)  # in due order
    for f in fired:
        assert f.status == "done"
        assert f.late_seconds == int((back - f.due_at).total_seconds())
        assert f.reason == "catch-up after downtime"
    for c in raised:
        log = events(runtime, c)
        assert [e.kind for e in log] == ["raise_formal", "remind", "remind", "time_out"]
        assert log[-1].details["reason"] == "catch-up after downtime"
        assert current(runtime, c).stage_key == "team_manager"
        done = rows(runtime, c, "done")
        assert all(r.fired_at == back and r.fired_by == "test-worker" for r in done)
    assert run_sweep(runtime, back) == []
    assert run_sweep(runtime, back + timedelta(minutes=1)) == []


def _orphan_case(runtime: Runtime, council: Council) -> str:
    """A child whose social worker has no manager: escalation has nobody to go to."""
    with Session(runtime.engine) as s:
        worker = Person(email="lone@council.test", name="Lou Lone", role="social_worker")
        s.add(worker)
        s.flush()
        s.add(Child(case_reference="LL9009", display_name="Child LL9009",
                    legal_status="looked_after", social_worker_id=worker.id,
                    iro_id=council.iro))  # fmt: skip
        s.commit()
    return "LL9009"


@pytest.mark.sweep_falls_back
def test_a_failing_deadline_is_retried_with_back_off_then_stuck_and_blocks_nothing(
    runtime: Runtime, council: Council
) -> None:
    bad = raise_formal(runtime, council, WED, child=_orphan_case(runtime, council))
    good = raise_formal(runtime, council, WED)
    due = current(runtime, bad).due_at
    assert due is not None and due == current(runtime, good).due_at
    run_sweep(runtime, due - timedelta(hours=1))  # reminders for both: fine

    first = {f.reference: f for f in run_sweep(runtime, due)}
    assert first[good.reference].status == "done"
    assert first[bad.reference].status == "pending"
    assert "NoResponder" in first[bad.reference].outcome
    assert current(runtime, good).stage_key == "team_manager"  # not blocked
    [row] = [r for r in rows(runtime, bad, "pending") if r.kind == "timeout"]
    assert (row.attempts, row.next_attempt_at) == (1, due + timedelta(seconds=60))
    assert "Nobody can answer at Team manager" in row.last_error

    assert run_sweep(runtime, due + timedelta(seconds=59)) == []  # backing off
    second = run_sweep(runtime, due + timedelta(seconds=60))
    assert [(f.status, f.reason) for f in second] == [("pending", "retry after 1 failed attempt")]
    [row] = [r for r in rows(runtime, bad, "pending") if r.kind == "timeout"]
    assert row.next_attempt_at == due + timedelta(seconds=60 + 120)  # doubled

    third = run_sweep(runtime, due + timedelta(seconds=180))
    assert [f.status for f in third] == ["stuck"]
    [stuck] = rows(runtime, bad, "stuck")
    assert stuck.attempts == SETTINGS.max_attempts
    assert "NoResponder" in stuck.last_error
    assert run_sweep(runtime, due + timedelta(days=1)) == []  # stuck rows are left alone
    assert current(runtime, bad).stage_key == "social_worker"
    assert [e.kind for e in events(runtime, bad)] == ["raise_formal", "remind", "remind"]

    overview = deadline_overview(runtime, due + timedelta(days=1))
    [shown] = [v for v in overview if v.section == "stuck"]
    assert shown.reference == bad.reference
    assert "gave up after 3 failed attempts" in shown.reason
    assert "NoResponder" in shown.reason


def test_the_overview_says_why_each_deadline_is_where_it_is(
    runtime: Runtime, council: Council
) -> None:
    c = raise_formal(runtime, council, WED)
    views = deadline_overview(runtime, utc(2026, 12, 8, 12, 0))
    assert [(v.section, v.kind) for v in views] == [
        ("overdue", "reminder"),
        ("upcoming", "reminder"),
        ("upcoming", "timeout"),
        ("upcoming", "cap"),
    ]
    assert all(v.reference == c.reference for v in views)
    assert "waiting for the next sweep" in views[0].reason
    assert views[2].reason.startswith("stage social_worker due at 2026-12-09T17:00:00+00:00")
