"""Reminders, decisions awaited, the cap and the weekly digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.wiring import build
from notifications.digest import queue_weekly_digests
from tests.factories import new_challenge
from tests.notifications.conftest import outbox
from workflow.deadline_settings import DeadlineSettings
from workflow.services import raise_challenge, take_action
from workflow.settings import WorkflowSettings
from workflow.states import Action
from workflow.sweep import sweep

SETTINGS = DeadlineSettings(IRO_DISPUTES_SWEEP_SECONDS=30, IRO_DISPUTES_SWEEP_BATCH=50)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_a_reminder_goes_to_the_responder_with_a_fresh_link(runtime, raised, now):
    # Due Wednesday 9 December 17:00; the handbook reminds 2 working days before, 09:00.
    sweep(runtime, utc(2026, 12, 7, 9, 30), worker="t", settings=SETTINGS)
    [reminder] = outbox(runtime, kind="reminder")
    assert reminder.to_address == "sw@council.test"
    assert (
        reminder.subject == f"[{raised.reference}] Reminder: response due Wednesday 9 December 2026"
    )
    assert "/respond/" in reminder.body_text
    assert reminder.headers["Reply-To"].startswith("disputes+")


def test_a_timeout_that_asks_the_iro_tells_the_iro(engine, council, now, mail_settings):
    runtime = build(WorkflowSettings(IRO_DISPUTES_LADDER="nottinghamshire"), engine=engine)
    with runtime.uow() as uow:
        challenge = raise_challenge(uow, new_challenge(now), council.iro, now)
    sweep(runtime, now + timedelta(days=30), worker="t", settings=SETTINGS)
    [message] = outbox(runtime, kind="decision_awaited")
    assert message.to_address == "iro@council.test"
    assert message.subject.startswith(f"[{challenge.reference}] No response in time")


def test_passing_the_cap_tells_the_head_of_service(runtime, raised, now):
    sweep(runtime, now + timedelta(days=60), worker="t", settings=SETTINGS)
    cap = outbox(runtime, kind="cap_passed")
    assert {m.to_address for m in cap} == {"hos@council.test", "iro@council.test"}
    assert all("20 working day" in m.subject for m in cap)
    # The automatic escalations told each next responder. Each stage is timed from the
    # last day of the one below (no working day lost), so a sweep 60 days on catches up
    # the whole climb, each deadline once, in due order.
    opened = [m.to_address for m in outbox(runtime, kind="stage_opened")]
    assert opened == ["sw@council.test", "tm@council.test", "hos@council.test", "ad@council.test"]


def test_withdrawn_tells_everyone_involved(runtime, raised, council, now):
    with runtime.uow() as uow:
        take_action(uow, raised.reference, Action.WITHDRAW, council.iro, {"reason": "Moved"}, now)
    assert sorted(m.to_address for m in outbox(runtime, kind="withdrawn")) == [
        "iro@council.test",
        "sw@council.test",
    ]


def test_the_weekly_digest_lists_open_due_and_overdue_once_a_week(
    runtime, council, now, mail_settings
):
    with runtime.uow() as uow:
        first = raise_challenge(uow, new_challenge(now), council.iro, now)
    later = now + timedelta(days=6)
    with runtime.uow() as uow:
        second = raise_challenge(uow, new_challenge(later, child="LL1002"), council.iro, later)
    monday = utc(2026, 12, 14, 8, 0)  # first is overdue (due 9 Dec), second due 15 Dec
    with runtime.uow() as uow:
        assert queue_weekly_digests(uow, monday) == 1
    with runtime.uow() as uow:
        assert queue_weekly_digests(uow, monday + timedelta(hours=3)) == 0  # same week
    [digest] = outbox(runtime, kind="digest")
    assert digest.to_address == "hos@council.test"
    assert digest.subject == "IRO challenges this week: 2 open, 1 overdue"
    overdue, _, due = digest.body_text.partition("Due in the next 7 days")
    assert first.reference in overdue and second.reference not in overdue
    assert second.reference in due
    assert "Child LL1001" not in digest.body_text  # case references only
