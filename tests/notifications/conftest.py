"""Fixtures for the mail tests: settings in a temporary folder, the listener
installed, real SMTP servers on loopback ports picked beforehand."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, col, select

from notifications.composing import compose_due
from notifications.settings import MailSettings, get_mail_settings, use_settings
from notifications.tables import OutboxMessage
from tests.factories import Council, new_challenge
from workflow.domain import Challenge
from workflow.runtime import Runtime
from workflow.services import raise_challenge


def free_port() -> int:
    """aiosmtpd's Controller(port=0) fails: ask the kernel for a free port first."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mail_settings(tmp_path: Path) -> Iterator[MailSettings]:
    settings = MailSettings(
        data_dir=tmp_path / "data",
        smtp_host="127.0.0.1",
        smtp_port=free_port(),
        smtp_timeout_seconds=5,
        mail_from="IRO disputes <disputes@council.test>",
        reply_local="disputes",
        reply_domain="council.test",
        base_url="https://disputes.council.test",
        imap_host="",
    )
    use_settings(settings)
    yield settings
    use_settings(None)


@pytest.fixture
def raised(
    runtime: Runtime, council: Council, now: datetime, mail_settings: MailSettings
) -> Challenge:
    """A formal challenge at the social worker stage, with its emails in the outbox."""
    with runtime.uow() as uow:
        return raise_challenge(uow, new_challenge(now, stage="social_worker"), council.iro, now)


def outbox(runtime: Runtime, **where: Any) -> list[OutboxMessage]:
    """The outbox as the sender will send it: rows still due are composed first."""
    compose_all(runtime)
    with Session(runtime.engine) as s:
        query = select(OutboxMessage).order_by(OutboxMessage.id)  # type: ignore[arg-type]
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return list(s.exec(query))


def compose_all(runtime: Runtime) -> None:
    settings = get_mail_settings()
    with Session(runtime.engine) as s:
        due = s.exec(select(OutboxMessage).where(col(OutboxMessage.due).is_not(None)))
        for row in list(due):
            compose_due(s, row, settings, row.created_at)
        s.commit()


@dataclass
class Behaviour:
    """What the test SMTP server does with the next messages."""

    # e.g. "451 ...", "550 ...", "close" (drop the line), "slow" (answer after 3 s), None (accept)
    replies: list[str | None] = field(default_factory=list)


class RecordingHandler:
    def __init__(self) -> None:
        self.received: list[Any] = []
        self.behaviour = Behaviour()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        reply = self.behaviour.replies.pop(0) if self.behaviour.replies else None
        if reply == "close":
            server.transport.close()
            await asyncio.sleep(0)
            return "421 closing"
        if reply == "slow":
            await asyncio.sleep(3)
            return "250 2.0.0 Ok: too late, the client gave up"
        if reply is not None:
            return reply
        self.received.append(envelope)
        return "250 2.0.0 Ok: queued as TEST123"


@pytest.fixture
def smtp_server(mail_settings: MailSettings) -> Iterator[RecordingHandler]:
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=mail_settings.smtp_port)
    controller.start()
    yield handler
    controller.stop()
