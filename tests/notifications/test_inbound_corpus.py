"""Replies in the shapes real clients send, each with its expected outcome."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from notifications.inbound import receive
from notifications.tables import InboundMail, MailAlert
from tests.notifications.conftest import outbox
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


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_reply(name, runtime, raised, now):
    expected = EXPECTED[name]
    raw = fill(name, runtime)
    at = now + timedelta(hours=4)
    with runtime.uow() as uow:
        result = receive(uow, raw, "test", at)
    assert result.status.value == expected["status"], result.reason
    assert expected.get("reason_has", "") in result.reason
    with Session(runtime.engine) as s:
        stored = s.get(InboundMail, result.inbound_id)
        responses = list(s.exec(select(ChallengeEvent).where(ChallengeEvent.kind == "respond")))
        alerts = list(s.exec(select(MailAlert)))
    assert stored.raw == raw  # kept exactly as it came
    with runtime.uow() as uow:
        state = uow.challenges.get(raised.reference).state
    if expected["status"] == "matched":
        assert stored.matched_by == expected["matched_by"]
        assert state is State.RESPONSE_RECEIVED
        [event] = responses
        details = event.details
        assert expected["response_has"] in details["response"]
        assert expected["actions_has"] in details["actions"]
        assert details["target_date"] == expected["target_date"]
        # The quoted history and signature are gone.
        for quoted in ("What is wrong", "wrote:", "Sent from my iPhone", "From:"):
            assert quoted not in details["response"], details["response"]
        assert stored.challenge_id == raised.id
    else:
        assert state is State.AWAITING_RESPONSE  # never moves the challenge
        assert responses == []
    assert bool(alerts) == expected.get("alert", False)
    if expected.get("alert"):
        assert alerts[0].kind == "bounce"
        assert alerts[0].outbox_id == outbox(runtime)[0].id
        assert "sw@council.test" in alerts[0].message and "5.1.1" in alerts[0].message


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

    def miss_once(uow, digest):
        calls.append(digest)
        return None if len(calls) == 1 else real(uow, digest)

    monkeypatch.setattr(inbound, "_already_received", miss_once)
    with runtime.uow() as uow:
        again = receive(uow, raw, "imap", now)
    assert len(calls) == 2
    assert again.duplicate and again.inbound_id == first.inbound_id
