"""The poller against a real IMAP server (dovecot) on loopback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import SecretStr

from notifications.imap_poller import ImapError, poll
from tests.notifications.dovecot import dovecot_server
from tests.notifications.test_inbound_corpus import fill
from workflow.states import State


@pytest.fixture
def imap():
    with dovecot_server() as server:
        yield server


def _settings(mail_settings, imap, **extra):
    return mail_settings.model_copy(
        update={
            "imap_host": imap.host,
            "imap_port": imap.port,
            "imap_ssl": False,
            "imap_user": imap.user,
            "imap_password": SecretStr(imap.password),
            **extra,
        }
    )


def test_replies_in_the_mailbox_are_matched_and_marked_seen(
    runtime, raised, imap, mail_settings, now
):
    imap.deliver(fill("gmail", runtime))
    imap.deliver(fill("out_of_office", runtime))
    settings = _settings(mail_settings, imap)
    report = poll(runtime, now + timedelta(hours=2), settings)
    assert report.fetched == 2
    assert sorted(r.status.value for r in report.results) == ["ignored", "matched"]
    with runtime.uow() as uow:
        assert uow.challenges.get(raised.reference).state is State.RESPONSE_RECEIVED
    # Seen now: the next poll fetches nothing.
    assert poll(runtime, now + timedelta(hours=3), settings).fetched == 0
    client = imap.client()
    client.select("INBOX")
    _, data = client.search(None, "SEEN")
    client.logout()
    assert len(data[0].split()) == 2


def test_a_message_seen_again_after_a_crash_is_not_recorded_twice(
    runtime, raised, imap, mail_settings, now
):
    imap.deliver(fill("gmail", runtime))
    settings = _settings(mail_settings, imap)
    poll(runtime, now + timedelta(hours=2), settings)
    client = imap.client()  # as if we died before flagging it \Seen
    client.select("INBOX")
    client.store("1", "-FLAGS", "(\\Seen)")
    client.logout()
    report = poll(runtime, now + timedelta(hours=3), settings)
    assert report.fetched == 1 and report.results[0].duplicate


def test_a_wrong_password_is_a_clear_error(runtime, imap, mail_settings, now):
    settings = _settings(mail_settings, imap, imap_password=SecretStr("wrong"))
    with pytest.raises(ImapError, match="cannot sign in"):
        poll(runtime, now, settings)


def test_no_imap_host_means_no_polling(runtime, mail_settings, now):
    assert poll(runtime, now, mail_settings).fetched == 0
