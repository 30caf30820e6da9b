"""Recording that the relay accepted messages: 'sent', with the live links blanked.

Many messages in one transaction (one UPDATE sent as a batch), because on PostgreSQL the
commit, not the UPDATE, is what a message costs; each row only while this sender still
holds its claim, so a sender whose lease ran out never overwrites a newer claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from notifications.tables import OutboxMessage, OutboxStatus
from workflow.tables import utc_now

REMOVED = "(link removed after sending)"


@dataclass(frozen=True)
class Sent:
    """A message the relay accepted: the row as it was sent, and the relay's reply."""

    row: OutboxMessage
    reply: str


def mark_sent_batch(engine: Engine, claim: str, sent: Sequence[Sent], now: datetime) -> None:
    """Mark every `sent` row 'sent' in one transaction (no-op for rows we lost)."""
    if not sent:
        return
    plain = [_params(s, claim, now) for s in sent if not s.row.secrets]
    linked = [_params(s, claim, now) | _blanked(s.row) for s in sent if s.row.secrets]
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        if plain:
            conn.execute(_update(table, blank=False), plain)
        if linked:
            conn.execute(_update(table, blank=True), linked)


def mark_sent(
    engine: Engine,
    row_id: int,
    claim: str,
    reply: str,
    now: datetime | None = None,
    sent: OutboxMessage | None = None,
) -> None:
    """One message: `sent` is the row as it was sent, else it is read."""
    if sent is None:
        with Session(engine) as session:
            sent = session.get(OutboxMessage, row_id)
            if sent is None:
                return
            session.expunge(sent)
    mark_sent_batch(engine, claim, [Sent(sent, reply)], now or utc_now())


def _update(table: sa.Table, blank: bool) -> sa.Update:
    values: dict[str, object] = {
        "status": OutboxStatus.SENT.value, "sent_at": sa.bindparam("b_sent_at"),
        "lease_until": None, "smtp_reply": sa.bindparam("b_reply"), "last_error": None,
    }  # fmt: skip
    if blank:
        values.update(body_text=sa.bindparam("b_text"), body_html=sa.bindparam("b_html"),
                      secrets=[])  # fmt: skip
    where = sa.and_(table.c.id == sa.bindparam("b_id"), table.c.claim == sa.bindparam("b_claim"))
    return sa.update(table).where(where).values(**values)


def _params(sent: Sent, claim: str, now: datetime) -> dict[str, object]:
    return {"b_id": sent.row.id, "b_claim": claim, "b_sent_at": now,
            "b_reply": sent.reply[:500]}  # fmt: skip


def _blanked(row: OutboxMessage) -> dict[str, object]:
    text, html = row.body_text, row.body_html
    for secret in row.secrets:
        text, html = text.replace(secret, REMOVED), html.replace(secret, REMOVED)
    return {"b_text": text, "b_html": html}
