"""Files that came with a reply, read from the raw message we keep.

The raw message is stored as it arrived, so the attachments are not copied a second
time: they are listed and served from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from notifications.mail_text import parse


@dataclass(frozen=True)
class InboundFile:
    position: int
    filename: str
    media_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)


def inbound_attachments(raw: bytes) -> list[InboundFile]:
    message = parse(raw)
    found: list[InboundFile] = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue  # an attached message/rfc822: not a file a person attached
        name = part.get_filename() or f"attachment-{len(found) + 1}"
        found.append(InboundFile(len(found), name, part.get_content_type(), payload))
    return found
