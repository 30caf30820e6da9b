"""GOV.UK Notify as the way out, for councils that use it (`notifications-python-client`).

Notify sends a template, so the council makes one email template whose subject is
`((subject))` and whose body is `((body))`; we pass our rendered subject and plain
text. Notify sets its own Message-ID and allows only reply-to addresses set up in
the service, so replies reach the council mailbox named by `notify_reply_to_id`
and are matched by the `[IRO-YYYY-NNNN]` in the subject (docs/mail.md). Notify
cannot attach files to an email: a message with attachments is refused by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import parseaddr

import requests
from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from notifications.settings import MailSettings
from notifications.transport import Connection, PermanentFailure, TemporaryFailure

# Notify's answers that retrying cannot change (bad request, bad key, unknown template).
_PERMANENT = {400, 403, 404}


class NotifyTransport:
    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        s = self.settings
        client = NotificationsAPIClient(  # type: ignore[no-untyped-call]
            s.notify_api_key.get_secret_value(), base_url=s.notify_base_url,
            timeout=s.smtp_timeout_seconds,
        )  # fmt: skip
        yield _NotifyConnection(client, s)


class _NotifyConnection:
    def __init__(self, client: NotificationsAPIClient, settings: MailSettings) -> None:
        self.client, self.settings = client, settings

    def send(self, message: EmailMessage) -> str:
        if any(True for _ in message.iter_attachments()):
            raise PermanentFailure(
                "GOV.UK Notify cannot attach files to an email: send this message over SMTP"
            )
        body = message.get_body(preferencelist=("plain",))
        text = str(body.get_content()) if body is not None else ""
        try:
            result = self.client.send_email_notification(  # type: ignore[no-untyped-call]
                email_address=parseaddr(str(message["To"]))[1],
                template_id=self.settings.notify_template_id,
                personalisation={"subject": str(message["Subject"]), "body": text},
                reference=str(message["Message-ID"]).strip("<>"),
                email_reply_to_id=self.settings.notify_reply_to_id or None,
            )
        except HTTPError as error:
            raise _classify(error) from error
        except requests.RequestException as error:
            raise TemporaryFailure(f"GOV.UK Notify did not answer: {error}") from error
        return f"201 GOV.UK Notify notification {result.get('id', '')}"


def _classify(error: HTTPError) -> Exception:
    messages = error.message if isinstance(error.message, list) else [error.message]
    detail = "; ".join(
        f"{m.get('error')}: {m.get('message')}" if isinstance(m, dict) else str(m)
        for m in messages
        if m
    )
    text = f"GOV.UK Notify answered {error.status_code}: {detail or error}"
    if error.status_code in _PERMANENT:
        return PermanentFailure(text)
    return TemporaryFailure(text)  # 429 rate limit, 5xx
