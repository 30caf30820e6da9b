"""An index of the development sink, so /dev/mail pages and searches 10,000 messages quickly.

A small SQLite file beside the Maildir holds each message's key, date, addresses,
subject and plain text; a page reads its rows from the index and parses only the
messages it shows. Messages already in a Maildir from before the index are added
the first time it opens.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from email.utils import parsedate_to_datetime
from pathlib import Path

SCHEMA = """
create table if not exists captured (
    key text primary key, sent_at text, subject text, recipient text, sender text,
    message_id text, body text
);
create index if not exists captured_sent_at on captured (sent_at desc);
"""


# Constant queries: an empty search matches everything.
COUNT = """select count(*) from captured
    where (? = '' or subject like ? or recipient like ? or sender like ? or body like ?)"""
KEYS = """select key from captured
    where (? = '' or subject like ? or recipient like ? or sender like ? or body like ?)
    order by sent_at desc, key limit ? offset ?"""


INSERT = "insert or replace into captured values (?, ?, ?, ?, ?, ?, ?)"


@dataclass(frozen=True)
class Page:
    keys: list[str]
    total: int


def index_path(folder: Path) -> Path:
    return folder.parent / f"{folder.name}-index.sqlite3"


def _connect(folder: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(index_path(folder), timeout=10)
    connection.executescript(SCHEMA)
    return connection


def add(folder: Path, key: str, raw: bytes) -> None:
    with _connect(folder) as connection:
        connection.execute(INSERT, _row(key, raw))


def _row(key: str, raw: bytes) -> tuple[str, ...]:
    # The compat32 parser is about ten times quicker than policy.default, which matters
    # when an old sink of 10,000 messages is indexed in one go.
    message = message_from_bytes(raw)
    try:
        sent = parsedate_to_datetime(str(message["Date"])).astimezone(UTC).isoformat()
    except (TypeError, ValueError):
        sent = ""
    return (key, sent, _header(message, "Subject"), _header(message, "To"),
            _header(message, "From"), _header(message, "Message-ID"), _plain(message))  # fmt: skip


def _header(message: Message, name: str) -> str:
    value = message.get(name)
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value))))
    except (LookupError, ValueError, UnicodeDecodeError):
        return str(value)


def _plain(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload.decode(part.get_content_charset() or "utf-8", "replace")
    return ""


def files(folder: Path) -> dict[str, Path]:
    """Each message's file by its Maildir key, read straight from new/ and cur/.

    (`mailbox.Maildir` re-lists the folder on every lookup for two seconds after a
    change, which makes reading 10,000 messages quadratic.)"""
    found: dict[str, Path] = {}
    for sub in ("new", "cur"):
        if (folder / sub).is_dir():
            for entry in os.scandir(folder / sub):
                if not entry.name.startswith("."):
                    found[entry.name.split(":", 1)[0]] = Path(entry.path)
    return found


def catch_up(folder: Path, on_disk: dict[str, Path]) -> None:
    """Index the messages a Maildir already held before it had an index (one transaction)."""
    with _connect(folder) as connection:
        known = {k for (k,) in connection.execute("select key from captured")}
        missing = [key for key in on_disk if key not in known]
        if missing:
            connection.executemany(INSERT, (_row(k, on_disk[k].read_bytes()) for k in missing))


def page(folder: Path, search: str = "", offset: int = 0, limit: int = 25) -> Page:
    """Newest first; `search` matches the subject, the addresses or the text."""
    term = search.strip()
    args = [term, *[f"%{term}%"] * 4]
    with _connect(folder) as connection:
        total = connection.execute(COUNT, args).fetchone()[0]
        keys = connection.execute(KEYS, [*args, limit, offset]).fetchall()
    return Page([k for (k,) in keys], int(total))


def message_ids(folder: Path) -> set[str]:
    with _connect(folder) as connection:
        return {m for (m,) in connection.execute("select message_id from captured") if m}
