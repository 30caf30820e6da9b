"""Polling a real mailbox over IMAP for replies.

Each unseen message is fetched without marking it (BODY.PEEK[]), handed to
`notifications.inbound.receive`, and only then flagged \\Seen. A crash between
the two re-reads the message next time; `receive` recognises it by its SHA-256
and does nothing twice.
"""

from __future__ import annotations

import contextlib
import imaplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime

from notifications.inbound import InboundResult, receive
from notifications.m365 import access_token, xoauth2
from notifications.settings import MailAuth, MailSettings, get_mail_settings
from notifications.transport import PermanentFailure, TemporaryFailure
from workflow.runtime import Runtime


class ImapError(Exception):
    pass


@dataclass
class PollReport:
    fetched: int = 0
    results: list[InboundResult] = field(default_factory=list)


def connect(settings: MailSettings) -> imaplib.IMAP4:
    if settings.imap_ssl:
        client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
            settings.imap_host, settings.imap_port, ssl_context=ssl.create_default_context()
        )
    else:
        client = imaplib.IMAP4(settings.imap_host, settings.imap_port)
    try:
        if settings.mail_auth is MailAuth.M365:
            response = xoauth2(settings.imap_user, access_token(settings)).encode()
            client.authenticate("XOAUTH2", lambda _challenge: response)
        else:
            client.login(settings.imap_user, settings.imap_password.get_secret_value())
    except (imaplib.IMAP4.error, TemporaryFailure, PermanentFailure):
        client.shutdown()
        raise
    return client


def poll(runtime: Runtime, now: datetime, settings: MailSettings | None = None) -> PollReport:
    settings = settings or get_mail_settings()
    report = PollReport()
    if not settings.imap_host:
        return report
    try:
        client = connect(settings)
    except (OSError, imaplib.IMAP4.error, TemporaryFailure, PermanentFailure) as error:
        raise ImapError(f"cannot sign in to {settings.imap_host}: {error}") from error
    try:
        status, _ = client.select(_quoted(settings.imap_folder))
        if status != "OK":
            raise ImapError(f"no folder {settings.imap_folder!r} on {settings.imap_host}")
        status, data = client.uid("SEARCH", "UNSEEN")
        uids = data[0].decode().split() if status == "OK" and data and data[0] else []
        for uid in uids:
            raw = _fetch(client, uid)
            if raw is None:
                continue
            with runtime.uow() as uow:
                report.results.append(receive(uow, raw, "imap", now))
            client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            report.fetched += 1
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    return report


def _fetch(client: imaplib.IMAP4, uid: str) -> bytes | None:
    status, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
