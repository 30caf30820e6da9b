"""The answer convention, deputies, an admin's assignment, and the SMTP receiver."""

from __future__ import annotations

import smtplib
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from notifications.answer import answer_params, parse_uk_date
from notifications.inbound import assign, receive
from notifications.settings import MailSettings
from notifications.smtp_receiver import Receiver
from notifications.tables import InboundMail
from tests.factories import new_challenge
from tests.notifications.conftest import free_port, outbox
from tests.notifications.test_inbound_corpus import fill
from workflow.errors import DomainError
from workflow.services import raise_challenge
from workflow.states import State
from workflow.tables import ChallengeEvent, Person

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09/12/2026", date(2026, 12, 9)),
        ("9/12/26", date(2026, 12, 9)),
        ("9.12.2026", date(2026, 12, 9)),
        ("2026-12-09", date(2026, 12, 9)),
        ("9 December 2026", date(2026, 12, 9)),
        ("Wednesday 9th Dec 2026", date(2026, 12, 9)),
        ("9 Dec", date(2026, 12, 9)),
        ("5 January", date(2027, 1, 5)),  # no year, already past this year: next year
        ("31/02/2027", None),
        ("Friday 29 Jan", date(2027, 1, 29)),
        ("**29th of January 2027**", date(2027, 1, 29)),
        ("Jan 29, 2027", date(2027, 1, 29)),
        ("next week", None),
        ("", None),
    ],
)
def test_uk_dates(text, expected):
    assert parse_uk_date(text, NOW) == expected


def test_the_convention_splits_response_actions_and_date():
    reply = (
        "Booked now.\nActions: nurse to visit\n  and SW to attend\nTarget date: 10/12/2026\nThanks"
    )
    params = answer_params(reply, NOW)
    assert params == {
        "response": "Booked now.\nThanks",
        "actions": "nurse to visit\nand SW to attend",
        "target_date": "2026-12-10",
    }


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("I will get this done by Friday 29 Jan.", "2027-01-29"),
        ("Booked for 8 December, outcome to you by 15/12/2026.", "2026-12-15"),
        ("The review on 1 November missed it; new date *10 December 2026*.", "2026-12-10"),
        ("We met on 30/11/2026 and agreed a plan.", None),  # only a past date: no target
        ("I'll book it as soon as I can.", None),
        ("> Please book it by 1 December 2027\n\nWill do.", None),  # the question's date
    ],
)
def test_a_target_date_is_found_in_free_text(reply, expected):
    assert answer_params(reply, NOW)["target_date"] == expected


# NOW is Wednesday 2 December 2026, 10:00 London.
@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("I'll have it booked by Friday.", "2026-12-04"),
        ("Will be done by Fri", "2026-12-04"),
        ("Booked; the report will be with you before end of play Monday.", "2026-12-07"),
        ("Due Tuesday, I have chased the nurse.", "2026-12-08"),
        ("I'll get it done by this Thursday.", "2026-12-03"),
        ("by *Friday*", "2026-12-04"),
        ("by Wednesday", None),  # the day it came: today, or a week today?
        ("I'll do it by next Friday.", None),  # this week's or the week after's
        ("By Friday week at the latest.", None),
        ("By Monday, or Tuesday at the latest.", None),  # two different days
        ("The nurse came on Friday; I'll book the rest by monitoring.", None),
        ("> Please answer by Friday\n\nI will.", None),  # the question's weekday
        ("By Friday 29 Jan.", "2027-01-29"),  # a written date wins
    ],
)
def test_a_weekday_alone_is_the_next_such_day_in_london(reply, expected):
    assert answer_params(reply, NOW)["target_date"] == expected


def test_the_weekday_is_counted_from_the_london_date_not_utc():
    # 23:30 UTC on Sunday 28 June 2026 is already Monday 29 June in London (BST).
    late = datetime(2026, 6, 28, 23, 30, tzinfo=UTC)
    assert answer_params("Done by Monday", late)["target_date"] is None  # today in London
    assert answer_params("Done by Tuesday", late)["target_date"] == "2026-06-30"


def test_without_an_actions_line_the_reply_is_the_actions():
    params = answer_params("Will book it this week.\nTarget date: 10 Dec", NOW)
    assert params["actions"] == params["response"] == "Will book it this week."


def _raw(sender, subject, body="Done.\nActions: booked\nTarget date: 10/12/2026"):
    return (
        f"From: {sender}\r\nTo: disputes@council.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <{abs(hash((sender, subject, body)))}@client.test>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n"
    ).encode()


