"""A built-in SMTP receiver for councils that forward replies to the service.

Each message accepted is passed to `notifications.inbound.receive`; the reply
is 250 once the raw message is stored, whatever we then decide about it
(quarantine included): nothing is dropped, and the forwarding system never
retries a message we already hold.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.controller import Controller

from notifications.inbound import receive
from notifications.settings import MailSettings, get_mail_settings
from workflow.runtime import Runtime


class InboundHandler:
    def __init__(
        self,
        runtime: Runtime,
        clock: Callable[[], datetime] | None = None,
        domain: str | None = None,
    ) -> None:
        self.runtime = runtime
        self.clock = clock or (lambda: datetime.now(UTC))
        self.domain = (domain or get_mail_settings().reply_domain).lower()

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        """Only our reply domain: we are a mailbox, never a relay."""
        if address.rsplit("@", 1)[-1].lower() != self.domain:
            return "550 5.1.1 Not a mailbox of this service"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode("utf-8")
        try:
            with self.runtime.uow() as uow:
                receive(uow, raw, "smtp", self.clock())
        except Exception:  # the store failed: ask the sender to try again later
            return "451 Requested action aborted: local error in processing"
        return "250 OK"


class Receiver:
    def __init__(self, runtime: Runtime, settings: MailSettings | None = None) -> None:
        self.runtime = runtime
        self.settings = settings or get_mail_settings()
        self.controller: Controller | None = None

    def start(self) -> None:
        s = self.settings
        self.controller = Controller(
            InboundHandler(self.runtime, domain=s.reply_domain),
            hostname=s.receiver_host,
            port=s.receiver_port,
            # Over the limit is refused (552) while the message arrives, before it is stored.
            data_size_limit=s.mail_max_inbound_bytes,
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
