"""The way out: a transport interface, its SMTP adapter, and errors split in two.

`TemporaryFailure` means try again later (4xx replies, a refused, dropped or
timed-out connection); `PermanentFailure` means give up (5xx replies). Tests and
other adapters implement `Transport`.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import parseaddr
from typing import Protocol

from notifications.settings import MailAuth, MailSettings, SmtpSecurity


class TemporaryFailure(Exception):
    """Try again later: 4xx replies, dropped or refused connections, timeouts."""


class PermanentFailure(Exception):
    """Give up: 5xx replies (unknown mailbox, refused content)."""


class Connection(Protocol):
    def send(self, message: EmailMessage) -> str:
        """Deliver one message; return the server's reply (it often holds a queue id)."""
        ...


class ConnectionLost(TemporaryFailure):
    """The connection itself failed: the rest of the batch waits for the next run."""


class Transport(Protocol):
    def connect(self) -> AbstractContextManager[Connection]: ...


class SmtpTransport:
    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        try:
            client = self._open()
        except (OSError, smtplib.SMTPException) as error:
            raise _classify(error) from error
        try:
            yield _SmtpConnection(client, parseaddr(self.settings.mail_from)[1])
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context(cafile=str(s.smtp_ca_file) if s.smtp_ca_file else None)
        client: smtplib.SMTP
        if s.smtp_security is SmtpSecurity.TLS:
            client = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds, context=context
            )
        else:
            client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
        try:
            if s.smtp_security is SmtpSecurity.STARTTLS:
                client.starttls(context=context)
            if s.mail_auth is MailAuth.M365:
                _sign_in_with_token(client, s)
            elif s.smtp_username:
                client.login(s.smtp_username, s.smtp_password.get_secret_value())
        except BaseException:
            client.close()  # a refused sign-in must not leave the socket open
            raise
        return client


def _sign_in_with_token(client: smtplib.SMTP, settings: MailSettings) -> None:
    from notifications.m365 import access_token, xoauth2

    response = xoauth2(settings.smtp_username, access_token(settings))
    client.ehlo_or_helo_if_needed()
    client.auth("XOAUTH2", lambda challenge=None: response if challenge is None else "")


class _SmtpConnection:
    def __init__(self, client: smtplib.SMTP, sender: str) -> None:
        self.client, self.sender = client, sender

    def send(self, message: EmailMessage) -> str:
        """MAIL, RCPT, DATA by hand, to keep the server's reply to DATA (its queue id)."""
        recipient = parseaddr(str(message["To"]))[1]
        try:
            self.client.ehlo_or_helo_if_needed()
            code, text = self.client.mail(self.sender)
            if code != 250:
                # Refusing our sender (TLS or sign-in required, sender not allowed) is about
                # our configuration, not this message: stop the batch and retry later.
                raise ConnectionLost(f"the server refused our sender: {_by_code(code, text)}")
            code, text = self.client.rcpt(recipient)
            if code not in (250, 251):
                self.client.rset()
                raise _by_code(code, text)
            code, text = self.client.data(message.as_bytes(policy=SMTP_POLICY))
        except (OSError, smtplib.SMTPException) as error:
            raise _classify(error) from error
        if code != 250:  # smtplib returns, rather than raises, the reply to the message itself
            raise _by_code(code, text)
        return f"{code} {text.decode('utf-8', 'replace')}"


def _by_code(code: int, text: bytes | str) -> Exception:
    detail = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    if 400 <= code < 500:
        return TemporaryFailure(f"{code} {detail}")
    return PermanentFailure(f"{code} {detail}")


def _classify(error: BaseException) -> Exception:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()))
        return _by_code(code, text)
    if isinstance(error, smtplib.SMTPResponseException):
        if error.smtp_code == -1:  # smtplib's code for "the server closed the connection"
            return ConnectionLost(f"connection problem: {error.smtp_error!r}")
        return _by_code(error.smtp_code, error.smtp_error)
    if isinstance(error, (smtplib.SMTPServerDisconnected, OSError, socket.timeout)):
        return ConnectionLost(f"connection problem: {error}")
    return PermanentFailure(str(error))
