"""Deadlines planned with the event that sets them, and fired once by the sweep."""

from __future__ import annotations

from datetime import timedelta

from tests.deadlines.conftest import (
    CAP,
    DUE,
    SECOND,
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
from tests.factories import Council, new_challenge
from workflow.runtime import Runtime
from workflow.services import raise_challenge, take_action
from workflow.states import State


def test_a_raise_plans_the_stage_clocks_first_deadline_and_the_cap_in_its_transaction(
    runtime: Runtime, council: Council
) -> None:
    c = raise_formal(runtime, council, WED)
    # The stage clock's reminders and timeout, planned one row at a time: the first now.
    assert stage_clock(runtime, c, WED) == [
        ("reminder", utc(2026, 12, 7, 9, 0)),
        ("reminder", utc(2026, 12, 9, 9, 0)),
        ("timeout", DUE),
    ]
    assert pending(runtime, c) == [("reminder", utc(2026, 12, 7, 9, 0)), ("cap", CAP)]
    assert {r.applies_to_due_at for r in rows(runtime, c) if r.kind != "cap"} == {DUE}
    assert {r.challenge_version for r in rows(runtime, c)} == {1}
    assert {r.stage_key for r in rows(runtime, c)} == {"social_worker"}


def test_each_reminder_point_fires_once_on_schedule(runtime: Runtime, council: Council) -> None:
    c = raise_formal(runtime, council, WED)
    assert run_sweep(runtime, utc(2026, 12, 7, 9, 0) - SECOND) == []
    first = run_sweep(runtime, utc(2026, 12, 7, 9, 0))
    assert [(f.kind, f.status, f.late_seconds, f.reason) for f in first] == [
        ("reminder", "done", 0, "on schedule")
    ]
    assert run_sweep(runtime, utc(2026, 12, 7, 9, 1)) == []
    second = run_sweep(runtime, utc(2026, 12, 9, 9, 0, 20))
    assert [(f.kind, f.late_seconds, f.reason) for f in second] == [("reminder", 20, "on schedule")]
    log = events(runtime, c)
    assert [e.kind for e in log] == ["raise_formal", "remind", "remind"]
    remind = log[1].details
    assert remind["responder_id"] == council.social_worker
    assert remind["reminder"] == "2 working days before the due day"
    assert remind["stage_due_at"] == DUE.isoformat()
    assert log[2].details["reminder"] == "morning of the due day"
    assert current(runtime, c).state is State.AWAITING_RESPONSE  # a reminder moves nothing


def test_a_timeout_escalates_automatically_and_plans_the_next_stage(
    runtime: Runtime, council: Council
) -> None:
    c = raise_formal(runtime, council, WED)
    run_sweep(runtime, DUE - SECOND)  # the reminders
    fired = run_sweep(runtime, DUE + timedelta(seconds=12))
    assert [(f.kind, f.outcome, f.late_seconds) for f in fired] == [
        ("timeout", "escalated from social_worker to team_manager", 12)
    ]
    after = current(runtime, c)
    assert after.state is State.AWAITING_RESPONSE
    assert after.stage_key == "team_manager"
    assert after.responder_id == council.team_manager
    timeout = events(runtime, c)[-1]
    assert timeout.kind == "time_out"
    assert timeout.actor_id is None
    assert timeout.details["late_seconds"] == 12
    assert timeout.details["due_at"] == DUE.isoformat()
    assert timeout.details["reason"] == "on schedule"
    # The new stage's first deadline came with the escalation; the cap did not move.
    new_stage = [(r.kind, r.applies_to_due_at, r.stage_key) for r in rows(runtime, c, "pending")]
    assert new_stage == [("reminder", after.due_at, "team_manager"), ("cap", CAP, "social_worker")]
    assert run_sweep(runtime, DUE + timedelta(minutes=1)) == []


def test_ask_the_iro_timeout_stops_the_clock_and_keeps_the_cap(
    notts: Runtime, council: Council
) -> None:
    c = raise_formal(notts, council, WED, stage="iro_alert")
    due = current(notts, c).due_at
    assert due == utc(2026, 12, 16, 17, 0)  # 10 working days
    fired = run_sweep(notts, due + timedelta(minutes=1))
    assert [f.outcome for f in fired if f.kind == "timeout"] == [
        "out of time: awaiting the IRO's decision"
    ]
    after = current(notts, c)
    assert after.state is State.AWAITING_IRO_DECISION
    assert after.stage_key == "iro_alert"
    assert pending(notts, c) == [("cap", CAP)]


def test_the_overall_cap_alerts_the_head_of_service_once(notts: Runtime, council: Council) -> None:
    c = raise_formal(notts, council, WED, stage="iro_alert")
    run_sweep(notts, utc(2026, 12, 17, 9, 0))  # reminders and the ask-the-IRO timeout
    fired = run_sweep(notts, CAP + timedelta(minutes=2))
    assert [(f.kind, f.outcome, f.late_seconds) for f in fired] == [
        ("cap", "overall cap passed: Head of Service alerted", 120)
    ]
    alert = events(notts, c)[-1]
    assert alert.kind == "alert_cap"
    assert alert.details["head_of_service_id"] == council.head_of_service
    assert alert.details["cap_due_at"] == CAP.isoformat()
    # The IRO extends: the stage clock runs again, but the cap alert is not repeated.
    with notts.uow() as uow:
        take_action(uow, c.reference, "extend", council.iro,
                    {"working_days": 2, "reason": "New manager"}, CAP + timedelta(hours=1))  # fmt: skip
    assert [k for k, _ in pending(notts, c)] == ["reminder"]  # the rest as each fires
    assert [f.kind for f in run_sweep(notts, CAP + timedelta(days=4))] == [
        "reminder",
        "reminder",
        "timeout",
    ]
    assert [e.kind for e in events(notts, c)].count("alert_cap") == 1


def test_an_escalation_keeps_the_caps_row_and_a_pause_replans_it(
    runtime: Runtime, council: Council
) -> None:
    c = raise_formal(runtime, council, WED)
    [cap] = [r for r in rows(runtime, c) if r.kind == "cap"]
    run_sweep(runtime, DUE)  # two reminders, then the timeout escalates
    assert current(runtime, c).stage_key == "team_manager"
    # The cap did not move: its row is the same one, still pending, neither cancelled nor
    # planned again; the ended stage's other rows were closed and the new stage's planned.
    assert [(r.id, r.status) for r in rows(runtime, c) if r.kind == "cap"] == [(cap.id, "pending")]
    assert [(r.kind, r.status) for r in rows(runtime, c) if r.kind != "cap"] == [
        ("reminder", "done"),
        ("reminder", "done"),
        ("timeout", "done"),
        ("reminder", "pending"),  # the new stage's first; the rest as each fires
    ]
    # A pause stops the cap (its row is cancelled); the resume plans the moved cap afresh.
    with runtime.uow() as uow:
        take_action(uow, c.reference, "pause", council.iro, {"reason": "Child in hospital"},
                    DUE + timedelta(hours=1))  # fmt: skip
    assert [r.status for r in rows(runtime, c) if r.kind == "cap"] == ["cancelled"]
    with runtime.uow() as uow:
        resumed = take_action(uow, c.reference, "resume", council.iro, {"reason": "Home"},
                              utc(2026, 12, 14, 10, 0))  # fmt: skip
    assert resumed.cap_due_at is not None and resumed.cap_due_at > CAP
    assert ("cap", resumed.cap_due_at) in pending(runtime, c)
    # The cap fires once, at its moved date.
    fired = run_sweep(runtime, resumed.cap_due_at)
    assert [f.kind for f in fired].count("cap") == 1
    assert [e.kind for e in events(runtime, c)].count("alert_cap") == 1


def test_pause_and_resume_across_a_bank_holiday_moves_the_deadline(
    runtime: Runtime, council: Council
) -> None:
    # Raised Wed 23 Dec 2026: due Mon 4 Jan 2027 (24 Dec is day 1).
    c = raise_formal(runtime, council, utc(2026, 12, 23, 10, 0))
    assert current(runtime, c).due_at == CAP.replace(day=4)
    with runtime.uow() as uow:
        take_action(uow, c.reference, "pause", council.iro, {"reason": "Child in hospital"},
                    utc(2026, 12, 24, 10, 0))  # fmt: skip
    assert pending(runtime, c) == []  # a paused clock has no deadlines
    assert run_sweep(runtime, utc(2026, 12, 29, 9, 0)) == []
    with runtime.uow() as uow:
        resumed = take_action(uow, c.reference, "resume", council.iro, {"reason": "Home"},
                              utc(2026, 12, 29, 10, 0))  # fmt: skip
    # Paused over 24 Dec to 29 Dec: 25 and 28 Dec are bank holidays, so one working day (29th).
    assert resumed.due_at == utc(2027, 1, 5, 17, 0)
    [first] = [r for r in rows(runtime, c, "pending") if r.kind != "cap"]
    assert (first.kind, first.applies_to_due_at) == ("reminder", resumed.due_at)
    assert ("timeout", resumed.due_at) in stage_clock(runtime, c, utc(2026, 12, 29, 10, 0))
    assert [f.kind for f in run_sweep(runtime, utc(2027, 1, 4, 17, 0))] == ["reminder"]
    assert current(runtime, c).stage_key == "social_worker"
    fired = run_sweep(runtime, utc(2027, 1, 5, 17, 0))
    assert [(f.kind, f.status) for f in fired] == [("reminder", "done"), ("timeout", "done")]
    assert current(runtime, c).stage_key == "team_manager"


def test_an_extension_moves_the_timeout_and_the_old_one_never_fires(
    runtime: Runtime, council: Council
) -> None:
    c = raise_formal(runtime, council, WED)
    with runtime.uow() as uow:
        extended = take_action(uow, c.reference, "extend", council.iro,
                               {"working_days": 3, "reason": "Awaiting a report"},
                               WED + timedelta(days=1))  # fmt: skip
    assert extended.due_at == utc(2026, 12, 14, 17, 0)
    cancelled = rows(runtime, c, "cancelled")  # the old stage clock's pending row
    assert [(r.kind, r.due_at, r.applies_to_due_at) for r in cancelled] == [
        ("reminder", utc(2026, 12, 7, 9, 0), DUE)
    ]
    assert "moved on (extend" in cancelled[0].outcome
    # The reminders moved too: 2 working days before Mon 14 Dec is Thu 10 Dec.
    assert ("reminder", utc(2026, 12, 10, 9, 0)) in pending(runtime, c)
    assert run_sweep(runtime, DUE + timedelta(hours=1)) == []
    assert current(runtime, c).stage_key == "social_worker"
    fired = run_sweep(runtime, extended.due_at + SECOND)
    assert [f.kind for f in fired if f.status == "done"] == ["reminder", "reminder", "timeout"]
    assert current(runtime, c).stage_key == "team_manager"


def test_a_challenge_resolved_one_second_before_its_deadline_fires_nothing(
    runtime: Runtime, council: Council
) -> None:
    c = raise_formal(runtime, council, WED)
    run_sweep(runtime, DUE - timedelta(hours=1))  # the reminders, on time
    answer = {"response": "Booked", "actions": "Assessment 10 Dec", "target_date": "2026-12-10"}
    with runtime.uow() as uow:
        take_action(uow, c.reference, "respond", council.social_worker, answer, DUE - 2 * SECOND)
    with runtime.uow() as uow:
        take_action(uow, c.reference, "accept", council.iro,
                    {"outcome_kind": "plan_updated", "outcome": "Booked", "impact": "Asthma reviewed"}, DUE - SECOND)  # fmt: skip
    before = [e.kind for e in events(runtime, c)]
    assert run_sweep(runtime, DUE) == []
    assert run_sweep(runtime, CAP + timedelta(days=1)) == []
    assert [e.kind for e in events(runtime, c)] == before
    assert pending(runtime, c) == []
    assert {r.status for r in rows(runtime, c)} == {"done", "cancelled"}


def test_an_informal_agreed_date_that_passes_asks_the_iro(
    runtime: Runtime, council: Council
) -> None:
    with runtime.uow() as uow:
        c = raise_challenge(uow, new_challenge(WED, formal=False), council.iro, WED)
    # Agreed by Tue 1 Dec: out of time at 17:00 that day, before it was even recorded.
    assert pending(runtime, c) == [("timeout", utc(2026, 12, 1, 17, 0))]  # no stage, no cap
    [fired] = run_sweep(runtime, WED + timedelta(minutes=1))
    assert (fired.kind, fired.outcome) == ("timeout", "out of time: awaiting the IRO's decision")
    assert fired.late_seconds == 17 * 3600 + 60
    assert fired.reason == "catch-up after downtime"
    assert current(runtime, c).state is State.AWAITING_IRO_DECISION
    assert pending(runtime, c) == []
