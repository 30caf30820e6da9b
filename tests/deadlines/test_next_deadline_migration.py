"""Migration 0021: existing databases keep one pending row per clock, and nothing is lost
or doubled: every deadline the old rows planned still fires once, in order."""

from __future__ import annotations

from datetime import timedelta

from alembic import command

from tests.deadlines.conftest import (
    CAP,
    WED,
    events,
    pending,
    raise_formal,
    run_sweep,
    stage_clock,
    utc,
)
from tests.factories import Council
from workflow.migrate import alembic_config
from workflow.runtime import Runtime


def _migrate(runtime: Runtime, target: str) -> None:
    config = alembic_config()
    with runtime.engine.begin() as conn:
        config.attributes["connection"] = conn
        (command.upgrade if target == "heads" else command.downgrade)(config, target)


def test_the_downgrade_plans_every_point_and_the_upgrade_keeps_the_first(
    runtime: Runtime, council: Council
) -> None:
    fresh = raise_formal(runtime, council, WED)
    halfway = raise_formal(runtime, council, WED + timedelta(hours=1), child="LL1002")
    run_sweep(runtime, utc(2026, 12, 7, 9, 0))  # both first reminders fire
    whole_fresh = stage_clock(runtime, fresh, WED)
    assert len(whole_fresh) == 3

    _migrate(runtime, "0020_log_seek")  # as the old planner keeps them: every point pending
    assert pending(runtime, fresh) == [
        ("reminder", utc(2026, 12, 9, 9, 0)),
        ("timeout", utc(2026, 12, 9, 17, 0)),
        ("cap", CAP),
    ]
    assert pending(runtime, halfway) == pending(runtime, fresh)
    _migrate(runtime, "0020_log_seek")  # nothing to do twice
    assert len(pending(runtime, fresh)) == 3

    _migrate(runtime, "heads")
    assert pending(runtime, fresh) == [("reminder", utc(2026, 12, 9, 9, 0)), ("cap", CAP)]
    assert pending(runtime, halfway) == pending(runtime, fresh)

    # The rest comes back as each fires: once each, in order, the timeout escalating.
    fired = run_sweep(runtime, utc(2026, 12, 9, 17, 30))
    assert [(f.reference, f.kind) for f in fired] == [
        (fresh.reference, "reminder"),
        (halfway.reference, "reminder"),
        (fresh.reference, "timeout"),
        (halfway.reference, "timeout"),
    ]
    for c in (fresh, halfway):
        assert [e.kind for e in events(runtime, c)] == [
            "raise_formal",
            "remind",
            "remind",
            "time_out",
        ]


def test_the_upgrade_keeps_rows_being_retried(runtime: Runtime, council: Council) -> None:
    c = raise_formal(runtime, council, WED)
    _migrate(runtime, "0020_log_seek")
    with runtime.engine.begin() as conn:  # the first reminder failed once, old style
        conn.exec_driver_sql(
            "UPDATE deadline SET attempts = 1 WHERE kind = 'reminder' AND due_at = "
            "(SELECT MIN(due_at) FROM deadline WHERE kind = 'reminder')"
        )
    _migrate(runtime, "heads")
    # The retried reminder stays, and so does the next one: the clock runs on.
    assert [k for k, _ in pending(runtime, c)] == ["reminder", "reminder", "cap"]
