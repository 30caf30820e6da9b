"""The facts of people and children the report reads as at a past moment, kept with the
time each became true: whether a person is an active IRO and their working time, and a
child's IRO. Written by the same transaction as the change (`workflow.people_records`,
the CSV imports), one row per span of unchanged facts: from `effective_from` up to, not
including, `effective_to` (None: still true).

Migration 0018 gave every person and child one span from `RECORDS_BEGAN` with the values
they had then. A record written straight to its table (demo data, test fixtures) has no
span: the report reads its present values for every moment, and the first change through
a service keeps those values from `RECORDS_BEGAN` before recording the new ones."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, select

from escalation_rules.model import Role
from workflow.tables import Child, Person, UTCDateTime

RECORDS_BEGAN = datetime(2000, 1, 1, tzinfo=UTC)


class IroWorkingTime(SQLModel, table=True):
    """Whether a person was an active IRO, and their working time (1 = full time)."""

    __tablename__ = "iro_working_time"
    __table_args__ = (sa.Index("ix_iro_working_time_person", "person_id", "effective_from"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    active_iro: bool
    fte: float
    effective_from: datetime = Field(sa_type=UTCDateTime)
    effective_to: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ChildIro(SQLModel, table=True):
    """Who a child's IRO was (None: no IRO allocated)."""

    __tablename__ = "child_iro"
    __table_args__ = (sa.Index("ix_child_iro_child", "child_id", "effective_from"),)

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="child.id")
    iro_id: int | None = Field(default=None, foreign_key="person.id")
    effective_from: datetime = Field(sa_type=UTCDateTime)
    effective_to: datetime | None = Field(default=None, sa_type=UTCDateTime)


_Span = TypeVar("_Span", IroWorkingTime, ChildIro)


def person_facts(person: Person) -> tuple[bool, float]:
    return person.role == Role.IRO.value and person.active, float(person.fte)


def keep_person_facts(session: Session, person: Person) -> None:
    """Before a change: a person with no span yet keeps their present facts from the start."""
    if person.id is not None and _open(session, IroWorkingTime, "person_id", person.id) is None:
        active_iro, fte = person_facts(person)
        session.add(IroWorkingTime(person_id=person.id, active_iro=active_iro, fte=fte,
                                   effective_from=RECORDS_BEGAN))  # fmt: skip
        session.flush()


def note_person_facts(session: Session, person: Person, at: datetime) -> None:
    """After a change: a new span from `at` when the facts changed (or the person is new)."""
    assert person.id is not None
    active_iro, fte = person_facts(person)
    span = _open(session, IroWorkingTime, "person_id", person.id)
    if span is not None and (span.active_iro, span.fte) == (active_iro, fte):
        return
    _close(session, span, at)
    session.add(IroWorkingTime(person_id=person.id, active_iro=active_iro, fte=fte,
                               effective_from=at))  # fmt: skip


def keep_child_iro(session: Session, child: Child) -> None:
    """Before a change: a child with no span yet keeps their present IRO from the start."""
    if child.id is not None and _open(session, ChildIro, "child_id", child.id) is None:
        session.add(ChildIro(child_id=child.id, iro_id=child.iro_id, effective_from=RECORDS_BEGAN))
        session.flush()


def note_child_iro(session: Session, child: Child, at: datetime) -> None:
    """After a change: a new span from `at` when the child's IRO changed (or the child is new)."""
    assert child.id is not None
    span = _open(session, ChildIro, "child_id", child.id)
    if span is not None and span.iro_id == child.iro_id:
        return
    _close(session, span, at)
    session.add(ChildIro(child_id=child.id, iro_id=child.iro_id, effective_from=at))


def _open(session: Session, model: type[_Span], key: str, record_id: int) -> _Span | None:
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    query = select(model).where(table.c[key] == record_id, table.c.effective_to.is_(None))
    return session.exec(query).first()


def _close(session: Session, span: IroWorkingTime | ChildIro | None, at: datetime) -> None:
    if span is not None:
        span.effective_to = at
        session.add(span)
        session.flush()