def test_the_deputy_of_an_absent_responder_may_answer_by_email(
    runtime, council, now, mail_settings
):
    with Session(runtime.engine) as s:
        tm = s.get(Person, council.team_manager)
        tm.absent = True
        s.add(tm)
        s.commit()
    with runtime.uow() as uow:
        c = raise_challenge(uow, new_challenge(now, stage="team_manager"), council.iro, now)
    with runtime.uow() as uow:
        result = receive(uow, _raw("Dev Duty <DTM@council.test>", f"Re: [{c.reference}]"), "t", now)
    assert result.status.value == "matched", result.reason
    with Session(runtime.engine) as s:
        event = s.exec(select(ChallengeEvent).where(ChallengeEvent.kind == "respond")).one()
    assert event.actor_id == council.deputy_team_manager


def test_a_reply_to_a_challenge_no_longer_waiting_is_quarantined(runtime, raised, council, now):
    raw = fill("gmail", runtime)
    with runtime.uow() as uow:
        from workflow.services import take_action
        from workflow.states import Action

        take_action(uow, raised.reference, Action.WITHDRAW, council.iro, {"reason": "x"}, now)
    with runtime.uow() as uow:
        result = receive(uow, raw, "t", now)
    assert result.status.value == "quarantined"
    assert "has ended" in result.reason


def test_an_admin_assigns_a_quarantined_reply(runtime, raised, council, now):
    with Session(runtime.engine) as s:
        admin = Person(email="admin@council.test", name="Ann Admin", role="admin")
        s.add(admin)
        s.commit()
        admin_id = admin.id
    raw = _raw("sw@council.test", "About that assessment", "It is booked for next Thursday.")
    with runtime.uow() as uow:
        quarantined = receive(uow, raw, "t", now)
    assert quarantined.status.value == "quarantined"
    with runtime.uow() as uow, pytest.raises(DomainError, match="administrator"):
        assign(
            uow,
            quarantined.inbound_id,
            raised.reference,
            council.iro,
            now,
            target_date="2026-12-10",
        )
    with runtime.uow() as uow:
        result = assign(uow, quarantined.inbound_id, raised.reference, admin_id, now,
                        target_date="2026-12-10")  # fmt: skip
    assert result.status.value == "assigned"
    with Session(runtime.engine) as s:
        row = s.get(InboundMail, quarantined.inbound_id)
        event = s.exec(select(ChallengeEvent).where(ChallengeEvent.kind == "respond")).one()
    assert row.assigned_by_id == admin_id and row.challenge_id == raised.id
    assert event.actor_id == council.social_worker  # the manager answered, not the admin
    assert event.details["target_date"] == "2026-12-10"
    assert "booked for next Thursday" in event.details["response"]


def test_an_admin_cannot_make_someone_else_the_responder(runtime, raised, council, now):
    with Session(runtime.engine) as s:
        admin = Person(email="admin@council.test", name="Ann Admin", role="admin")
        s.add(admin)
        s.commit()
        admin_id = admin.id
    with runtime.uow() as uow:
        bad = receive(uow, fill("wrong_sender", runtime), "t", now)
    with runtime.uow() as uow, pytest.raises(DomainError, match="not the responder"):
        assign(uow, bad.inbound_id, raised.reference, admin_id, now)
    with runtime.uow() as uow:
        assert uow.challenges.get(raised.reference).state is State.AWAITING_RESPONSE


def crlf(raw: bytes) -> bytes:
    """What an MTA puts on the wire (the corpus files are stored with plain newlines)."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def test_the_smtp_receiver_takes_forwarded_replies(
    runtime, raised, mail_settings: MailSettings, now
):
    port = free_port()
    receiver = Receiver(runtime, mail_settings.model_copy(update={"receiver_port": port}))
    receiver.start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.sendmail(
                "forwarder@council.test",
                ["disputes@council.test"],
                crlf(fill("outlook_desktop", runtime)),
            )
            client.sendmail(
                "forwarder@council.test",
                ["disputes@council.test"],
                crlf(fill("forged_token", runtime)),
            )
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                client.sendmail(
                    "spam@example.net", ["someone@elsewhere.example"], b"Subject: x\r\n\r\nx"
                )
    finally:
        receiver.stop()
    with Session(runtime.engine) as s:
        rows = list(s.exec(select(InboundMail).order_by(InboundMail.id)))
    assert [(r.source, r.status) for r in rows] == [("smtp", "matched"), ("smtp", "quarantined")]
    assert outbox(runtime, kind="response_received")[0].to_address == "iro@council.test"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage without headers",
        b"From: =?utf-8?q?broken\r\nSubject: =?x-unknown?b?////?=\r\nContent-Type: text/plain; charset=x-nonsense\r\n\r\n\xff\xfe",
    ],
)
def test_mail_that_cannot_be_read_is_kept_in_quarantine(runtime, raised, now, raw):
    with runtime.uow() as uow:
        result = receive(uow, raw, "t", now)
    assert result.status.value == "quarantined"
    with Session(runtime.engine) as s:
        assert s.get(InboundMail, result.inbound_id).raw == raw
