"""Quarantine people act on, and the refusals made before a message is stored."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from notifications.admin import mail_overview
from notifications.inbound import assign, receive
from notifications.quarantine import queue_admin_digest, waiting_count, waiting_for_challenge
from notifications.settings import use_settings
from notifications.smtp_receiver import Receiver
from notifications.tables import InboundMail, OutboxMessage
from tests.notifications.conftest import free_port
from tests.notifications.test_inbound_corpus import fill
from workflow.tables import ChallengeEvent, Person


@pytest.fixture
def admin_id(runtime) -> int:
    with Session(runtime.engine) as s:
        admin = Person(email="admin@council.test", name="Ann Admin", role="admin")
        s.add(admin)
        s.commit()
        assert admin.id is not None
        return admin.id


def _kind(runtime, kind: str) -> list[OutboxMessage]:
    with Session(runtime.engine) as s:
        return list(s.exec(select(OutboxMessage).where(OutboxMessage.kind == kind)))


def test_a_message_over_the_size_limit_keeps_only_its_headers(runtime, raised, mail_settings, now):
    use_settings(mail_settings.model_copy(update={"mail_max_inbound_bytes": 2048}))
    raw = fill("gmail", runtime).replace(b"Thanks Imogen", b"Thanks Imogen" + b" padding" * 400)
    with runtime.uow() as uow:
        result = receive(uow, raw, "t", now)
    assert result.status.value == "quarantined"
    assert f"too large: {len(raw):,} bytes, over the limit of 2,048" in result.reason
    with Session(runtime.engine) as s:
        row = s.get(InboundMail, result.inbound_id)
    assert b"padding" not in row.raw and row.raw.startswith(b"MIME-Version")
    assert row.from_address == "sw@council.test" and row.subject.startswith("Re: ")


def test_the_smtp_receiver_refuses_an_oversized_message_before_storing_it(
    runtime, raised, mail_settings, now
):
    port = free_port()
    settings = mail_settings.model_copy(update={"receiver_port": port,
                                                "mail_max_inbound_bytes": 4096})  # fmt: skip
    receiver = Receiver(runtime, settings)
    receiver.start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            body = b"Subject: big\r\n\r\n" + b"x" * 70 + b"\r\n"
            # Refused at MAIL FROM when the client declares the SIZE ...
            with pytest.raises(smtplib.SMTPSenderRefused) as refused:
                client.sendmail("sw@council.test", ["disputes@council.test"], body * 200)
            assert refused.value.smtp_code == 552
            # ... and while the data arrives when it does not.
            client.rset()
            client.ehlo()
            client.esmtp_features.pop("size", None)
            with pytest.raises(smtplib.SMTPDataError) as refused:
                client.sendmail("sw@council.test", ["disputes@council.test"], body * 200)
    finally:
        receiver.stop()
    assert refused.value.smtp_code == 552
    with Session(runtime.engine) as s:
        assert list(s.exec(select(InboundMail))) == []


def test_the_same_message_id_twice_is_one_item_and_one_acknowledgement(runtime, raised, now):
    raw = fill("wrong_sender", runtime)
    relayed = b"Received: from relay2.council.test; Wed, 2 Dec 2026 12:00:05 +0000\n" + raw
    with runtime.uow() as uow:
        first = receive(uow, raw, "imap", now)
    with runtime.uow() as uow:
        again = receive(uow, relayed, "smtp", now)
    assert again.duplicate and again.inbound_id == first.inbound_id
    with Session(runtime.engine) as s:
        assert len(list(s.exec(select(InboundMail)))) == 1
    [ack] = _kind(runtime, "quarantine_ack")
    assert ack.to_address == "hos@council.test"
    assert "a member of the team will look at it" in ack.body_text


def test_the_iro_sees_a_reply_waiting_and_the_admin_gets_an_hourly_digest(
    runtime, raised, admin_id, now
):
    with runtime.uow() as uow:
        receive(uow, fill("wrong_sender", runtime), "t", now)
    with Session(runtime.engine) as s:
        [waiting] = waiting_for_challenge(s, raised.id)
        assert waiting.from_address == "hos@council.test" and waiting_count(s) == 1
        assert queue_admin_digest(s, now) == 1
        assert queue_admin_digest(s, now + timedelta(minutes=40)) == 0  # nothing new
    with runtime.uow() as uow:
        receive(uow, fill("unknown_sender", runtime), "t", now + timedelta(minutes=50))
    with Session(runtime.engine) as s:
        assert queue_admin_digest(s, now + timedelta(minutes=55)) == 0  # same hour
        assert queue_admin_digest(s, now + timedelta(minutes=65)) == 1
    first, second = _kind(runtime, "quarantine_digest")
    assert "hos@council.test" in first.body_text and "not the responder" in first.body_text
    assert "someone@example.org" in second.body_text and "hos@council" not in second.body_text
    assert "2 in all are waiting" in second.body_text


def test_the_assign_form_is_prefilled_and_the_admin_may_correct_the_text(
    runtime, raised, council, admin_id, now
):
    with runtime.uow() as uow:
        result = receive(uow, fill("iphone_empty", runtime), "t", now)
    assert "empty" in result.reason
    with Session(runtime.engine) as s:
        suggestion = mail_overview(s, now=now).suggestions[result.inbound_id]
    assert suggestion.reference == raised.reference
    with runtime.uow() as uow:
        assign(uow, result.inbound_id, raised.reference, admin_id, now,
               response="Booked for 9 December (told me by phone).",
               target_date="2026-12-09")  # fmt: skip
    with Session(runtime.engine) as s:
        event = s.exec(select(ChallengeEvent).where(ChallengeEvent.kind == "respond")).one()
    assert event.actor_id == council.social_worker
    assert event.details["response"] == "Booked for 9 December (told me by phone)."
    assert event.details["target_date"] == "2026-12-09"
