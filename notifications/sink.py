"""The development mail sink: an SMTP server on 127.0.0.1 that keeps everything.

`make run` needs no mail server: the default SMTP settings point at this sink,
which stores each message in a Maildir under IRO_DISPUTES_DATA_DIR/mail. A
development-only page lists them with their links, so one person can play
every role from one browser. A message whose Message-ID is already in the
Maildir is not stored twice (what a receiving system does with a re-send).
"""

from __future__ import annotations

import mailbox
import re
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from notifications.settings import MailSettings, get_mail_settings

LINK = re.compile(r"https?://[^\s<>\"')]+")


class MaildirHandler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.parent.mkdir(parents=True, exist_ok=True)
        self.maildir = mailbox.Maildir(str(folder), create=True)
        self.seen = {str(m.get("Message-ID") or "") for m in self.maildir}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode("utf-8")
        message_id = str(message_from_bytes(raw, policy=policy.default).get("Message-ID") or "")
        if message_id and message_id in self.seen:
            return "250 OK (already have this Message-ID)"
        self.maildir.add(raw)
        self.seen.add(message_id)
        return "250 OK stored"


class Sink:
    """Start and stop the sink; `port=0` is refused by aiosmtpd, so pass a real port."""

    def __init__(self, settings: MailSettings | None = None) -> None:
        self.settings = settings or get_mail_settings()
        self.controller: Controller | None = None

    def start(self) -> None:
        s = self.settings
        handler = MaildirHandler(s.sink_dir)
        self.controller = Controller(handler, hostname=s.sink_host, port=s.sink_port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


_running: list[Sink] = []


def ensure_sink_running(settings: MailSettings | None = None) -> bool:
    """Start the sink in this process if the settings send to it and nobody runs it yet.

    Returns True when a sink is listening (ours or another process's)."""
    settings = settings or get_mail_settings()
    if not settings.sends_to_sink:
        return False
    if _running:
        return True
    sink = Sink(settings)
    try:
        sink.start()
    except (OSError, RuntimeError):  # the port is taken: `iro-disputes mail sink` runs it
        sink.stop()
        return True
    _running.append(sink)
    return True


def stop_sink() -> None:
    while _running:
        _running.pop().stop()


@dataclass(frozen=True)
class Captured:
    key: str
    subject: str
    to: str
    sender: str
    date: datetime | None
    message_id: str
    links: tuple[str, ...]
    reply_to: str
    text: str


def captured(folder: Path | None = None, limit: int = 200) -> list[Captured]:
    """The messages in the sink, newest first, with the links they carry."""
    folder = folder or get_mail_settings().sink_dir
    if not folder.exists():
        return []
    box = mailbox.Maildir(str(folder), create=False)
    found = []
    for key in box.iterkeys():
        raw = box.get_bytes(key)
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        body = message.get_body(preferencelist=("plain",))
        text = str(body.get_content()) if body is not None else ""
        try:
            when = parsedate_to_datetime(str(message["Date"])) if message["Date"] else None
        except (TypeError, ValueError):
            when = None
        found.append(
            Captured(
                key=key,
                subject=str(message.get("Subject") or ""),
                to=str(message.get("To") or ""),
                sender=str(message.get("From") or ""),
                date=when,
                message_id=str(message.get("Message-ID") or ""),
                links=tuple(dict.fromkeys(LINK.findall(text))),
                reply_to=str(message.get("Reply-To") or ""),
                text=text,
            )
        )
    found.sort(key=lambda c: (c.date is None, c.date), reverse=True)
    return found[:limit]
