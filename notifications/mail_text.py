"""Reading a reply: the message, its sender, the new text, and the answer convention.

Pure functions, no database. The convention the email tells managers: put the
answer first, then lines starting `Actions:` and `Target date:` (UK day-first
dates). Without `Actions:` the whole answer is the actions.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import parseaddr
from html.parser import HTMLParser
from typing import Any

from mailparser_reply import EmailReplyParser


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


def reply_text(message: EmailMessage) -> str:
    """The new part of the reply: plain text preferred, quoted history stripped."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        body = str(part.get_content())
    except (LookupError, UnicodeDecodeError):
        payload = part.get_payload(decode=True)
        body = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if part.get_content_type() == "text/html":
        body = html_to_text(body)
    body = body.replace("\r\n", "\n")
    parsed = EmailReplyParser(languages=["en"]).read(body)
    if parsed.replies:  # the newest reply without its signature ("Sent from my iPhone")
        newest = str(parsed.replies[0].body or "").strip()
        if newest:
            return newest
    return (parsed.latest_reply or body).strip()


class _Text(HTMLParser):
    BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "blockquote"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "head"):
            self._skip += 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head"):
            self._skip = max(0, self._skip - 1)
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    text = "".join(parser.parts).replace("\xa0", " ")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip() for line in text.splitlines()))


# -- the answer convention ------------------------------------------------------

_ACTIONS = re.compile(r"^\s*\**actions?\**\s*[:\-]\s*(.*)$", re.IGNORECASE)
_TARGET = re.compile(r"^\s*\**target\s+date\**\s*[:\-]\s*(.*)$", re.IGNORECASE)
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}


def answer_params(reply: str, now: datetime) -> dict[str, Any]:
    """Split a reply into response, actions and target date (UK day-first dates)."""
    response_lines: list[str] = []
    actions: list[str] = []
    target: date | None = None
    in_actions = False
    for line in reply.splitlines():
        if m := _TARGET.match(line):
            target, in_actions = parse_uk_date(m.group(1), now), False
        elif m := _ACTIONS.match(line):
            in_actions = True
            if m.group(1).strip():
                actions.append(m.group(1).strip())
        elif in_actions and line.strip():
            actions.append(line.strip())
        else:
            in_actions = False
            response_lines.append(line)
    response = "\n".join(response_lines).strip() or "\n".join(actions)
    return {
        "response": response,
        "actions": "\n".join(actions) or response,
        "target_date": target.isoformat() if target else None,
    }


def parse_uk_date(text: str, now: datetime) -> date | None:
    text = text.strip().rstrip(".").lower()
    text = re.sub(r"\b(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*,?\s+", "", text)
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text):
        return _date(int(m[1]), int(m[2]), int(m[3]))
    if m := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})", text):
        year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
        return _date(year, int(m[2]), int(m[1]))
    if m := re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?(?:\s+(\d{4}))?", text):
        month = _MONTHS.get(m[2])
        if month is None:
            return None
        year = int(m[3]) if m[3] else now.year
        found = _date(year, month, int(m[1]))
        if found and not m[3] and found < now.date():
            found = _date(year + 1, month, int(m[1]))
        return found
    return None


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
