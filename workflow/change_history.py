"""The change history of people and children: who changed which field of which record,
when, from what to what. Written by the same transaction as the change itself."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, select

from workflow.tables import Person, UTCDateTime

RecordKind = Literal["person", "child"]


class ChangeRecord(SQLModel, table=True):
    """One field of one record changed. Values are kept as people read them at the time
    (a manager's name, not an id), so the history stays true after renames."""

    __tablename__ = "change_record"
    __table_args__ = (
        sa.Index("ix_change_record_record", "record_kind", "record_id", "changed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    record_kind: str = Field(max_length=20)
    record_id: int
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
) -> int:
    """Add one row per field whose shown value differs; the caller commits. Returns how many."""
    changed = [name for name in after if before.get(name, "") != after[name]]
    for name in changed:
        session.add(
            ChangeRecord(record_kind=kind, record_id=record_id, field=name,
                         before=before.get(name, "")[:400], after=after[name][:400],
                         changed_by_id=by_id, changed_at=at)
        )  # fmt: skip
    return len(changed)


def history(session: Session, kind: RecordKind, record_id: int) -> list[tuple[ChangeRecord, str]]:
    """The record's changes, newest first, each with who made it ("" when done on the server)."""
    rows = session.exec(
        select(ChangeRecord, Person.name)
        .join(Person, col(Person.id) == ChangeRecord.changed_by_id, isouter=True)
        .where(ChangeRecord.record_kind == kind, ChangeRecord.record_id == record_id)
        .order_by(col(ChangeRecord.changed_at).desc(), col(ChangeRecord.id).desc())
    ).all()
    return [(change, name or "") for change, name in rows]
