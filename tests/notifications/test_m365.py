"""Microsoft 365: tokens from msal (client credentials), XOAUTH2 for SMTP and IMAP,
against local stand-ins of the token endpoint and Exchange Online's protocols."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import SecretStr

from notifications.imap_poller import ImapError, poll
from notifications.sender import send_pending
from notifications.settings import MailAuth
from tests.notifications.conftest import outbox
from tests.notifications.m365_standins import (
    CLIENT_ID,
    MAILBOX,
    SECRET,
    TENANT,
    imap_mailbox,
    smtp_submission,
    token_endpoint,
)
from tests.notifications.test_inbound_corpus import fill
from tests.notifications.test_tls import certificate  # noqa: F401 (a fixture)
from workflow.states import State


@pytest.fixture
def tenant(certificate):  # noqa: F811
    cert_file, context = certificate
    with token_endpoint(cert_file, context) as (base, tenant):
        yield base, tenant, cert_file


def _m365(mail_settings, tenant, **extra):
    base, _, cert_file = tenant
    return mail_settings.model_copy(update={
        "mail_auth": MailAuth.M365, "m365_tenant_id": TENANT, "m365_client_id": CLIENT_ID,
        "m365_client_secret": SecretStr(SECRET), "m365_authority_host": base,
        "m365_ca_file": cert_file, "smtp_username": MAILBOX, "imap_user": MAILBOX, **extra,
    })  # fmt: skip


def test_mail_goes_out_through_smtp_with_an_app_token(runtime, raised, tenant, mail_settings, now):
    _, issued, _ = tenant
    with smtp_submission(issued) as (port, server):
        settings = _m365(mail_settings, tenant, smtp_port=port)
        assert send_pending(runtime.engine, now=now, settings=settings).sent == 1
    assert server.signed_in == [MAILBOX]
    [request] = issued.requests
    assert request["grant_type"] == ["client_credentials"]
    assert request["scope"] == ["https://outlook.office365.com/.default"]
    assert outbox(runtime)[0].status == "sent"


def test_the_token_is_reused_until_it_expires(runtime, council, tenant, mail_settings, now):
    from tests.factories import new_challenge
    from workflow.services import raise_challenge

    _, issued, _ = tenant
    with smtp_submission(issued) as (port, server):
        settings = _m365(mail_settings, tenant, smtp_port=port)
        for child in ("LL1001", "LL1002"):
            with runtime.uow() as uow:
                raise_challenge(uow, new_challenge(now, child=child, stage="social_worker"),
                                council.iro, now)  # fmt: skip
            assert send_pending(runtime.engine, now=now, settings=settings).sent == 1
    assert len(issued.requests) == 1 and server.signed_in == [MAILBOX, MAILBOX]


def test_a_wrong_client_secret_is_a_clear_error_and_nothing_is_lost(
    runtime, raised, tenant, mail_settings, now
):
    _, issued, _ = tenant
    with smtp_submission(issued) as (port, server):
        settings = _m365(mail_settings, tenant, smtp_port=port,
                         m365_client_secret=SecretStr("wrong"))  # fmt: skip
        report = send_pending(runtime.engine, now=now, settings=settings)
    assert report.deferred == 1 and server.received == []
    assert "invalid_client" in report.errors[0] and "AADSTS7000215" in report.errors[0]
    row = outbox(runtime)[0]
    assert row.status == "pending" and row.attempts == 0


def test_a_password_is_refused_where_exchange_online_refuses_it(
    runtime, raised, tenant, mail_settings, now
):
    _, issued, _ = tenant
    with smtp_submission(issued) as (port, server):
        settings = mail_settings.model_copy(update={
            "smtp_port": port, "smtp_username": MAILBOX, "smtp_password": SecretStr("pw")})  # fmt: skip
        report = send_pending(runtime.engine, now=now, settings=settings)
    assert report.sent == 0 and server.received == []


def test_replies_are_read_over_imap_with_an_app_token(runtime, raised, tenant, mail_settings, now):
    _, issued, _ = tenant
    with imap_mailbox(issued) as (port, box):
        box.deliver(fill("gmail", runtime))
        settings = _m365(mail_settings, tenant, imap_host="127.0.0.1", imap_port=port,
                         imap_ssl=False)  # fmt: skip
        report = poll(runtime, now + timedelta(hours=2), settings)
        assert [r.status.value for r in report.results] == ["matched"]
        assert poll(runtime, now + timedelta(hours=3), settings).fetched == 0  # marked \\Seen
    with runtime.uow() as uow:
        assert uow.challenges.get(raised.reference).state is State.RESPONSE_RECEIVED


def test_imap_with_a_password_gets_exchange_online_s_refusal(runtime, tenant, mail_settings, now):
    _, issued, _ = tenant
    with imap_mailbox(issued) as (port, _box):
        settings = mail_settings.model_copy(update={
            "imap_host": "127.0.0.1", "imap_port": port, "imap_ssl": False,
            "imap_user": MAILBOX, "imap_password": SecretStr("pw")})  # fmt: skip
        with pytest.raises(ImapError, match="basic authentication is disabled"):
            poll(runtime, now, settings)
