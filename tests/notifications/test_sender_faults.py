"""One bad connection affects only the message in flight; stale reminders never go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

from sqlmodel import Session

from notifications.sender import send_pending
from notifications.tables import OutboxMessage
from tests.factories import new_challenge
from tests.notifications.conftest import outbox
from workflow.deadline_settings import DeadlineSettings
from workflow.services import raise_challenge
from workflow.sweep import sweep
from workflow.tables import utc_now


def _three_messages(runtime, council, now) -> list[int]:
    """Three challenges: one email each to the social worker."""
    with runtime.uow() as uow:
        for child in ("LL1001", "LL1002", "LL1001"):
            raise_challenge(uow, new_challenge(now, child=child, stage="social_worker"),
                            council.iro, now)  # fmt: skip
    return [row.id for row in outbox(runtime)]


def _subjects(handler) -> list[str]:
    return [
        str(message_from_bytes(e.original_content, policy=policy.default)["Subject"])
        for e in handler.received
    ]


def _row(runtime, row_id) -> OutboxMessage:
    with Session(runtime.engine) as s:
        return s.get(OutboxMessage, row_id)


def test_a_connection_dropped_mid_batch_costs_only_the_message_in_flight(
    runtime, council, smtp_server, now, mail_settings
):
    first, second, third = _three_messages(runtime, council, now)
    smtp_server.behaviour.replies = [None, "close"]  # the second message loses the line
    report = send_pending(runtime.engine, now=now)
    assert (report.sent, report.retrying, report.deferred) == (2, 1, 0)
    assert [_row(runtime, i).status for i in (first, second, third)] == ["sent", "pending", "sent"]
    dropped = _row(runtime, second)
    assert dropped.attempts == 1 and dropped.next_attempt_at >= now + timedelta(seconds=60)
    assert _row(runtime, third).attempts == 1  # not charged for its neighbour's fault


def test_a_slow_relay_times_out_one_message_and_the_rest_go(
    runtime, council, smtp_server, now, mail_settings
):
    settings = mail_settings.model_copy(update={"smtp_timeout_seconds": 1})
    first, second, third = _three_messages(runtime, council, now)
    smtp_server.behaviour.replies = ["slow"]
    report = send_pending(runtime.engine, now=now, settings=settings)
    assert (report.sent, report.retrying) == (2, 1)
    assert (
        _row(runtime, first).status == "pending" and "timed out" in _row(runtime, first).last_error
    )
    assert {_row(runtime, i).status for i in (second, third)} == {"sent"}


def test_a_4xx_then_a_5xx_are_each_that_message_s_own(
    runtime, council, smtp_server, now, mail_settings
):
    first, second, third = _three_messages(runtime, council, now)
    smtp_server.behaviour.replies = ["451 4.7.1 Greylisted", "550 5.1.1 No such user"]
    report = send_pending(runtime.engine, now=now)
    assert (report.sent, report.retrying, report.failed) == (1, 1, 1)
    assert [_row(runtime, i).status for i in (first, second, third)] == [
        "pending",
        "failed",
        "sent",
    ]


def test_the_lease_follows_the_real_clock_when_a_job_runs_with_now(
    runtime, council, now, mail_settings
):
    """A drill with --now a month ahead must not hold rows for a month against live senders."""
    [row_id, *_] = _three_messages(runtime, council, now)
    drill = datetime.now(UTC) + timedelta(days=30)
    before = utc_now()
    send_pending(runtime.engine, now=drill)  # nothing listens: the rows are given back
    lease = timedelta(seconds=mail_settings.mail_lease_seconds)
    with Session(runtime.engine) as s:
        from notifications.sender import claim_due

        claim_due(runtime.engine, drill, 10, lease)
        row = s.get(OutboxMessage, row_id)
    assert before + lease <= row.lease_until <= utc_now() + lease


def test_a_reminder_whose_stage_timed_out_during_catch_up_is_not_sent(
    runtime, raised, smtp_server, now
):
    # Down from before the reminder (7 Dec) until after the timeout (9 Dec 17:00).
    settings = DeadlineSettings(IRO_DISPUTES_SWEEP_SECONDS=30, IRO_DISPUTES_SWEEP_BATCH=50)
    back = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
    sweep(runtime, back, worker="t", settings=settings)
    reminders = outbox(runtime, kind="reminder")
    assert reminders  # queued by the catch-up, moments before the timeout fired
    report = send_pending(runtime.engine, now=back)
    assert report.cancelled == len(reminders)
    for reminder in reminders:
        row = _row(runtime, reminder.id)
        assert row.status == "cancelled" and "moved on" in row.last_error
    assert not any("Reminder" in s for s in _subjects(smtp_server))
    assert any(s.startswith(f"[{raised.reference}]") for s in _subjects(smtp_server))


def test_a_reminder_still_current_is_sent(runtime, raised, smtp_server, now):
    settings = DeadlineSettings(IRO_DISPUTES_SWEEP_SECONDS=30, IRO_DISPUTES_SWEEP_BATCH=50)
    monday = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    sweep(runtime, monday, worker="t", settings=settings)
    assert send_pending(runtime.engine, now=monday).cancelled == 0
    assert any("Reminder" in s for s in _subjects(smtp_server))
