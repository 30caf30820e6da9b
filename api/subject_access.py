"""Everything held about one child, for a subject access request (UK GDPR article 15).

Rows are read whole (every column the tables hold, not a chosen few), so a column added
later is in the next export without anyone remembering to add it here. Only what would
let someone act rather than know is left out: live link tokens and their digests.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from api.auth import record_access
from api.tables import AccessLogEntry
from notifications.tables import InboundMail, OutboxAttachment, OutboxMessage
from workflow.activity_tables import GoodPractice, IroActivity
from workflow.change_history import ChangeRecord
from workflow.errors import NotFound
from workflow.tables import ChallengeEvent, ChallengeRecord, Child, Person

FORMAT = "iro-disputes subject access export 1"
# Columns that would let the reader act (open an answer page), not learn anything held.
_WITHHELD = {"mail_outbox": {"secrets"}}


def _t(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


@dataclass(frozen=True)
class SubjectAccessExport:
    reference: str
    produced_at: datetime
    produced_by: str
    sections: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "child_reference": self.reference,
            "produced_at": self.produced_at.isoformat(),
            "produced_by": self.produced_by,
            **self.sections,
        }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return _bytes(value)
    return value


def _bytes(value: bytes) -> Any:
    """Raw mail as the text it is; anything that is not text as base64."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(value).decode("ascii")}


def _rows(conn: Connection, query: sa.Select[Any], table: str) -> list[dict[str, Any]]:
    hidden = _WITHHELD.get(table, set())
    return [
        {k: _plain(v) for k, v in row.items() if k not in hidden}
        for row in conn.execute(query).mappings()
    ]


# Columns that name a person by number, in any of the exported tables.
PERSON_COLUMNS = frozenset({
    "person_id", "actor_id", "raised_by_id", "responder_id", "iro_id", "social_worker_id",
    "recipient_id", "assigned_by_id", "changed_by_id", "recorded_by_id",
})  # fmt: skip


def _named(value: Any) -> set[int]:
    """Every person id the exported rows mention (nested rows included)."""
    if isinstance(value, list):
        return set().union(*(_named(v) for v in value)) if value else set()
    if not isinstance(value, dict):
        return set()
    ids = {v for k, v in value.items() if k in PERSON_COLUMNS and isinstance(v, int)}
    return ids.union(*(_named(v) for v in value.values() if isinstance(v, dict | list)))


def _names(conn: Connection, ids: set[int]) -> Mapping[int, str]:
    """Only the people the export mentions, not the council's whole staff list."""
    people = _t(Person)
    rows = conn.execute(sa.select(people).where(people.c.id.in_(sorted(ids))).order_by(people.c.id))
    return {r.id: f"{r.name} <{r.email}>" for r in rows}


def _child_row(conn: Connection, reference: str) -> dict[str, Any]:
    children = _t(Child)
    found = _rows(conn, sa.select(children).where(children.c.case_reference == reference), "child")
    if not found:
        raise NotFound("child", reference)
    return found[0]


def _challenges(conn: Connection, child_id: int) -> list[dict[str, Any]]:
    challenges, events = _t(ChallengeRecord), _t(ChallengeEvent)
    rows = _rows(
        conn,
        sa.select(challenges).where(challenges.c.child_id == child_id).order_by(challenges.c.id),
        "challenge",
    )
    for row in rows:
        row["events"] = _rows(
            conn,
            sa.select(events).where(events.c.challenge_id == row["id"]).order_by(events.c.seq),
            "challenge_event",
        )
    return rows


def _emails(conn: Connection, challenge_ids: Sequence[int]) -> dict[str, list[dict[str, Any]]]:
    sent, attached, received = _t(OutboxMessage), _t(OutboxAttachment), _t(InboundMail)
    out = _rows(
        conn,
        sa.select(sent).where(sent.c.challenge_id.in_(challenge_ids)).order_by(sent.c.id),
        "mail_outbox",
    )
    for message in out:
        message["attachments"] = _rows(
            conn,
            sa.select(attached).where(attached.c.outbox_id == message["id"]),
            "mail_outbox_attachment",
        )
    inbound = _rows(
        conn,
        sa.select(received)
        .where(received.c.challenge_id.in_(challenge_ids))
        .order_by(received.c.id),
        "mail_inbound",
    )
    return {"sent": out, "received": inbound}


def _changes(conn: Connection, child_id: int) -> list[dict[str, Any]]:
    """Every edit an admin made to the child's record (the change history)."""
    t = _t(ChangeRecord)
    mine = sa.and_(t.c.record_kind == "child", t.c.record_id == child_id)
    return _rows(conn, sa.select(t).where(mine).order_by(t.c.id), "change_record")


def _access(conn: Connection, child_id: int, challenge_ids: Sequence[int]) -> list[dict[str, Any]]:
    log = _t(AccessLogEntry)
    about = sa.or_(log.c.child_id == child_id, log.c.challenge_id.in_(challenge_ids))
    return _rows(conn, sa.select(log).where(about).order_by(log.c.id), "access_log")


def gather(engine: Engine, reference: str, produced_by: str, now: datetime) -> SubjectAccessExport:
    """Read everything about the child in one read transaction (one consistent picture)."""
    with engine.connect() as conn:
        child = _child_row(conn, reference)
        challenges = _challenges(conn, child["id"])
        ids = [c["id"] for c in challenges]
        activity = _t(IroActivity)
        sections = {
            "child": child,
            "challenges": challenges,
            "activities": _rows(
                conn,
                sa.select(activity)
                .where(activity.c.child_id == child["id"])
                .order_by(activity.c.id),
                "iro_activity",
            ),
            "good_practice": _rows(
                conn,
                sa.select(_t(GoodPractice))
                .where(_t(GoodPractice).c.child_id == child["id"])
                .order_by(_t(GoodPractice).c.id),
                "good_practice",
            ),
            "changes": _changes(conn, child["id"]),
            "emails": _emails(conn, ids),
            "access_log": _access(conn, child["id"], ids),
        }
        sections["people"] = {str(k): v for k, v in _names(conn, _named(sections)).items()}
    return SubjectAccessExport(reference, now, produced_by, sections)


def export_child(
    engine: Engine, reference: str, person: Person, now: datetime
) -> SubjectAccessExport:
    """Gather the export, then record it on the access log as a view of the whole record."""
    export = gather(engine, reference, f"{person.name} <{person.email}>", now)
    record_access(
        engine, person.id, "export", child_id=export.sections["child"]["id"],
        what=f"subject access export of {reference}",
    )  # fmt: skip
    return export
