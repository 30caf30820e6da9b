"""The outbox over real SMTP to an aiosmtpd server on loopback."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select

from notifications import sender as sender_module
from notifications.sender import claim_due, send_pending
from notifications.sent_marks import mark_sent
from notifications.sink import Sink, captured
from notifications.tables import MailAlert, OutboxMessage
from tests.notifications.conftest import free_port, outbox
from workflow.tables import utc_now


def _arrived(handler):
    return [message_from_bytes(e.original_content, policy=policy.default) for e in handler.received]


def test_a_pending_message_arrives_with_its_headers(
    runtime, raised, smtp_server, now, mail_settings
):
    report = send_pending(runtime.engine, now=now + timedelta(seconds=1))
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [message] = _arrived(smtp_server)
    row = outbox(runtime)[0]
    assert message["Message-ID"] == row.message_id
    assert message["To"] == "sw@council.test"
    assert message["From"] == "IRO disputes <disputes@council.test>"
    assert message["Subject"].startswith(f"[{raised.reference}]")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["Reply-To"] == row.headers["Reply-To"]
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "/respond/" in text
    assert smtp_server.received[0].rcpt_tos == ["sw@council.test"]
    assert row.status == "sent" and row.sent_at is not None
    assert row.smtp_reply.startswith("250") and "TEST123" in row.smtp_reply
    # Live links are blanked in the stored copy once sent.
    token = text.split("/respond/")[1].split()[0]
    assert row.secrets == [] and token not in row.body_text and token not in row.body_html
    assert "/respond/(link removed after sending)" in row.body_text
    # Sent once: a second run finds nothing to do.
    assert send_pending(runtime.engine, now=now + timedelta(hours=1)).sent == 0
    assert len(smtp_server.received) == 1


def test_a_temporary_failure_is_retried_with_back_off(runtime, raised, smtp_server, now):
    smtp_server.behaviour.replies = ["451 4.3.0 Try again later"]
    report = send_pending(runtime.engine, now=now)
    assert (report.sent, report.retrying) == (0, 1)
    row = outbox(runtime)[0]
    assert row.status == "pending" and row.attempts == 1 and "451" in row.last_error
    assert row.next_attempt_at >= now + timedelta(seconds=60)
    # Not due yet: nothing happens.
    assert send_pending(runtime.engine, now=now + timedelta(seconds=30)).sent == 0
    report = send_pending(runtime.engine, now=row.next_attempt_at)
    assert report.sent == 1
    assert len(smtp_server.received) == 1
    assert outbox(runtime)[0].attempts == 2


def test_a_permanent_failure_gives_up_and_alerts_an_admin(runtime, raised, smtp_server, now):
    smtp_server.behaviour.replies = ["550 5.1.1 No such mailbox"]
    report = send_pending(runtime.engine, now=now)
    assert report.failed == 1
    row = outbox(runtime)[0]
    assert row.status == "failed" and "550" in row.last_error
    with Session(runtime.engine) as s:
        alert = s.exec(select(MailAlert)).one()
    assert alert.kind == "send_failed" and alert.outbox_id == row.id
    assert "sw@council.test" in alert.message and "550" in alert.message
    assert send_pending(runtime.engine, now=now + timedelta(days=1)).sent == 0
    assert smtp_server.received == []


def test_a_dropped_connection_is_retried(runtime, raised, smtp_server, now):
    smtp_server.behaviour.replies = ["close"]
    report = send_pending(runtime.engine, now=now)
    assert report.retrying == 1 and report.sent == 0
    row = outbox(runtime)[0]
    assert row.status == "pending" and "connection" in row.last_error
    assert send_pending(runtime.engine, now=row.next_attempt_at).sent == 1


def test_no_server_at_all_leaves_the_messages_due_and_uncharged(
    runtime, raised, mail_settings, now
):
    report = send_pending(runtime.engine, now=now)  # nothing listens on smtp_port
    assert (report.deferred, report.retrying, report.failed) == (1, 0, 0)
    assert "cannot connect to the mail server" in report.errors[0]
    row = outbox(runtime)[0]
    assert row.status == "pending" and row.attempts == 0 and row.next_attempt_at <= now


def test_it_gives_up_after_the_last_attempt(runtime, raised, smtp_server, now, mail_settings):
    settings = mail_settings.model_copy(update={"mail_max_attempts": 3})
    smtp_server.behaviour.replies = ["451 busy"] * 3
    at = now
    for _ in range(3):
        send_pending(runtime.engine, now=at, settings=settings)
        at = outbox(runtime)[0].next_attempt_at
    row = outbox(runtime)[0]
    assert row.status == "failed" and row.attempts == 3
    assert smtp_server.received == []


def test_a_row_being_sent_is_not_taken_by_another_sender(runtime, raised, smtp_server, now):
    _, ids = claim_due(runtime.engine, now, 10, timedelta(minutes=5))
    assert len(ids) == 1
    # A second sender within the lease finds nothing.
    assert send_pending(runtime.engine, now=now + timedelta(minutes=1)).sent == 0
    assert smtp_server.received == []


def test_crash_between_send_and_mark_resends_with_the_same_message_id(
    runtime, raised, mail_settings, now, monkeypatch
):
    """The honest boundary: the server got it, we died before 'sent'. After the lease the
    row goes again with the SAME Message-ID, and a receiver that dedupes on it (our sink
    does, as most mail stores do) keeps one copy."""
    sink = Sink(mail_settings.model_copy(update={"sink_port": mail_settings.smtp_port}))
    sink.start()
    try:

        def crash(*args, **kwargs):
            raise SystemExit("killed between send and mark")

        monkeypatch.setattr(sender_module, "mark_sent_batch", crash)
        with pytest.raises(SystemExit):
            send_pending(runtime.engine, now=now)
        row = outbox(runtime)[0]
        assert row.status == "sending"  # the server has it; we never recorded that
        monkeypatch.undo()
        # Within the lease nothing is re-sent; after it, the same message goes again.
        assert send_pending(runtime.engine, now=now + timedelta(seconds=60)).sent == 0
        later = utc_now() + timedelta(minutes=6)  # the lease runs on the real clock
        report = send_pending(runtime.engine, now=now, clock=lambda: later)
        assert report.sent == 1
        assert outbox(runtime)[0].status == "sent"
        messages = captured(mail_settings.sink_dir)
        assert [m.message_id for m in messages] == [row.message_id]
    finally:
        sink.stop()


def test_a_stale_sender_cannot_mark_a_row_it_lost(runtime, raised, now):
    real = utc_now()
    claim, ids = claim_due(runtime.engine, now, 10, timedelta(seconds=10), lambda: real)
    new_claim, again = claim_due(
        runtime.engine, now, 10, timedelta(minutes=5), lambda: real + timedelta(seconds=11)
    )
    assert again == ids
    mark_sent(runtime.engine, ids[0], claim, "250 late")
    with Session(runtime.engine) as s:
        row = s.get(OutboxMessage, ids[0])
    assert row.status == "sending" and row.claim == new_claim


def test_the_sink_keeps_messages_as_a_maildir_with_their_links(runtime, raised, mail_settings, now):
    port = free_port()
    sink = Sink(mail_settings.model_copy(update={"sink_port": port}))
    sink.start()
    try:
        settings = mail_settings.model_copy(update={"smtp_port": port})
        assert send_pending(runtime.engine, now=now, settings=settings).sent == 1
    finally:
        sink.stop()
    assert (mail_settings.sink_dir / "new").is_dir() or (mail_settings.sink_dir / "cur").is_dir()
    [message] = captured(mail_settings.sink_dir)
    assert message.to == "sw@council.test"
    assert message.subject.startswith(f"[{raised.reference}]")
    assert any("/respond/" in link for link in message.links)
    assert any(link.endswith(f"/challenges/{raised.reference}") for link in message.links)


def test_controller_port_zero_is_why_we_pick_ports(mail_settings):
    # The finding behind free_port(): keep it honest if aiosmtpd ever fixes it.
    controller = Controller(object(), hostname="127.0.0.1", port=0)
    with pytest.raises((OSError, RuntimeError, TimeoutError)):
        controller.start()
    controller.stop(no_assert=True)


def test_it_signs_in_when_a_username_is_set(runtime, raised, mail_settings, now):
    from aiosmtpd.smtp import AuthResult
    from pydantic import SecretStr

    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")

    class Keep:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            return "250 OK"

    port = free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_require_tls=False)  # fmt: skip
    controller.start()
    try:
        wrong = mail_settings.model_copy(update={"smtp_port": port, "smtp_username": "relay",
                                                 "smtp_password": SecretStr("nope")})  # fmt: skip
        assert send_pending(runtime.engine, now=now, settings=wrong).deferred == 1
        right = wrong.model_copy(update={"smtp_password": SecretStr("s3cret")})
        row = outbox(runtime)[0]
        assert send_pending(runtime.engine, now=row.next_attempt_at, settings=right).sent == 1
    finally:
        controller.stop()
    assert seen == [(b"relay", b"nope"), (b"relay", b"s3cret")]
