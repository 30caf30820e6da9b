"""Leases: a dead worker's claims come back; a worker that lost its lease writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.deadlines.conftest import DUE, SETTINGS, WED, events, raise_formal, utc
from tests.factories import Council
from workflow.runtime import Runtime
from workflow.sweep import claim, fire_batch, sweep

WALL = utc(2026, 11, 26, 12, 0)  # the real clock, which leases use


def test_a_dead_workers_claims_are_fired_by_another_once_the_lease_runs_out(
    runtime: Runtime, council: Council
) -> None:
    c = raise_formal(runtime, council, WED)
    claimed = claim(runtime, DUE, "dead", SETTINGS, lambda: WALL)
    assert [k.kind for k in claimed] == ["reminder"]  # the rest is planned as each fires
    # "dead" never fires them. While its lease lasts, nobody else may.
    assert sweep(runtime, DUE, "alive", SETTINGS, lambda: WALL + timedelta(seconds=299)) == []
    later = WALL + timedelta(seconds=SETTINGS.lease_seconds + 1)
    fired = sweep(runtime, DUE, "alive", SETTINGS, lambda: later)
    assert [(f.kind, f.status) for f in fired] == [
        ("reminder", "done"), ("reminder", "done"), ("timeout", "done"),
    ]  # fmt: skip
    assert [e.kind for e in events(runtime, c)] == ["raise_formal", "remind", "remind", "time_out"]


@pytest.mark.sweep_falls_back
def test_a_worker_that_lost_its_lease_writes_nothing(runtime: Runtime, council: Council) -> None:
    c = raise_formal(runtime, council, WED)
    slow = claim(runtime, DUE, "slow", SETTINGS, lambda: WALL)
    later = WALL + timedelta(seconds=SETTINGS.lease_seconds + 1)
    assert len(sweep(runtime, DUE, "fast", SETTINGS, lambda: later)) == 3
    # The slow worker wakes up and tries to fire what it claimed long ago.
    late = fire_batch(runtime, slow, DUE, "slow", SETTINGS, lambda: later)
    assert [f.status for f in late] == ["skipped"]
    assert [e.kind for e in events(runtime, c)] == ["raise_formal", "remind", "remind", "time_out"]


@pytest.mark.sweep_falls_back
def test_a_reminder_fired_meanwhile_by_another_worker_is_not_recorded_twice(
    runtime: Runtime, council: Council
) -> None:
    # A reminder leaves the challenge as it was, so only the claim check can stop a double.
    c = raise_formal(runtime, council, WED)
    monday = utc(2026, 12, 7, 9, 0)
    slow = claim(runtime, monday, "slow", SETTINGS, lambda: WALL)
    assert [k.kind for k in slow] == ["reminder"]
    later = WALL + timedelta(seconds=SETTINGS.lease_seconds + 1)
    assert [f.status for f in sweep(runtime, monday, "fast", SETTINGS, lambda: later)] == ["done"]
    late = fire_batch(runtime, slow, monday, "slow", SETTINGS, lambda: later)
    assert [(f.status, f.outcome) for f in late] == [
        ("skipped", "cancelled or taken by another worker meanwhile")
    ]
    assert [e.kind for e in events(runtime, c)] == ["raise_formal", "remind"]
