"""Files sent with an outbox message: checked when queued, stored beside the row,
read back only by the sender.

The size limit (IRO_DISPUTES_MAIL_MAX_ATTACHMENT_BYTES) is on the total of a
message's files before encoding, and is enforced when the message is queued, so
a message the relay would refuse never reaches the outbox: the caller's
transaction fails with `AttachmentTooLarge`, which says what was too big and by
how much.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from notifications.settings import MailSettings
from notifications.tables import OutboxAttachment, OutboxMessage

_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_BAD_NAME = re.compile(r"[/\\\x00-\x1f\x7f]")
LIMIT_SETTING = "IRO_DISPUTES_MAIL_MAX_ATTACHMENT_BYTES"


@dataclass(frozen=True)
class Attachment:
    filename: str
    media_type: str  # "application/pdf"
    content: bytes

    @property
    def maintype(self) -> str:
        return self.media_type.split("/", 1)[0]

    @property
    def subtype(self) -> str:
        return self.media_type.split("/", 1)[1]


class AttachmentRefused(ValueError):
    """An attachment the outbox will not take; the message says which and why."""

    def __init__(self, key: str, problem: str) -> None:
        self.key, self.problem = key, problem
        super().__init__(f"Message {key!r} not queued: {problem}")


class AttachmentTooLarge(AttachmentRefused):
    def __init__(self, key: str, files: Sequence[Attachment], limit: int) -> None:
        self.total = sum(len(a.content) for a in files)
        self.limit = limit
        sizes = ", ".join(f"{a.filename} {len(a.content):,} bytes" for a in files)
        super().__init__(
            key,
            f"its attachments total {self.total:,} bytes ({sizes}), "
            f"{self.total - limit:,} bytes over the limit of {limit:,} bytes ({LIMIT_SETTING})",
        )


def check_attachments(key: str, files: Sequence[Attachment], settings: MailSettings) -> None:
    """Raise `AttachmentRefused` unless every file is well formed and all fit the limit."""
    for a in files:
        if not a.filename.strip() or _BAD_NAME.search(a.filename) or len(a.filename) > 255:
            raise AttachmentRefused(key, f"the file name {a.filename!r} is empty, too long, "
                                         "or has a path or control character in it")  # fmt: skip
        if not _MEDIA_TYPE.match(a.media_type) or len(a.media_type) > 100:
            raise AttachmentRefused(
                key, f"{a.filename}: {a.media_type!r} is not a media type like 'application/pdf'"
            )
    if sum(len(a.content) for a in files) > settings.mail_max_attachment_bytes:
        raise AttachmentTooLarge(key, files, settings.mail_max_attachment_bytes)


def add_attachments(session: Session, row: OutboxMessage, files: Sequence[Attachment]) -> None:
    """Store `files` with `row`, in the caller's transaction (flushes to get the row's id)."""
    if not files:
        return
    if row.id is None:
        session.flush()
    assert row.id is not None
    for position, a in enumerate(files):
        session.add(
            OutboxAttachment(
                outbox_id=row.id,
                position=position,
                filename=a.filename,
                media_type=a.media_type,
                size=len(a.content),
                content=a.content,
            )
        )


def attachments_of(session: Session, outbox_ids: list[int]) -> dict[int, list[Attachment]]:
    """The files of several messages in one query, by outbox id, each in order."""
    found: dict[int, list[Attachment]] = {}
    if not outbox_ids:
        return found
    rows = session.exec(
        select(OutboxAttachment)
        .where(col(OutboxAttachment.outbox_id).in_(outbox_ids))
        .order_by(col(OutboxAttachment.outbox_id), col(OutboxAttachment.position))
    )
    for r in rows:
        found.setdefault(r.outbox_id, []).append(Attachment(r.filename, r.media_type, r.content))
    return found
