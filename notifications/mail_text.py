"""Reading a reply: the message, its sender and the text the sender wrote.

Pure functions, no database. What a reply means as an answer is in
`notifications.answer`; what is quoted history or signature in `reply_cleaning`.
"""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage, Message, MIMEPart
from email.utils import parseaddr
from html.parser import HTMLParser

from notifications.coloured_answers import coloured_answers
from notifications.reply_cleaning import clean_reply


def parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def header_text(message: Message, name: str) -> str:
    try:
        return str(message.get(name) or "")
    except (ValueError, TypeError, IndexError):  # malformed header from a broken client
        return ""


def sender_address(message: Message) -> str:
    return parseaddr(header_text(message, "From"))[1].strip().lower()


def body_text(message: EmailMessage) -> str:
    """The message's own text: the plain part, else the HTML part turned into text.

    Answers typed in colour into Outlook's quoted message are seen only in the HTML
    (the plain part Outlook makes has lost the colour): then the HTML is read."""
    html = message.get_body(preferencelist=("html",))
    if html is not None and (inline := coloured_answers(_content(html))) is not None:
        return inline
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    body = _content(part)
    if part.get_content_type() == "text/html":
        body = html_to_text(body)
    return body


def _content(part: MIMEPart) -> str:
    try:
        return str(part.get_content())
    except (LookupError, UnicodeDecodeError):
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def reply_text(message: EmailMessage) -> str:
    """What the sender wrote: no quoted history, signature, disclaimer or banner."""
    return clean_reply(body_text(message))


# Elements that hold the quoted history in Outlook's HTML (classic, new, web, Mac).
_HISTORY_MARKERS = ("divrplyfwdmsg", "appendonsend", "olk_src_body_section",
                    "mail-editor-reference-message-container", "x_divrplyfwdmsg")  # fmt: skip


class _Text(HTMLParser):
    BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "blockquote", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0
        self._quote = 0
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        marks = " ".join(f"{v}" for k, v in attrs if k in ("id", "class") and v).lower()
        if any(marker in marks for marker in _HISTORY_MARKERS):
            self._done = True  # everything from here on is the message being replied to
        if tag in ("style", "script", "head", "title"):
            self._skip += 1
        if tag == "blockquote":
            self._quote += 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head", "title"):
            self._skip = max(0, self._skip - 1)
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "blockquote":
            self._quote = max(0, self._quote - 1)

    def handle_data(self, data: str) -> None:
        if self._skip or self._done:
            return
        if self._quote:  # mark quoted lines as a plain-text client would
            data = "\n".join(
                ("> " * self._quote) + line if line.strip() else line for line in data.split("\n")
            )
        self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    text = "".join(parser.parts).replace("\xa0", " ")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip() for line in text.splitlines()))
