"""The change history of people and children: who changed which field of which record,
when, from what to what. Written by the same transaction as the change itself."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, select

from workflow.tables import Person, UTCDateTime

RecordKind = Literal["person", "child", "outcome_kind", "theme"]


class ChangeRecord(SQLModel, table=True):
    """One field of one record changed. Values are kept as people read them at the time
    (a manager's name, not an id), so the history stays true after renames."""

    __tablename__ = "change_record"
    __table_args__ = (
        sa.Index("ix_change_record_record", "record_kind", "record_id", "changed_at"),
        sa.Index("ix_change_record_key", "record_kind", "record_key", "changed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    record_kind: str = Field(max_length=20)
    record_id: int
    # Records known by a key rather than a number (a kind of outcome, a theme): record_id 0.
    record_key: str | None = Field(default=None, max_length=60)
    field: str = Field(max_length=60)
    before: str = Field(default="", max_length=400)
    after: str = Field(default="", max_length=400)
    changed_by_id: int | None = Field(default=None, foreign_key="person.id")
    changed_at: datetime = Field(sa_type=UTCDateTime)


def record_changes(
    session: Session,
    kind: RecordKind,
    record_id: int,
    before: Mapping[str, str],
    after: Mapping[str, str],
    by_id: int | None,
    at: datetime,
    record_key: str | None = None,
) -> int:
    """Add one row per field whose shown value differs; the caller commits. Returns how many.
    A record known by a key (`record_key`) passes `record_id` 0."""
    changed = [name for name in after if before.get(name, "") != after[name]]
    for name in changed:
        session.add(
            ChangeRecord(record_kind=kind, record_id=record_id, record_key=record_key, field=name,
                         before=before.get(name, "")[:400], after=after[name][:400],
                         changed_by_id=by_id, changed_at=at)
        )  # fmt: skip
    return len(changed)


def history(
    session: Session, kind: RecordKind, record_id: int, record_key: str | None = None
) -> list[tuple[ChangeRecord, str]]:
    """The record's changes, newest first, each with who made it ("" when done on the server).
    A record known by a key: `history(session, kind, 0, key)`."""
    which = (ChangeRecord.record_id == record_id) if record_key is None else (
        ChangeRecord.record_key == record_key)  # fmt: skip
    rows = session.exec(
        select(ChangeRecord, Person.name)
        .join(Person, col(Person.id) == ChangeRecord.changed_by_id, isouter=True)
        .where(ChangeRecord.record_kind == kind, which)
        .order_by(col(ChangeRecord.changed_at).desc(), col(ChangeRecord.id).desc())
    ).all()
    return [(change, name or "") for change, name in rows]
