"""GOV.UK Notify as the way out, against a local stand-in of its API."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from notifications.sender import send_pending
from notifications.settings import MailTransport
from tests.notifications.conftest import outbox
from tests.notifications.notify_standin import API_KEY, REPLY_TO_ID, TEMPLATE_ID, notify_api


@pytest.fixture
def notify():
    with notify_api() as api:
        yield api


def _settings(mail_settings, notify, **extra):
    return mail_settings.model_copy(update={
        "mail_transport": MailTransport.NOTIFY, "notify_api_key": SecretStr(API_KEY),
        "notify_base_url": notify.base_url, "notify_template_id": TEMPLATE_ID,
        "notify_reply_to_id": REPLY_TO_ID, **extra,
    })  # fmt: skip


def test_a_message_goes_through_notify_with_the_council_reply_to(
    runtime, raised, notify, mail_settings, now
):
    report = send_pending(runtime.engine, now=now, settings=_settings(mail_settings, notify))
    assert report.sent == 1
    [sent] = notify.received
    row = outbox(runtime)[0]
    assert sent["email_address"] == "sw@council.test"
    assert sent["template_id"] == TEMPLATE_ID and sent["email_reply_to_id"] == REPLY_TO_ID
    assert sent["personalisation"]["subject"] == row.subject
    assert f"[{raised.reference}]" in sent["personalisation"]["subject"]  # replies match on it
    assert "What is wrong" in sent["personalisation"]["body"]
    assert sent["reference"] == row.message_id.strip("<>")
    assert row.status == "sent" and row.smtp_reply.startswith("201 GOV.UK Notify notification")


def test_notify_s_rate_limit_is_retried_and_a_bad_template_gives_up(
    runtime, raised, notify, mail_settings, now
):
    notify.answers = [429]
    report = send_pending(runtime.engine, now=now, settings=_settings(mail_settings, notify))
    assert report.retrying == 1 and "RateLimitError" in outbox(runtime)[0].last_error
    row = outbox(runtime)[0]
    report = send_pending(runtime.engine, now=row.next_attempt_at,
                          settings=_settings(mail_settings, notify, notify_template_id="nope"))  # fmt: skip
    assert report.failed == 1 and "Template not found" in outbox(runtime)[0].last_error


def test_a_wrong_api_key_is_refused_by_notify(runtime, raised, notify, mail_settings, now):
    wrong = (
        f"iro_disputes_test-{'0' * 8}-0000-0000-0000-{'0' * 12}-{'1' * 8}-1111-1111-1111-{'1' * 12}"
    )
    report = send_pending(runtime.engine, now=now,
                          settings=_settings(mail_settings, notify, notify_api_key=SecretStr(wrong)))  # fmt: skip
    assert report.failed == 1 and "AuthError" in outbox(runtime)[0].last_error
    assert notify.received == []
