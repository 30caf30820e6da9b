"""The development mail sink: an SMTP server on 127.0.0.1 that keeps everything.

`make run` needs no mail server: the default SMTP settings point at this sink,
which stores each message in a Maildir under IRO_DISPUTES_DATA_DIR/mail. A
development-only page lists them with their links, so one person can play
every role from one browser. A message whose Message-ID is already in the
Maildir is not stored twice (what a receiving system does with a re-send).

The sink greets with its folder, so the service can tell its own sink (perhaps
run by `iro-disputes mail sink`) from another program on the port: it never
delivers into someone else's sink, and says which setting to change.
"""

from __future__ import annotations

import mailbox
import re
import socket
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from notifications import sink_index
from notifications.settings import MailSettings, get_mail_settings

LINK = re.compile(r"https?://[^\s<>\"')]+")


class SinkPortTaken(RuntimeError):
    """Another program listens on the sink's port: sending there would deliver into it."""


def identity(folder: Path) -> str:
    return f"iro-disputes-sink {folder.resolve()}"


class MaildirHandler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.parent.mkdir(parents=True, exist_ok=True)
        self.maildir = mailbox.Maildir(str(folder), create=True)
        sink_index.catch_up(folder, sink_index.files(folder))
        self.seen = sink_index.message_ids(folder)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode("utf-8")
        message_id = str(message_from_bytes(raw, policy=policy.default).get("Message-ID") or "")
        if message_id and message_id in self.seen:
            return "250 OK (already have this Message-ID)"
        key = self.maildir.add(raw)
        sink_index.add(self.folder, key, raw)
        self.seen.add(message_id)
        return "250 OK stored"


class Sink:
    """Start and stop the sink; `port=0` is refused by aiosmtpd, so pass a real port."""

    def __init__(self, settings: MailSettings | None = None) -> None:
        self.settings = settings or get_mail_settings()
        self.controller: Controller | None = None

    def start(self) -> None:
        """Listen on the configured port; `SinkPortTaken` when another program has it."""
        s = self.settings
        handler = MaildirHandler(s.sink_dir)
        self.controller = Controller(handler, hostname=s.sink_host, port=s.sink_port,
                                     ident=identity(s.sink_dir))  # fmt: skip
        try:
            self.controller.start()
        except (OSError, RuntimeError) as error:
            self.controller.stop(no_assert=True)  # closes its event loop and sockets
            self.controller.loop.close()
            self.controller = None
            raise SinkPortTaken(
                f"the mail sink cannot listen on {s.sink_host}:{s.sink_port}: the port is taken "
                f"({error}). Set IRO_DISPUTES_SINK_PORT (and IRO_DISPUTES_SMTP_PORT) to a free port"
            ) from error

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


_running: list[Sink] = []


def ensure_sink_running(settings: MailSettings | None = None) -> bool:
    """Start the sink in this process if the settings send to it and nobody runs it yet.

    True when our sink is listening (this process's, or another process of ours for the
    same folder); `SinkPortTaken` when a different program holds the port."""
    settings = settings or get_mail_settings()
    if not settings.sends_to_sink:
        return False
    if _running:
        return True
    sink = Sink(settings)
    try:
        sink.start()
    except SinkPortTaken:
        if greeting(settings.sink_host, settings.sink_port).endswith(identity(settings.sink_dir)):
            return True  # `iro-disputes mail sink` for this folder runs in another process
        raise
    _running.append(sink)
    return True


def greeting(host: str, port: int) -> str:
    """The banner the server on host:port greets with ('' if none answers)."""
    try:
        with socket.create_connection((host, port), timeout=2) as connection:
            return connection.recv(512).decode("utf-8", "replace").strip()
    except OSError:
        return ""


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


def captured(
    folder: Path | None = None, limit: int = 200, search: str = "", offset: int = 0
) -> list[Captured]:
    """The messages in the sink, newest first, with the links they carry."""
    return captured_page(folder, search, offset, limit)[0]


def captured_page(
    folder: Path | None, search: str = "", offset: int = 0, limit: int = 25
) -> tuple[list[Captured], int]:
    """One page of the sink, newest first, and how many messages match in all."""
    folder = folder or get_mail_settings().sink_dir
    if not folder.exists():
        return [], 0
    on_disk = sink_index.files(folder)
    sink_index.catch_up(folder, on_disk)
    found = sink_index.page(folder, search, offset, limit)
    shown = [key for key in found.keys if key in on_disk]  # a file deleted by hand is skipped
    return [_read(key, on_disk[key].read_bytes()) for key in shown], found.total


def _read(key: str, raw: bytes) -> Captured:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(preferencelist=("plain",))
    text = str(body.get_content()) if body is not None else ""
    try:
        when = parsedate_to_datetime(str(message["Date"])) if message["Date"] else None
    except (TypeError, ValueError):
        when = None
    return Captured(
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
