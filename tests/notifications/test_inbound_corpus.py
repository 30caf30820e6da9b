"""Replies in the shapes real clients send, each with its expected outcome and kept text,
through the function itself, the real SMTP receiver and a real IMAP mailbox (dovecot)."""

from __future__ import annotations

import re
import smtplib
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr
from sqlmodel import Session, col, select

from notifications.imap_poller import poll
from notifications.inbound import InboundResult, receive
from notifications.inbound_files import inbound_attachments
from notifications.settings import get_mail_settings
from notifications.smtp_receiver import InboundHandler
from notifications.tables import InboundMail, InboundStatus, MailAlert, OutboxMessage
from tests.notifications.conftest import free_port, outbox
from tests.notifications.dovecot import dovecot_server
from workflow.states import State
from workflow.tables import ChallengeEvent

CORPUS = Path(__file__).parent / "corpus"
EXPECTED = tomllib.loads((CORPUS / "expected.toml").read_text())


def fill(name: str, runtime) -> bytes:
    row = outbox(runtime)[0]
    token = row.headers["Reply-To"].split("+", 1)[1].split("@", 1)[0]
    text = (CORPUS / f"{name}.eml").read_text()
    text = text.replace("{{TOKEN}}", token).replace("{{MSGID}}", row.message_id)
    return text.replace("{{SUBJECT}}", row.subject).encode("utf-8")


def test_every_corpus_file_has_an_expected_outcome():
    assert {p.stem for p in CORPUS.glob("*.eml")} == set(EXPECTED)


@pytest.fixture(scope="module")
def imap_server():
    with dovecot_server() as server:
        yield server


def deliver(route: str, raw: bytes, runtime, at, request) -> InboundResult:
    """Through the real path: the function itself, the SMTP receiver, or an IMAP mailbox."""
    if route == "direct":
        with runtime.uow() as uow:
            return receive(uow, raw, "test", at)
    settings = get_mail_settings()
    if route == "smtp":
        port = free_port()
        handler = InboundHandler(runtime, clock=lambda: at, domain=settings.reply_domain)
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            with smtplib.SMTP("127.0.0.1", port) as client:
                wire = re.sub(rb"\r?\n", b"\r\n", raw)  # SMTP carries CRLF line ends
                client.sendmail("sw@council.test", ["disputes@council.test"], wire)
        finally:
            controller.stop()
        with Session(runtime.engine) as s:
            row = s.exec(select(InboundMail).order_by(col(InboundMail.id).desc())).first()
        assert row is not None and row.id is not None
        return InboundResult(row.id, InboundStatus(row.status), row.reason)
    imap = request.getfixturevalue("imap_server")
    imap.deliver(raw)
    polled = settings.model_copy(
        update={"imap_host": imap.host, "imap_port": imap.port, "imap_ssl": False,
                "imap_user": imap.user, "imap_password": SecretStr(imap.password)}
    )  # fmt: skip
    [result] = poll(runtime, at, polled).results
    return result


@pytest.mark.parametrize("route", ["direct", "smtp", "imap"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_reply(name, route, runtime, raised, now, request):
    expected = EXPECTED[name]
    raw = fill(name, runtime)
    at = now + timedelta(hours=4)
    result = deliver(route, raw, runtime, at, request)
    assert result.status.value == expected["status"], result.reason
    assert expected.get("reason_has", "") in result.reason
    with Session(runtime.engine) as s:
        stored = s.get(InboundMail, result.inbound_id)
        responses = list(s.exec(select(ChallengeEvent).where(ChallengeEvent.kind == "respond")))
        alerts = list(s.exec(select(MailAlert)))
        acks = list(s.exec(select(OutboxMessage).where(OutboxMessage.kind == "quarantine_ack")))
    # Kept exactly as it came (the wire carries CRLF line ends and a final line end).
    assert stored.raw.replace(b"\r\n", b"\n").rstrip(b"\n") == raw.replace(b"\r\n", b"\n").rstrip(
        b"\n"
    )
    with runtime.uow() as uow:
        state = uow.challenges.get(raised.reference).state
    if "text" in expected:
        assert stored.reply_text == expected["text"]
    if expected["status"] == "matched":
        assert stored.matched_by == expected["matched_by"]
        assert state is State.RESPONSE_RECEIVED
        [event] = responses
        details = event.details
        assert expected["response_has"] in details["response"]
        assert expected["actions_has"] in details["actions"]
        assert (details["target_date"] or "") == expected["target_date"]
        assert details.get("no_target_date_given", False) == (not expected["target_date"])
        # The quoted history, signature, disclaimer and banner are gone.
        for quoted in ("Dear Sam", "wrote:", "Sent from my iPhone", "From:", "Outlook for",
                       "confidential", "CAUTION", "Social Worker |", "Kind regards"):  # fmt: skip
            assert quoted not in details["response"], details["response"]
        assert stored.challenge_id == raised.id
        assert [a.filename for a in inbound_attachments(stored.raw)] == expected.get(
            "attachments", []
        )
    else:
        assert state is State.AWAITING_RESPONSE  # never moves the challenge
        assert responses == []
    assert bool(alerts) == expected.get("alert", False)
    if expected.get("alert"):
        assert alerts[0].kind == "bounce"
        assert alerts[0].outbox_id == outbox(runtime)[0].id
        assert "sw@council.test" in alerts[0].message and "5.1.1" in alerts[0].message
    assert len(acks) == int(expected.get("acknowledged", False))


def test_the_same_message_twice_is_handled_once(runtime, raised, now):
    raw = fill("gmail", runtime)
    with runtime.uow() as uow:
        first = receive(uow, raw, "imap", now)
    with runtime.uow() as uow:
        again = receive(uow, raw, "imap", now)
    assert again.duplicate and again.inbound_id == first.inbound_id
    with Session(runtime.engine) as s:
        assert len(list(s.exec(select(InboundMail)))) == 1


def test_two_workers_storing_the_same_message_keep_one(runtime, raised, now, monkeypatch):
    """The other worker committed between our check and our insert: theirs stands."""
    import notifications.inbound as inbound

    raw = fill("gmail", runtime)
    with runtime.uow() as uow:
        first = receive(uow, raw, "imap", now)
    real = inbound._already_received
    calls = []

    def miss_once(uow, digest, message_id=None):
        calls.append(digest)
        return None if len(calls) == 1 else real(uow, digest, message_id)

    monkeypatch.setattr(inbound, "_already_received", miss_once)
    with runtime.uow() as uow:
        again = receive(uow, raw, "imap", now)
    assert len(calls) == 2
    assert again.duplicate and again.inbound_id == first.inbound_id
